/**
 * The client suite as runnable cases for the shared runner (conformance/runner.ts): selection,
 * the serial pool for timing scenarios, per-case and whole-run limits, baselines and the summary
 * are the same as for `check`; each case plays one scenario against the driver's client.
 */
import type { CaseInfo, CaseResult, RunResult } from '../model.ts';
import { runCases, type RunnableCase, type RunOptions } from '../runner.ts';
import type { PlaybackServer } from '../../reference/server/playback.ts';
import type { ClientDriver } from './driver.ts';
import { PROPERTY_SCENARIO_ID, runPropertyScenario } from './property.ts';
import { runScenario } from './run.ts';
import type { Scenario } from './scenario.ts';
import { vectorCases } from './wire-vectors.ts';

export interface ClientContext {
  readonly driver: ClientDriver;
  readonly server: PlaybackServer;
  readonly epsilonMs: number;
  readonly timeoutMultiplier: number;
  /** Timing scenarios take it exclusively; created per run when absent. */
  readonly lock?: ExclusiveLock | undefined;
}

/**
 * Timing scenarios must run alone (the shared runner's serial pool runs beside the parallel one):
 * a writer-preferring lock where timing cases are the writers. With browsers this also keeps
 * timing pages in front and within the per-host connection limit.
 */
export class ExclusiveLock {
  #shared = 0;
  #exclusive = false;
  #waiting: Array<{ exclusive: boolean; go: () => void }> = [];

  async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.#waiting.push({ exclusive, go });
      this.#pump();
    });
    try {
      return await work();
    } finally {
      if (exclusive) this.#exclusive = false;
      else this.#shared--;
      this.#pump();
    }
  }

  #pump(): void {
    while (this.#waiting.length > 0 && !this.#exclusive) {
      const head = this.#waiting[0]!;
      if (head.exclusive) {
        if (this.#shared > 0) return; // wait for the running shared work; later shared work queues behind
        this.#waiting.shift();
        this.#exclusive = true;
        head.go();
        return;
      }
      this.#waiting.shift();
      this.#shared++;
      head.go();
    }
  }
}

export interface PropertySettings {
  readonly seed: number;
  readonly numRuns: number;
  readonly shrinkBudgetMs: number;
}

function outcomeOf(result: CaseResult) {
  return { verdict: result.verdict, reason: result.reason, checks: result.checks, evidence: result.evidence, measurements: result.measurements };
}

export const PROPERTY_CASE_INFO: CaseInfo = {
  id: PROPERTY_SCENARIO_ID,
  title: 'Generated event sequences over generated chunkings (fast-check)',
  area: 'parse',
  requirementIds: ['PARSE-CHUNK-INVARIANCE', 'PARSE-CRLF-SPLIT-CHUNK', 'PARSE-STREAMING-DECODE', 'PARSE-MIXED-LINE-ENDS', 'FIELD-ID-PERSISTS', 'FIELD-ID-EMPTY-RESETS', 'DISPATCH-IN-ORDER'],
  description: 'fast-check generates event sequences and chunkings (seeded, bounded); the playback server delivers them.',
  expectation: 'The client shows exactly the events the generating model predicts; a failure is shrunk to a small counterexample.',
};

/** Every scenario as a runnable case (plus the generated one when `property` is given). */
export function clientCases(scenarios: readonly Scenario[], property?: PropertySettings, vectors = false): RunnableCase<ClientContext>[] {
  const cases: RunnableCase<ClientContext>[] = scenarios.map((s) => ({
    id: s.id,
    title: s.title,
    area: s.area,
    requirementIds: s.requirementIds,
    description: s.description,
    expectation: s.expectation,
    serial: Boolean(s.timing),
    // The scenario enforces its own window; this outer limit only catches a stuck driver. A timing
    // case may first wait for the running cases to finish (vector files take a minute in a browser).
    timeoutMs: s.timing ? 900_000 : (s.timeoutMs ?? 5000) * 2 + 15_000,
    run: async (ctx) => {
      const play = async () => outcomeOf(await runScenario(s, ctx.driver, ctx.server, ctx.epsilonMs, ctx.timeoutMultiplier));
      return ctx.lock ? ctx.lock.run(Boolean(s.timing), play) : play();
    },
  }));
  if (property) {
    cases.push({
      ...PROPERTY_CASE_INFO,
      timeoutMs: property.numRuns * 10_000 + property.shrinkBudgetMs + 15_000,
      run: async (ctx) => {
        const play = async () => outcomeOf(await runPropertyScenario(ctx.driver, ctx.server, { seed: property.seed, numRuns: property.numRuns, shrinkBudgetMs: property.shrinkBudgetMs }));
        return ctx.lock ? ctx.lock.run(false, play) : play();
      },
    });
  }
  if (vectors) cases.push(...vectorCases());
  return cases;
}

/** The runner's options that a client run passes straight through, plus what the client suite adds. */
export interface ClientSuiteOptions
  extends Pick<RunOptions, 'target' | 'harnessVersion' | 'seed' | 'strict' | 'options' | 'selection' | 'baseline' | 'concurrency' | 'onCaseDone' | 'onProgress'> {
  readonly context: ClientContext;
  readonly scenarios: readonly Scenario[];
  readonly property?: PropertySettings | undefined;
  /** Also deliver the parser vectors over the wire (one case per vector file). */
  readonly vectors?: boolean | undefined;
  readonly runTimeoutMs?: number | undefined;
}

/** Runs the client suite against one driver and returns the canonical RunResult (mode `client`). */
export function runClientSuite(o: ClientSuiteOptions): Promise<RunResult> {
  const context = o.context.lock ? o.context : { ...o.context, lock: new ExclusiveLock() };
  return runCases(clientCases(o.scenarios, o.property, o.vectors), context, {
    mode: 'client',
    target: o.target,
    harnessVersion: o.harnessVersion,
    seed: o.seed,
    strict: o.strict,
    options: o.options,
    selection: o.selection,
    baseline: o.baseline,
    concurrency: o.concurrency ?? o.context.driver.parallel,
    caseTimeoutMs: 60_000,
    runTimeoutMs: o.runTimeoutMs ?? 600_000,
    onCaseDone: o.onCaseDone,
    onProgress: o.onProgress,
  });
}
