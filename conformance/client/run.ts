/**
 * Runs client scenarios against one driver: mounts each scenario on a playback server, lets the
 * driver's client loose on its URL, stops once the scenario's until-condition (plus settle time)
 * holds or its time limit passes, and evaluates. Timing scenarios run alone, after the parallel pool.
 */
import type { CaseResult, RunResult } from '../model.ts';
import { emptyCounts, failsRun } from '../model.ts';
import { createPlaybackServer, type LoggedRequest, type PlaybackServer } from '../../reference/server/playback.ts';
import type { ClientDriver, DriverOutcome, Observation } from './driver.ts';
import { evaluateScenario } from './evaluate.ts';
import { requiredFeatures, type Scenario } from './scenario.ts';
import { runPropertyScenario, type PropertyOptions } from './property.ts';

export interface ClientRunOptions {
  readonly driver: ClientDriver;
  readonly scenarios: readonly Scenario[];
  /** Reuse a playback server (the browser driver serves its page from it); one is created otherwise. */
  readonly server?: PlaybackServer | undefined;
  /** Tolerance for lower-bound timing gates. @defaultValue 30 */
  readonly epsilonMs?: number | undefined;
  /** Multiplies every scenario's timeout (slow machines). @defaultValue 1 */
  readonly timeoutMultiplier?: number | undefined;
  readonly onCase?: ((result: CaseResult) => void) | undefined;
  /** Also run the generated scenario (conformance/client/property.ts) with these settings. */
  readonly property?: PropertyOptions | undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;
/**
 * How long a client has to make its first request. A scenario's time limit counts from that
 * request, not from the mount: a browser may need seconds to open its page on a loaded machine,
 * and a window it spent starting up would turn "slow to start" into missing events (a FAIL).
 */
const START_LIMIT_MS = 10_000;
/** Extra time for a driver to stop after being told to (beyond that: ERROR, the driver hangs). */
const STOP_GRACE_MS = 5000;

function untilMet(scenario: Scenario, observations: readonly Observation[], requests: readonly LoggedRequest[]): boolean {
  const u = scenario.until;
  if (u.events !== undefined && observations.filter((o) => o.kind === 'event').length < u.events) return false;
  if (u.errors !== undefined && observations.filter((o) => o.kind === 'error').length < u.errors) return false;
  if (u.requests !== undefined && requests.length < u.requests) return false;
  if (u.closed && !observations.some((o) => o.kind === 'closed' || (o.kind === 'error' && o.readyState === 2))) return false;
  return true;
}

/** Runs one scenario. Never throws: driver failures become ERROR results. */
export async function runScenario(scenario: Scenario, driver: ClientDriver, server: PlaybackServer, epsilonMs: number, timeoutMultiplier = 1): Promise<CaseResult> {
  const mounted = server.mount(scenario.server);
  const start = server.now();
  const observations: Observation[] = [];
  const abort = new AbortController();
  const timeoutMs = (scenario.timeoutMs ?? DEFAULT_TIMEOUT_MS) * timeoutMultiplier;
  let timedOut = false;
  let stoppedAt = Infinity;
  abort.signal.addEventListener('abort', () => (stoppedAt = server.now()), { once: true });
  let settleTimer: ReturnType<typeof setTimeout> | undefined;
  const expire = (): void => {
    timedOut = settleTimer === undefined;
    abort.abort();
  };
  // Until the first request: the start limit (plus the scenario's own, for a client that reports
  // without requesting); from it: the scenario's time limit.
  let limit = setTimeout(expire, START_LIMIT_MS * timeoutMultiplier + timeoutMs);
  let started = false;
  const check = (): void => {
    if (abort.signal.aborted) return;
    if (!started && mounted.requests.length > 0) {
      started = true;
      clearTimeout(limit);
      limit = setTimeout(expire, Math.max(0, mounted.requests[0]!.time + timeoutMs - server.now()));
    }
    if (settleTimer !== undefined) return;
    if (untilMet(scenario, observations, mounted.requests)) {
      settleTimer = setTimeout(() => abort.abort(), scenario.settleMs ?? 0);
    }
  };
  const poll = setInterval(check, 10);
  let outcome: DriverOutcome;
  try {
    const running = driver.run({
      caseId: scenario.id,
      url: mounted.url,
      eventTypes: ['message', ...(scenario.client?.eventTypes ?? [])],
      headers: scenario.client?.headers,
      closeOn: scenario.client?.closeOn,
      requires: requiredFeatures(scenario),
      timing: Boolean(scenario.timing),
      signal: abort.signal,
      observe: (o) => {
        if (abort.signal.aborted) return; // after the window: not part of the observation
        observations.push({ ...o, t: server.now() - start });
        check();
      },
    });
    // The driver must stop within a grace period once aborted, whatever it does.
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<DriverOutcome>((resolve) => {
      const arm = () => {
        graceTimer = setTimeout(() => resolve({ status: 'error', reason: `the driver did not stop within ${STOP_GRACE_MS} ms after the observation window` }), STOP_GRACE_MS);
      };
      if (abort.signal.aborted) arm();
      else abort.signal.addEventListener('abort', arm, { once: true });
    });
    outcome = await Promise.race([running, hung]);
    if (graceTimer) clearTimeout(graceTimer);
  } catch (error) {
    outcome = { status: 'error', reason: `driver failed: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearInterval(poll);
    clearTimeout(limit);
    if (settleTimer) clearTimeout(settleTimer);
    abort.abort();
  }
  const durationMs = server.now() - start;
  // Only what arrived inside the observation window counts, like the observations.
  const requests = mounted.requests.filter((r) => r.time <= stoppedAt).map((r) => ({
    ...r,
    time: r.time - start,
    endedAt: r.endedAt === undefined ? undefined : r.endedAt - start,
  }));
  mounted.unmount(); // after the snapshot: it ends the scenario's still-open responses
  return evaluateScenario(scenario, { observations, requests, outcome, timedOut, durationMs, epsilonMs });
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(width, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/** Runs scenarios (parallel ones first, then timing ones one at a time); results keep the input order. */
export async function runClientScenarios(options: ClientRunOptions): Promise<CaseResult[]> {
  const { driver, scenarios } = options;
  const epsilonMs = options.epsilonMs ?? 30;
  const server = options.server ?? (await createPlaybackServer());
  const results = new Map<string, CaseResult>();
  try {
    const record = async (scenario: Scenario): Promise<void> => {
      const result = await runScenario(scenario, driver, server, epsilonMs, options.timeoutMultiplier);
      results.set(scenario.id, result);
      options.onCase?.(result);
    };
    // The generated scenario runs its streams one after another, as one more lane beside the pool.
    let property: CaseResult | undefined;
    const propertyLane = options.property
      ? runPropertyScenario(driver, server, options.property).then((r) => {
          property = r;
          options.onCase?.(r);
        })
      : Promise.resolve();
    await Promise.all([pool(scenarios.filter((s) => !s.timing), Math.max(1, driver.parallel - (options.property ? 1 : 0)), record), propertyLane]);
    await pool(scenarios.filter((s) => s.timing), 1, record);
    const ordered = scenarios.map((s) => results.get(s.id)!);
    return property ? [...ordered, property] : ordered;
  } finally {
    if (!options.server) await server.close();
  }
}

export interface RunMeta {
  readonly harnessVersion: string;
  readonly target: { readonly name: string; readonly version?: string | undefined; readonly url?: string | undefined };
  readonly seed: number;
  readonly startedAt: Date;
  readonly strict: boolean;
  readonly options: Readonly<Record<string, unknown>>;
  readonly selected?: number | undefined;
}

/** Wraps case results into the canonical RunResult (mode `client`). Baseline handling is the caller's. */
export function clientRunResult(cases: readonly CaseResult[], meta: RunMeta, staleBaseline: readonly string[] = []): RunResult {
  const counts = emptyCounts();
  for (const c of cases) counts[c.verdict]++;
  const ok = staleBaseline.length === 0 && cases.every((c) => c.expectedFailure !== undefined || !failsRun(c.verdict, meta.strict));
  return {
    schema: 'sse-conformance/run-result',
    schemaVersion: 1,
    harness: { name: 'sse-conformance', version: meta.harnessVersion },
    mode: 'client',
    target: meta.target,
    seed: meta.seed,
    startedAt: meta.startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    strict: meta.strict,
    options: meta.options,
    summary: { selected: meta.selected ?? cases.length, run: cases.filter((c) => c.verdict !== 'SKIP').length, counts, staleBaseline, ok },
    cases,
  };
}
