/**
 * Runs cases and assembles the canonical {@link RunResult}: selection by ID glob and area, a
 * parallel pool for ordinary cases and a serial pool for timing cases (so load never distorts a
 * measurement: harness-anchors §6.3), a hard timeout per case and for the whole run, baseline
 * application (expected failures, stale entries) and the summary the exit code is computed from.
 * Generic over the case context so server and client runs share it.
 */
import { setMaxListeners } from 'node:events';
import type { BaselineEntry } from './baseline.ts';
import {
  emptyCounts, failsRun, rollUp,
  type CaseInfo, type CaseResult, type CheckResult, type Evidence, type Measurement, type RunResult, type Verdict,
} from './model.ts';

/** What a case returns. The runner rolls checks up unless `verdict` overrides (e.g. UNSUPPORTED). */
export interface CaseOutcome {
  readonly verdict?: Verdict | undefined;
  readonly reason?: string | undefined;
  readonly checks: readonly CheckResult[];
  readonly evidence?: readonly Evidence[] | undefined;
  readonly measurements?: readonly Measurement[] | undefined;
}

export interface RunnableCase<C> extends CaseInfo {
  /** Timing-sensitive: runs in the serial pool, alone. */
  readonly serial?: boolean | undefined;
  /** Hard limit for this case (ms); the runner's default applies otherwise. */
  readonly timeoutMs?: number | undefined;
  run(context: C, signal: AbortSignal): Promise<CaseOutcome>;
}

export interface Selection {
  /** ID globs (`*` any run of characters); a case is selected when any matches. Empty = all. */
  readonly ids?: readonly string[] | undefined;
  /** Areas; empty = all. */
  readonly areas?: readonly string[] | undefined;
  /** ID globs to exclude. */
  readonly exclude?: readonly string[] | undefined;
}

export interface RunOptions {
  readonly mode: RunResult['mode'];
  readonly target: RunResult['target'];
  readonly harnessVersion: string;
  readonly seed: number;
  readonly strict: boolean;
  readonly options: Readonly<Record<string, unknown>>;
  readonly selection?: Selection | undefined;
  readonly baseline?: readonly BaselineEntry[] | undefined;
  /** Parallel pool size. Default 6. */
  readonly concurrency?: number | undefined;
  readonly caseTimeoutMs: number;
  readonly runTimeoutMs: number;
  /** When set, every selected case is reported as ERROR with this reason and nothing runs. */
  readonly unreachable?: string | undefined;
  /** Case-count guard: fewer cases run than this makes the result indeterminate. */
  readonly expectCases?: number | undefined;
  /** Called as each case finishes (progress output); never decides anything. */
  readonly onCaseDone?: ((result: CaseResult) => void) | undefined;
  /** Called whenever a case starts or finishes (live progress on a terminal); never decides anything. */
  readonly onProgress?: ((progress: RunProgress) => void) | undefined;
}

/** Where a run is: cases finished out of those selected, the ones running now, the latest to finish. */
export interface RunProgress {
  readonly done: number;
  readonly total: number;
  /** IDs of the cases running now, in start order. */
  readonly running: readonly string[];
  readonly lastDone?: string | undefined;
}

/** `*` matches any run of characters; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function isSelected(info: CaseInfo, selection: Selection | undefined): boolean {
  if (!selection) return true;
  const ids = selection.ids ?? [];
  const areas = selection.areas ?? [];
  if (ids.length && !ids.some((g) => globToRegExp(g).test(info.id))) return false;
  if (areas.length && !areas.includes(info.area)) return false;
  if ((selection.exclude ?? []).some((g) => globToRegExp(g).test(info.id))) return false;
  return true;
}

function infoOf(c: CaseInfo): CaseInfo {
  return { id: c.id, title: c.title, area: c.area, requirementIds: c.requirementIds, description: c.description, expectation: c.expectation };
}

function reasonFrom(verdict: Verdict, checks: readonly CheckResult[]): string | undefined {
  if (verdict === 'PASS') return undefined;
  const worst = checks.find((c) => c.verdict === verdict);
  if (!worst) return undefined;
  return `${worst.security ? 'SECURITY: ' : ''}${worst.name}: expected ${worst.expected}; got ${worst.actual}`;
}

function settle(info: CaseInfo, outcome: CaseOutcome, durationMs: number): CaseResult {
  let verdict = outcome.verdict ?? rollUp(outcome.checks.map((c) => c.verdict));
  let reason = outcome.reason;
  if (outcome.verdict === undefined && outcome.checks.length === 0) {
    verdict = 'ERROR';
    reason ??= 'the case produced no checks (harness defect)';
  }
  return {
    ...infoOf(info), verdict, reason: reason ?? reasonFrom(verdict, outcome.checks),
    checks: outcome.checks, evidence: outcome.evidence ?? [], measurements: outcome.measurements ?? [],
    durationMs: Math.round(durationMs),
  };
}

function aborted(info: CaseInfo, verdict: Verdict, reason: string, durationMs = 0): CaseResult {
  return { ...infoOf(info), verdict, reason, checks: [], evidence: [], measurements: [], durationMs: Math.round(durationMs) };
}

async function runOne<C>(c: RunnableCase<C>, context: C, timeoutMs: number, runSignal: AbortSignal): Promise<CaseResult> {
  const started = performance.now();
  if (runSignal.aborted) return aborted(c, 'TIMEOUT', 'the whole-run time limit was reached before this case started');
  const controller = new AbortController();
  const onRunAbort = () => controller.abort();
  runSignal.addEventListener('abort', onRunAbort);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<CaseResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(aborted(c, 'TIMEOUT', `the case did not finish within its ${timeoutMs} ms limit`, performance.now() - started));
    }, timeoutMs);
    runSignal.addEventListener('abort', () => resolve(aborted(c, 'TIMEOUT', 'stopped by the whole-run time limit', performance.now() - started)), { once: true });
  });
  const work = (async () => {
    try {
      const outcome = await c.run(context, controller.signal);
      return settle(c, outcome, performance.now() - started);
    } catch (error) {
      return aborted(c, 'ERROR', `harness error: ${error instanceof Error ? error.message : String(error)}`, performance.now() - started);
    }
  })();
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', onRunAbort);
    controller.abort();
  }
}

/** Applies the baseline: marks expected failures, returns stale keys. */
export function applyBaseline(results: CaseResult[], baseline: readonly BaselineEntry[], strict: boolean, knownIds: ReadonlySet<string>): string[] {
  const stale: string[] = [];
  for (const e of baseline) {
    const idx = results.findIndex((r) => r.id === e.caseId);
    if (idx < 0) {
      if (!knownIds.has(e.caseId)) stale.push(`${e.key} (no such case)`);
      continue; // listed but not selected: neither expected nor stale
    }
    const r = results[idx]!;
    if (r.verdict === 'SKIP') continue;
    if (e.check === undefined) {
      if (failsRun(r.verdict, strict)) results[idx] = { ...r, expectedFailure: { reason: e.reason } };
      else stale.push(e.key);
    } else {
      const check = r.checks.find((c) => c.name === e.check);
      if (!check || !failsRun(check.verdict, strict)) stale.push(e.key);
    }
  }
  // A case whose every failing check is listed by `case:check` entries is an expected failure too.
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.expectedFailure || !failsRun(r.verdict, strict)) continue;
    const listed = baseline.filter((e) => e.caseId === r.id && e.check !== undefined);
    if (!listed.length) continue;
    const failing = r.checks.filter((c) => failsRun(c.verdict, strict));
    if (failing.length && failing.every((c) => listed.some((e) => e.check === c.name))) {
      results[i] = { ...r, expectedFailure: { reason: listed.map((e) => `${e.check}: ${e.reason}`).join('; ') } };
    }
  }
  return stale;
}

/** Runs the selected cases and returns the canonical result. Never rejects for a case's sake. */
export async function runCases<C>(cases: readonly RunnableCase<C>[], context: C, options: RunOptions): Promise<RunResult> {
  const startedAt = new Date().toISOString();
  const selected = cases.filter((c) => isSelected(c, options.selection));
  const results = new Map<string, CaseResult>();
  const runController = new AbortController();
  setMaxListeners(0, runController.signal); // one listener per running case
  const runTimer = setTimeout(() => runController.abort(), options.runTimeoutMs);
  const running: string[] = [];
  let lastDone: string | undefined;
  const progress = () => options.onProgress?.({ done: results.size, total: selected.length, running: [...running], lastDone });
  const start = (c: RunnableCase<C>) => {
    running.push(c.id);
    progress();
  };
  const record = (r: CaseResult) => {
    results.set(r.id, r);
    const at = running.indexOf(r.id);
    if (at >= 0) running.splice(at, 1);
    lastDone = r.id;
    options.onCaseDone?.(r);
    progress();
  };
  let ran = 0;
  try {
    if (options.unreachable !== undefined) {
      for (const c of selected) record(aborted(c, 'ERROR', `target unreachable: ${options.unreachable}`));
    } else {
      const parallel = selected.filter((c) => !c.serial);
      const serial = selected.filter((c) => c.serial);
      const concurrency = Math.max(1, options.concurrency ?? 6);
      let next = 0;
      const worker = async () => {
        while (next < parallel.length) {
          const c = parallel[next++]!;
          if (!runController.signal.aborted) ran++;
          start(c);
          record(await runOne(c, context, c.timeoutMs ?? options.caseTimeoutMs, runController.signal));
        }
      };
      const serialPool = (async () => {
        for (const c of serial) {
          if (!runController.signal.aborted) ran++;
          start(c);
          record(await runOne(c, context, c.timeoutMs ?? options.caseTimeoutMs, runController.signal));
        }
      })();
      await Promise.all([...Array.from({ length: Math.min(concurrency, parallel.length) }, worker), serialPool]);
    }
  } finally {
    clearTimeout(runTimer);
  }
  // Report in catalog order; deselected cases appear as SKIP.
  const ordered: CaseResult[] = cases.map((c) => results.get(c.id) ?? aborted(c, 'SKIP', 'not selected'));
  const knownIds = new Set(cases.map((c) => c.id));
  const stale = applyBaseline(ordered, options.baseline ?? [], options.strict, knownIds);
  const counts = emptyCounts();
  for (const r of ordered) counts[r.verdict]++;
  const unexpected = ordered.filter((r) => failsRun(r.verdict, options.strict) && !r.expectedFailure);
  const ranResults = ordered.filter((r) => r.verdict !== 'SKIP');
  let indeterminate: string | undefined;
  if (options.unreachable !== undefined) indeterminate = `target unreachable: ${options.unreachable}`;
  else if (ranResults.some((r) => r.verdict === 'ERROR' || r.verdict === 'TIMEOUT') && ranResults.every((r) => r.verdict === 'ERROR' || r.verdict === 'TIMEOUT' || r.verdict === 'UNSUPPORTED')) {
    indeterminate = 'no selected case reached a verdict (every one ERROR, TIMEOUT or UNSUPPORTED)';
  }
  const runCount = options.unreachable !== undefined ? 0 : ran;
  if (indeterminate === undefined && options.expectCases !== undefined && runCount < options.expectCases) {
    indeterminate = `only ${runCount} cases ran, ${options.expectCases} expected (--expect-cases)`;
  }
  return {
    schema: 'sse-conformance/run-result',
    schemaVersion: 1,
    harness: { name: 'sse-conformance', version: options.harnessVersion },
    mode: options.mode,
    target: options.target,
    seed: options.seed,
    startedAt,
    endedAt: new Date().toISOString(),
    strict: options.strict,
    options: options.options,
    summary: {
      selected: selected.length,
      run: runCount,
      counts,
      staleBaseline: stale,
      ok: unexpected.length === 0 && stale.length === 0 && indeterminate === undefined,
      indeterminate,
    },
    cases: ordered,
  };
}

/** The exit code contract: 0 conformant (modulo baseline), 1 failures or stale baseline, 2 indeterminate. */
export function exitCodeFor(result: RunResult): 0 | 1 | 2 {
  if (result.summary.indeterminate !== undefined) return 2;
  return result.summary.ok ? 0 : 1;
}

/** A check result, briefly. */
export function check(name: string, verdict: Verdict, requirementIds: readonly string[], expected: string, actual: string, security?: boolean): CheckResult {
  return security ? { name, verdict, requirementIds, expected, actual, security } : { name, verdict, requirementIds, expected, actual };
}
