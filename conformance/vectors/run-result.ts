/**
 * Turns a vector run through an adapter into the harness's canonical {@link RunResult}, so the
 * shared reporters (text, JSON, JUnit, HTML, Markdown) and expected-failure baselines work for
 * parser vectors exactly as for server and client checks. One vector = one case; its parts
 * (events, retry, retries, lastEventId) are the checks.
 */
import type { Vector } from '../../fixtures/vectors/load.ts';
import type { BaselineEntry } from '../baseline.ts';
import { emptyCounts, failsRun, type CaseResult, type CheckResult, type RunResult, type Verdict } from '../model.ts';
import { applyBaseline } from '../runner.ts';
import type { AdapterRun, VectorResult } from './adapter-runner.ts';

const show = (value: unknown) => JSON.stringify(value);

function checksFor(vector: Vector, result: VectorResult): CheckResult[] {
  const ids = vector.requirements;
  const actual = result.actual;
  if (actual === undefined) {
    // No answer to compare: one check carries the ERROR/TIMEOUT.
    return [{ name: 'answer', verdict: result.verdict, requirementIds: ids, expected: 'a valid answer line within the time limit', actual: result.problems.join('; ') }];
  }
  const part = (name: string, expected: unknown, got: unknown): CheckResult => ({
    name, verdict: show(expected) === show(got) ? 'PASS' : 'FAIL', requirementIds: ids, expected: show(expected), actual: show(got),
  });
  const checks = [part('events', vector.events, actual.events), part('retry', vector.retry, actual.retry)];
  if (vector.retries !== undefined && actual.retries !== undefined) checks.push(part('retries', vector.retries, actual.retries));
  checks.push(part('lastEventId', vector.lastEventId, actual.lastEventId));
  return checks;
}

function caseFor(vector: Vector, result: VectorResult): CaseResult {
  return {
    id: vector.id,
    title: vector.description,
    area: vector.id.slice(0, vector.id.indexOf('.')),
    requirementIds: vector.requirements,
    description: `Feed the vector's bytes${vector.chunks ? ` in ${vector.chunks.length + 1} chunks` : ''}${vector.initialLastEventId ? ` with initial last event ID ${show(vector.initialLastEventId)}` : ''} to the parser under test, then end the body.`,
    expectation: `events ${show(vector.events)}, retry ${show(vector.retry)}, lastEventId ${show(vector.lastEventId)}`,
    verdict: result.verdict,
    reason: result.verdict === 'PASS' ? undefined : result.problems[0]?.split('\n')[0],
    checks: checksFor(vector, result),
    evidence: [],
    measurements: [{ name: 'adapter-answer', value: result.durationMs, unit: 'ms' }],
    durationMs: result.durationMs,
  };
}

export interface VectorRunInfo {
  readonly adapter: string;
  readonly harnessVersion: string;
  readonly startedAt: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly baseline?: readonly BaselineEntry[] | undefined;
  /** Every vector ID (for stale-entry detection: a listed ID that is not a vector at all). */
  readonly knownIds: ReadonlySet<string>;
}

export function vectorRunResult(vectors: readonly Vector[], run: AdapterRun, info: VectorRunInfo): RunResult {
  const byId = new Map(run.results.map((r) => [r.id, r]));
  const cases: CaseResult[] = vectors.map((v) => {
    const r = byId.get(v.id);
    return r ? caseFor(v, r) : caseFor(v, { id: v.id, requirements: v.requirements, verdict: 'ERROR', problems: ['not run'], durationMs: 0 });
  });
  const stale = applyBaseline(cases, info.baseline ?? [], false, info.knownIds);
  const counts = emptyCounts();
  for (const c of cases) counts[c.verdict as Verdict]++;
  const unexpected = cases.filter((c) => failsRun(c.verdict, false) && !c.expectedFailure);
  return {
    schema: 'sse-conformance/run-result',
    schemaVersion: 1,
    harness: { name: 'sse-conformance', version: info.harnessVersion },
    mode: 'client',
    target: { name: `parser vectors via adapter: ${info.adapter}` },
    seed: 0, // the vectors and their order are fixed: nothing is random
    startedAt: info.startedAt,
    endedAt: new Date().toISOString(),
    strict: false,
    options: info.options,
    summary: {
      selected: vectors.length,
      run: run.results.filter((r) => !r.problems[0]?.startsWith('not run')).length,
      counts,
      staleBaseline: stale,
      ok: unexpected.length === 0 && stale.length === 0 && run.unusable === undefined,
      indeterminate: run.unusable === undefined ? undefined : `adapter unusable: ${run.unusable}`,
    },
    cases,
  };
}
