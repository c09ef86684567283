/**
 * The harness as a library (`sse-conformance/harness`): the same runs as the `check`, `client` and
 * `vectors` commands, returning the canonical run result that `--reporter json` writes. Options
 * are the CLI flags in camelCase (`--header-timeout 5000` → `{ headerTimeout: 5000 }`) and go
 * through the CLI's own option parser, so both accept and reject exactly the same things.
 *
 * @example Inside vitest, one test per case:
 * ```ts
 * import { describe, it } from 'vitest';
 * import { checkServer, caseResults } from 'sse-conformance/harness';
 *
 * const result = await checkServer('http://127.0.0.1:8080/events');
 * describe('SSE conformance', () => {
 *   for (const c of caseResults(result)) it(`${c.id}: ${c.title}`, () => c.assert());
 * });
 * ```
 */
import type { CaseResult, RunResult, Verdict } from './model.ts';
import { failsRun } from './model.ts';
import type { BrowserName } from './browsers.ts';
import { exitCodeFor } from './runner.ts';
import { UsageError } from '../scripts/cli.ts';
import { loadBaseline, parseCheckArgs, runCheck, writeReports } from '../scripts/commands/check.ts';
import { parseClientArgs, runClientTargets } from '../scripts/commands/client.ts';
import { parseReporterSpec } from '../scripts/commands/run-options.ts';
import { parseVectorsArgs, runVectorSuite } from '../scripts/commands/vectors.ts';

export type { CaseResult, CheckResult, Evidence, Measurement, RunResult, RunSummary, Verdict } from './model.ts';
export type { BrowserName } from './browsers.ts';

/** A harness option that the matching CLI flag would reject (unknown name, bad value); the message names it. */
export class HarnessOptionError extends TypeError {
  readonly code = 'SSEC_ERR_HARNESS_OPTION';
  override name = 'HarnessOptionError';
}

/** Options shared by every run: selection and results. */
export interface SelectionOptions {
  /** Case ID patterns, `*` = any run of characters (`--case`). */
  readonly case?: string | readonly string[] | undefined;
  /** Areas to run (`--area`). */
  readonly area?: string | readonly string[] | undefined;
  /** Case ID patterns to leave out (`--exclude`). */
  readonly exclude?: string | readonly string[] | undefined;
  /** Baseline file of known failures (`--expected-failures`). */
  readonly expectedFailures?: string | undefined;
  /** NON_STRICT findings fail the run too (`--strict`). */
  readonly strict?: boolean | undefined;
  /** Seed of generated data (`--seed`); the same seed replays a run. */
  readonly seed?: number | undefined;
  /** Also write reports, as `--reporter <format>[=<path>]` (without a path: to stdout). */
  readonly reporter?: string | readonly string[] | undefined;
  /** No progress display on stderr (`--quiet`); the library never shows one unless stderr is a terminal. */
  readonly quiet?: boolean | undefined;
}

/** Options of {@link checkServer}: the `check` command's flags in camelCase. */
export interface CheckServerOptions extends SelectionOptions {
  /** Extra request headers (`-H "Name: value"`), as lines or as an object. */
  readonly header?: string | readonly string[] | Readonly<Record<string, string>> | undefined;
  readonly bearer?: string | undefined;
  readonly protectedUrl?: string | undefined;
  readonly authQuery?: string | undefined;
  /** Publish endpoint: cooperative mode (`--publish`). */
  readonly publish?: string | undefined;
  readonly publishHeader?: string | readonly string[] | Readonly<Record<string, string>> | undefined;
  readonly publishToken?: string | undefined;
  readonly base64Events?: string | readonly string[] | undefined;
  /** Declared heartbeat interval in ms (`--heartbeat`). */
  readonly heartbeat?: number | undefined;
  /** How long to observe a stream in ms (`--observe`). */
  readonly observe?: number | undefined;
  readonly lastEventIdParam?: string | undefined;
  readonly noReplay?: boolean | undefined;
  /** Declared statuses as `<status>=<url>` (`--expect-status`). */
  readonly expectStatus?: string | readonly string[] | undefined;
  /** Other instances of the same deployment (`--peer`): runs the cluster cases. */
  readonly peer?: string | readonly string[] | undefined;
  /** Their publish URLs, in `peer` order (`--peer-publish`). */
  readonly peerPublish?: string | readonly string[] | undefined;
  /** Real browsers for the browser cases (`--browser`). */
  readonly browser?: BrowserName | readonly BrowserName[] | undefined;
  readonly expectCases?: number | undefined;
  readonly headerTimeout?: number | undefined;
  readonly deliveryTimeout?: number | undefined;
  readonly caseTimeout?: number | undefined;
  readonly runTimeout?: number | undefined;
  readonly propertyRuns?: number | undefined;
  readonly propertyTime?: number | undefined;
  readonly concurrency?: number | undefined;
  /** PEM file of CA certificates to trust for HTTPS targets (`--ca`). */
  readonly ca?: string | undefined;
  /** Skip certificate verification of HTTPS targets (`--insecure`; said in the result). */
  readonly insecure?: boolean | undefined;
}

/** The client under test for {@link checkClient}. */
export type ClientTarget =
  /** The reference EventSource, in-process. */
  | 'reference'
  /** A real browser: Chromium or Firefox through puppeteer-core, WebKit (WebKitGTK) through WebDriver. */
  | BrowserName
  /** Any client through an adapter command (`--exec`); the scenario URL is appended to it. */
  | { readonly exec: string; readonly name?: string | undefined }
  /** An adapter shipped in the package, by name (`--adapter`): `reference`, `undici`, `eventsource`. */
  | { readonly adapter: string; readonly name?: string | undefined };

/** Options of {@link checkClient}: the `client` command's flags in camelCase. */
export interface CheckClientOptions extends SelectionOptions {
  readonly propertyRuns?: number | undefined;
  readonly propertyTime?: number | undefined;
  /** Leave out the generated-stream scenario (`--no-property`). */
  readonly noProperty?: boolean | undefined;
  /** Also serve every parser vector over the wire (`--vectors`). */
  readonly vectors?: boolean | undefined;
  readonly concurrency?: number | undefined;
  readonly timeoutMultiplier?: number | undefined;
  /** Tolerance of lower-bound timing gates in ms (`--epsilon`). */
  readonly epsilon?: number | undefined;
}

/** Options of {@link runVectors}: the `vectors` command's flags in camelCase. */
export interface RunVectorsOptions {
  /** Vector ID pattern (`--filter`). */
  readonly filter?: string | undefined;
  /** Per-vector time limit in ms (`--timeout`). */
  readonly timeout?: number | undefined;
  readonly startupTimeout?: number | undefined;
  readonly perVector?: boolean | undefined;
  readonly expectedFailures?: string | undefined;
}

type OptionValue = string | number | boolean | undefined | readonly (string | number)[] | Readonly<Record<string, string>>;

/** `{ headerTimeout: 5000, header: { a: 'b' }, strict: true }` → `--header-timeout 5000 --header "a: b" --strict`. */
export function optionsToArgs(options: Readonly<Record<string, OptionValue>>, booleans: ReadonlySet<string>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (booleans.has(key)) {
      if (typeof value !== 'boolean') throw new HarnessOptionError(`option ${key} must be true or false, got ${JSON.stringify(value)}`);
      if (value) args.push(flag);
      continue;
    }
    if (typeof value === 'boolean') throw new HarnessOptionError(`option ${key} takes a value, got ${value}`);
    const values = typeof value === 'string' || typeof value === 'number' ? [value] : Array.isArray(value) ? (value as readonly (string | number)[]) : Object.entries(value).map(([k, v]) => `${k}: ${v}`);
    for (const v of values) args.push(flag, String(v));
  }
  return args;
}

const CHECK_BOOLEANS = new Set(['noReplay', 'strict', 'quiet', 'insecure']);
const CLIENT_BOOLEANS = new Set(['noProperty', 'vectors', 'strict', 'quiet']);
const VECTOR_BOOLEANS = new Set(['perVector']);

/** A CLI usage error, restated with the camelCase option names of this API. */
function optionError(error: unknown): unknown {
  if (!(error instanceof UsageError)) return error;
  return new HarnessOptionError(error.message.replace(/--([a-z][a-z0-9-]*)/g, (_, flag: string) => flag.replace(/-([a-z])/g, (__, c: string) => c.toUpperCase())));
}

/** Runs the CLI's own parser (or a step that may refuse an option); usage errors become HarnessOptionErrors. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw optionError(error);
  }
}

/** Reporter specs are checked before the run starts, so a bad one costs no run. */
function reporterSpecs(reporter: SelectionOptions['reporter']): ReturnType<typeof parseReporterSpec>[] {
  if (reporter === undefined) return [];
  return (typeof reporter === 'string' ? [reporter] : reporter).map((spec) => parsed(() => parseReporterSpec(spec)));
}

/**
 * Checks an SSE server endpoint, like `sse-conformance check <url>`. With only a URL it runs the
 * black-box check with the CLI's defaults. Never rejects for the target's behaviour (an
 * unreachable target is a result with `summary.indeterminate`); rejects with
 * {@link HarnessOptionError} for an option the CLI would refuse.
 */
export async function checkServer(url: string, options: CheckServerOptions = {}): Promise<RunResult> {
  const { reporter, quiet = true, ...rest } = options;
  const o = parsed(() => parseCheckArgs([url, ...optionsToArgs({ ...rest, quiet } as Record<string, OptionValue>, CHECK_BOOLEANS)]));
  const reporters = reporterSpecs(reporter);
  const baseline = o.baselineFile ? parsed(() => loadBaseline(o.baselineFile!)) : [];
  const result = await runCheck(o, baseline);
  writeReports(result, reporters);
  return result;
}

/**
 * Runs the client scenarios against one client, like `sse-conformance client`. Rejects when the
 * client cannot be started at all (e.g. the browser is not installed), naming why.
 */
export async function checkClient(target: ClientTarget, options: CheckClientOptions = {}): Promise<RunResult> {
  const targetArgs = target === 'reference' ? ['--reference'] : typeof target === 'string' ? ['--browser', target]
    : ['exec' in target ? '--exec' : '--adapter', 'exec' in target ? target.exec : target.adapter, ...(target.name === undefined ? [] : ['--name', target.name])];
  const { reporter, quiet = true, ...rest } = options;
  const o = parsed(() => parseClientArgs([...targetArgs, ...optionsToArgs({ ...rest, quiet } as Record<string, OptionValue>, CLIENT_BOOLEANS)]));
  const reporters = reporterSpecs(reporter);
  const problems: string[] = [];
  const { results } = await runClientTargets(o, (m) => problems.push(m)).catch((error: unknown) => { throw optionError(error); });
  const first = results[0];
  if (!first) throw new Error(`sse-conformance: cannot run ${problems.join('; ') || 'the client'}`);
  writeReports(first.result, reporters);
  return first.result;
}

/**
 * Runs the parser test vectors against a parser through an adapter command, like
 * `sse-conformance vectors --exec "<cmd>"` (protocol: fixtures/vectors/README.md in the package).
 */
export async function runVectors(adapterCommand: string, options: RunVectorsOptions = {}): Promise<RunResult> {
  const o = parsed(() => parseVectorsArgs(['--exec', adapterCommand, ...optionsToArgs(options as Record<string, OptionValue>, VECTOR_BOOLEANS)]));
  try {
    return (await runVectorSuite({ ...o, exec: adapterCommand })).result;
  } catch (error) {
    throw optionError(error);
  }
}

/** One case of a run, shaped for a test runner: `it(c.id, () => c.assert())`. */
export interface CaseOutcome {
  readonly id: string;
  readonly title: string;
  readonly verdict: Verdict;
  /** Whether this case fails the run (FAIL, ERROR, TIMEOUT; NON_STRICT under strict; never a baselined failure). */
  readonly failed: boolean;
  /** Why, with the failing checks' expected and actual values; empty when nothing failed. */
  readonly message: string;
  readonly case: CaseResult;
  /** Throws an Error carrying {@link message} when the case failed the run; returns otherwise. */
  assert(): void;
}

/** Turns a run result into per-case outcomes for a test runner (one `it` per case). */
export function caseResults(result: RunResult): CaseOutcome[] {
  return result.cases.map((c) => {
    const failed = failsRun(c.verdict, result.strict) && c.expectedFailure === undefined;
    const failing = c.checks.filter((k) => failsRun(k.verdict, result.strict));
    const message = failed
      ? [`${c.id}: ${c.verdict}${c.reason ? ` (${c.reason})` : ''}`, ...failing.map((k) => `  ${k.name} [${k.requirementIds.join(', ')}]: expected ${k.expected}; got ${k.actual}`)].join('\n')
      : '';
    return {
      id: c.id, title: c.title, verdict: c.verdict, failed, message, case: c,
      assert() {
        if (failed) throw new Error(message);
      },
    };
  });
}

/**
 * Throws when the run is not conformant (the CLI would exit non-zero): failures, stale baseline
 * entries, or an indeterminate run. The error lists every failing case.
 */
export function assertConformant(result: RunResult): void {
  const code = exitCodeFor(result);
  if (code === 0) return;
  const failing = caseResults(result).filter((c) => c.failed).map((c) => c.message);
  const stale = result.summary.staleBaseline.length ? [`stale baseline entries: ${result.summary.staleBaseline.join(', ')}`] : [];
  const why = result.summary.indeterminate !== undefined ? [`indeterminate: ${result.summary.indeterminate}`] : [];
  throw new Error(`${result.target.name}: not conformant (exit ${code})\n${[...why, ...failing, ...stale].join('\n')}`);
}
