/**
 * The one vocabulary every part of the harness speaks: cases, checks, verdicts, evidence and the
 * canonical JSON run result. Server checks (`check <url>`) and client checks (`client`) both
 * produce a {@link RunResult}; every report format is rendered from it. Cases never print and
 * reporters never decide verdicts.
 */

/**
 * Verdict of one check or case.
 * - PASS: the rule holds.
 * - FAIL: a MUST was violated; in cooperative mode also an event the target accepted for
 *   publishing that did not reach a stream open to it (seen, not inferred: held back by a buffer
 *   or compressor, or lost), which the harness's publishing contract promises.
 * - NON_STRICT: a SHOULD (or practice) was not followed; fails the run only with `--strict`.
 * - INFO: behaviour the spec leaves open; recorded, never fails.
 * - UNSUPPORTED: a capability the target declares (or is configured as) not offering.
 * - SKIP: deselected by the user.
 * - ERROR: the harness could not run the case (its own fault, or an adapter fault).
 * - TIMEOUT: the case did not finish within its time limit.
 */
export type Verdict = 'PASS' | 'FAIL' | 'NON_STRICT' | 'INFO' | 'UNSUPPORTED' | 'SKIP' | 'ERROR' | 'TIMEOUT';

export const VERDICTS: readonly Verdict[] = ['PASS', 'FAIL', 'NON_STRICT', 'INFO', 'UNSUPPORTED', 'SKIP', 'ERROR', 'TIMEOUT'];

/** Severity order used to roll checks up into a case verdict (higher wins). */
const SEVERITY: Record<Verdict, number> = {
  SKIP: 0, PASS: 1, INFO: 2, UNSUPPORTED: 3, NON_STRICT: 4, FAIL: 5, TIMEOUT: 6, ERROR: 7,
};

/** The worst verdict of a list; PASS for an empty list is wrong, so an empty list is an ERROR. */
export function rollUp(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return 'ERROR';
  let worst: Verdict = verdicts[0]!;
  for (const v of verdicts) if (SEVERITY[v] > SEVERITY[worst]) worst = v;
  return worst;
}

/** Whether a verdict fails the run: FAIL, ERROR, TIMEOUT always; NON_STRICT only when strict. */
export function failsRun(verdict: Verdict, strict: boolean): boolean {
  return verdict === 'FAIL' || verdict === 'ERROR' || verdict === 'TIMEOUT' || (strict && verdict === 'NON_STRICT');
}

/** One assertion inside a case. Several checks roll up into the case verdict. */
export interface CheckResult {
  /** Stable within its case, e.g. `status`, `content-type`; `caseId:checkName` addresses it in baselines. */
  readonly name: string;
  readonly verdict: Verdict;
  /** Requirement IDs (spec/catalog.ts) this check decides. */
  readonly requirementIds: readonly string[];
  /** What must happen, stated concretely for this run. */
  readonly expected: string;
  /** What was observed. */
  readonly actual: string;
  /** Set when the failure is a security finding (e.g. a protected stream served without credentials). */
  readonly security?: boolean | undefined;
}

/**
 * The bytes, headers, timings or observations that decided a case. `text` is always present and
 * human-readable; `data` optionally carries the structured form for tools.
 */
export interface Evidence {
  readonly kind: 'bytes' | 'headers' | 'timing' | 'requests' | 'events' | 'counterexample' | 'log' | 'text';
  readonly label: string;
  readonly text: string;
  readonly data?: unknown;
}

/** A measurement that is recorded but never gates (e.g. an actual reconnect delay). */
export interface Measurement {
  readonly name: string;
  readonly value: number;
  readonly unit: 'ms' | 'bytes' | 'count' | 'events/s';
}

/** Static description of a case, available without touching the network (`--list`). */
export interface CaseInfo {
  /** Stable dotted ID naming area and rule, e.g. `server.framing.utf8`. Never renamed. */
  readonly id: string;
  readonly title: string;
  /** Area used for selection and report grouping (e.g. `response`, `framing`, `replay`, `auth`). */
  readonly area: string;
  readonly requirementIds: readonly string[];
  /** What the harness does. */
  readonly description: string;
  /** What must happen for a PASS. */
  readonly expectation: string;
}

export interface CaseResult extends CaseInfo {
  readonly verdict: Verdict;
  /** For non-PASS verdicts, the one-line reason shown first in every report. */
  readonly reason?: string | undefined;
  readonly checks: readonly CheckResult[];
  readonly evidence: readonly Evidence[];
  readonly measurements: readonly Measurement[];
  readonly durationMs: number;
  /** Set when a baseline listed this case as an expected failure. */
  readonly expectedFailure?: { readonly reason: string } | undefined;
}

export interface RunSummary {
  readonly selected: number;
  readonly run: number;
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Baseline entries that no longer fail (stale: they fail the run). */
  readonly staleBaseline: readonly string[];
  /** Whether the run counts as conformant under the options used. */
  readonly ok: boolean;
  /** Set when the result is indeterminate (target unreachable, or no case could run): exit code 2. */
  readonly indeterminate?: string | undefined;
}

/** The canonical result of one harness run. Every report format is rendered from this. */
export interface RunResult {
  readonly schema: 'sse-conformance/run-result';
  readonly schemaVersion: 1;
  readonly harness: { readonly name: 'sse-conformance'; readonly version: string };
  /** `server`: `check <url>`; `client`: a client/browser run. */
  readonly mode: 'server' | 'client';
  /** What was tested: a URL, or a client name with its version. */
  readonly target: { readonly name: string; readonly url?: string | undefined; readonly version?: string | undefined };
  readonly seed: number;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly strict: boolean;
  /** The options that shaped the run (no secrets: tokens are redacted). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly summary: RunSummary;
  readonly cases: readonly CaseResult[];
}

export function emptyCounts(): Record<Verdict, number> {
  return { PASS: 0, FAIL: 0, NON_STRICT: 0, INFO: 0, UNSUPPORTED: 0, SKIP: 0, ERROR: 0, TIMEOUT: 0 };
}
