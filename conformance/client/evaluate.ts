/**
 * Turns what a scenario run observed (client observations + the server's request log) into a
 * CaseResult: one CheckResult per scenario check, graded by the check's level, rolled up.
 * Timing: only lower bounds gate (minus epsilon); every delay is recorded as a measurement.
 */
import type { CaseResult, CheckResult, Evidence, Measurement, Verdict } from '../model.ts';
import { rollUp } from '../model.ts';
import type { LoggedRequest } from '../../reference/server/playback.ts';
import type { DriverOutcome, Observation } from './driver.ts';
import { checkLevel, type CheckLevel, type Scenario, type ScenarioCheck } from './scenario.ts';

export interface RunObservation {
  readonly observations: readonly Observation[];
  /** Requests of this scenario with times relative to the scenario start. */
  readonly requests: readonly LoggedRequest[];
  readonly outcome: DriverOutcome;
  /** The until-condition was not met before timeoutMs. */
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly epsilonMs: number;
}

const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSED'];

function failVerdict(level: CheckLevel): Verdict {
  return level === 'MUST' ? 'FAIL' : level === 'SHOULD' ? 'NON_STRICT' : 'INFO';
}

function show(text: string | undefined): string {
  return text === undefined ? '(absent)' : JSON.stringify(text);
}

export function describeObservation(o: Observation): string {
  const rs = o.readyState === undefined ? '' : ` readyState=${o.readyState}`;
  if (o.kind === 'event') return `+${Math.round(o.t)}ms event ${o.type ?? 'message'} data=${JSON.stringify(o.data)} lastEventId=${show(o.lastEventId)}${rs}`;
  return `+${Math.round(o.t)}ms ${o.kind}${rs}`;
}

const SHOWN_HEADERS = ['accept', 'cache-control', 'pragma', 'last-event-id', 'authorization', 'x-sse-conformance', 'origin'];

export function describeRequest(r: LoggedRequest): string {
  const headers = SHOWN_HEADERS.filter((h) => h in r.headers).map((h) => `${h}: ${JSON.stringify(r.headers[h])}`).join(', ');
  const ended = r.endedAt === undefined ? 'open at end of run' : `${r.endedBy} at +${Math.round(r.endedAt)}ms`;
  return `#${r.index} +${Math.round(r.time)}ms ${r.method} ${r.path} -> ${r.status ?? '?'} (${ended}) {${headers}}`;
}

function eventText(e: { type?: string | undefined; data?: string | undefined; lastEventId?: string | undefined }, withId: boolean): string {
  return `${e.type ?? 'message'}:${JSON.stringify(e.data)}${withId ? `#${show(e.lastEventId)}` : ''}`;
}

/** Delay from the end of response `index - 1` to the arrival of request `index`, when both happened. */
export function reconnectDelay(requests: readonly LoggedRequest[], index: number): number | undefined {
  const previous = requests[index - 1];
  const current = requests[index];
  if (!previous || !current || previous.endedAt === undefined) return undefined;
  return current.time - previous.endedAt;
}

function evaluateCheck(check: ScenarioCheck, run: RunObservation, measurements: Measurement[]): CheckResult {
  const level = checkLevel(check);
  const base = { name: check.name, requirementIds: check.requirementIds };
  const result = (ok: boolean, expected: string, actual: string, verdictIfOk: Verdict = 'PASS'): CheckResult => ({
    ...base,
    verdict: ok ? verdictIfOk : failVerdict(level),
    expected,
    actual,
  });
  const obs = run.observations;
  const shown = obs.filter((o) => o.kind !== 'closed');
  const allEvents = obs.filter((o) => o.kind === 'event');
  const requests = run.requests;
  switch (check.kind) {
    case 'events': {
      const events = check.prefix ? allEvents.slice(0, check.events.length) : allEvents;
      const withId = check.events.some((e) => e.lastEventId !== undefined);
      const expected = check.events.map((e) => eventText(e, e.lastEventId !== undefined)).join(', ');
      const actual = events.map((e, i) => eventText(e, check.events[i]?.lastEventId !== undefined || (withId && i >= check.events.length))).join(', ');
      const ok = events.length === check.events.length && check.events.every((e, i) => {
        const o = events[i]!;
        return (e.type ?? 'message') === (o.type ?? 'message') && e.data === o.data && (e.lastEventId === undefined || e.lastEventId === o.lastEventId);
      });
      return result(ok, expected || '(no events)', actual || '(no events)');
    }
    case 'sequence': {
      const actual = shown.map((o) => o.kind);
      const ok = actual.length === check.sequence.length && check.sequence.every((k, i) => actual[i] === k);
      return result(ok, check.sequence.join(', '), actual.join(', ') || '(nothing)');
    }
    case 'ready-states': {
      const states = shown.filter((o) => o.kind !== 'event');
      const expected = check.readyStates.map((s) => READY_STATE_NAMES[s]).join(', ');
      if (states.some((o) => o.readyState === undefined)) {
        return { ...base, verdict: 'UNSUPPORTED', expected, actual: 'the client did not report readyState in its open/error observations' };
      }
      const actual = states.map((o) => READY_STATE_NAMES[o.readyState!] ?? String(o.readyState)).join(', ');
      const ok = states.length === check.readyStates.length && check.readyStates.every((s, i) => states[i]!.readyState === s);
      return result(ok, expected, actual || '(no open/error)');
    }
    case 'fails-connection': {
      const errors = shown.filter((o) => o.kind === 'error');
      const others = shown.filter((o) => o.kind !== 'error');
      const last = errors.at(-1);
      const closedSeen = obs.some((o) => o.kind === 'closed');
      const endsClosed = last !== undefined && (last.readyState === 2 || (last.readyState === undefined && closedSeen));
      const ok = errors.length === 1 && others.length === 0 && endsClosed;
      const state = last === undefined ? '' : last.readyState !== undefined ? ` with readyState ${READY_STATE_NAMES[last.readyState] ?? last.readyState}` : closedSeen ? ' then closed' : ' (no CLOSED state reported)';
      return result(ok, 'exactly one error, readyState CLOSED, no open or message', `${shown.map((o) => o.kind).join(', ') || 'nothing'}${state}`);
    }
    case 'not-closed': {
      const closed = obs.some((o) => o.kind === 'closed' || (o.kind === 'error' && o.readyState === 2));
      return result(!closed, 'the client never reaches CLOSED', closed ? 'the client reached CLOSED' : 'still connecting/open');
    }
    case 'request-count': {
      const n = requests.length;
      const parts: string[] = [];
      if (check.equals !== undefined) parts.push(`exactly ${check.equals}`);
      if (check.min !== undefined) parts.push(`at least ${check.min}`);
      if (check.max !== undefined) parts.push(`at most ${check.max}`);
      const ok = (check.equals === undefined || n === check.equals) && (check.min === undefined || n >= check.min) && (check.max === undefined || n <= check.max);
      return result(ok, `${parts.join(' and ')} request(s)`, `${n} request(s): ${requests.map((r) => `${r.path}->${r.status ?? '?'}`).join(', ')}`);
    }
    case 'request-header': {
      const request = requests[check.request];
      const name = check.header.toLowerCase();
      let expected: string;
      if (check.equalsUtf8 !== undefined) expected = `${check.header} bytes ${Buffer.from(check.equalsUtf8, 'utf8').toString('hex')} (UTF-8 of ${JSON.stringify(check.equalsUtf8)})`;
      else if (check.contains !== undefined) expected = `${check.header} containing ${JSON.stringify(check.contains)}`;
      else expected = check.equals === null ? `no ${check.header} header` : `${check.header}: ${JSON.stringify(check.equals)}`;
      expected = `request #${check.request}: ${expected}`;
      if (!request) return result(false, expected, `request #${check.request} never arrived (${requests.length} request(s))`);
      const value = request.headers[name];
      let ok: boolean;
      let actual = value === undefined ? `no ${check.header} header` : `${check.header}: ${JSON.stringify(value)}`;
      if (check.equalsUtf8 !== undefined) {
        const bytes = value === undefined ? undefined : Buffer.from(value, 'latin1');
        ok = bytes !== undefined && bytes.equals(Buffer.from(check.equalsUtf8, 'utf8'));
        if (bytes) actual = `${check.header} bytes ${bytes.toString('hex')}`;
      } else if (check.contains !== undefined) ok = value !== undefined && value.toLowerCase().includes(check.contains.toLowerCase());
      else ok = check.equals === null ? value === undefined : value === check.equals;
      return result(ok, expected, actual);
    }
    case 'request-method': {
      const request = requests[check.request];
      return result(request?.method === check.method, `request #${check.request} uses ${check.method}`, request ? request.method : 'no such request');
    }
    case 'request-path': {
      const a = requests[check.request];
      const b = requests[check.sameAs];
      const expected = `request #${check.request} asks for the same path as request #${check.sameAs}${b ? ` (${b.path})` : ''}`;
      if (!a || !b) return result(false, expected, `only ${requests.length} request(s): ${requests.map((r) => r.path).join(', ')}`);
      return result(a.path === b.path, expected, `request #${check.request} asked for ${a.path}`);
    }
    case 'reconnect-delay': {
      const delay = reconnectDelay(requests, check.request);
      const parts: string[] = [];
      if (check.minMs !== undefined) parts.push(`>= ${check.minMs} ms (gate: ${check.minMs - run.epsilonMs} ms with epsilon ${run.epsilonMs} ms)`);
      if (check.maxMs !== undefined) parts.push(`<= ${check.maxMs} ms`);
      const expected = `request #${check.request} arrives ${parts.join(' and ') || '(measured only)'} after response #${check.request - 1} ended`;
      if (delay === undefined) {
        const ended = requests[check.request - 1]?.endedAt !== undefined;
        return result(false, expected, ended ? `no request #${check.request} within the observation window` : `response #${check.request - 1} never ended`);
      }
      measurements.push({ name: `${check.name}`, value: Math.round(delay), unit: 'ms' });
      const actual = `${Math.round(delay)} ms`;
      if (check.minMs !== undefined && delay < check.minMs - run.epsilonMs) return result(false, expected, `${actual} (too early)`);
      if (check.maxMs !== undefined && delay > check.maxMs) return result(false, expected, `${actual} (above ${check.maxMs} ms)`);
      return result(true, expected, actual, check.minMs === undefined && check.maxMs === undefined ? 'INFO' : 'PASS');
    }
  }
}

/** Evaluates one scenario run into a CaseResult. */
export function evaluateScenario(scenario: Scenario, run: RunObservation): CaseResult {
  const info = {
    id: scenario.id,
    title: scenario.title,
    area: scenario.area,
    requirementIds: scenario.requirementIds,
    description: scenario.description,
    expectation: scenario.expectation,
  };
  const evidence: Evidence[] = [
    {
      kind: 'events',
      label: 'observed by the client',
      text: run.observations.map(describeObservation).join('\n') || '(nothing observed)',
      data: run.observations,
    },
    {
      kind: 'requests',
      label: 'request log (server side)',
      text: run.requests.map(describeRequest).join('\n') || '(no request arrived)',
      data: run.requests.map((r) => ({ index: r.index, time: Math.round(r.time), method: r.method, path: r.path, status: r.status, headers: r.headers, endedAt: r.endedAt === undefined ? undefined : Math.round(r.endedAt), endedBy: r.endedBy })),
    },
  ];
  if (run.outcome.log) evidence.push({ kind: 'log', label: 'driver log', text: run.outcome.log });
  const base = { ...info, evidence, durationMs: Math.round(run.durationMs) };
  if (run.outcome.status === 'unsupported') {
    return { ...base, verdict: 'UNSUPPORTED', reason: run.outcome.reason, checks: [], measurements: [] };
  }
  if (run.outcome.status === 'error') {
    return { ...base, verdict: 'ERROR', reason: run.outcome.reason, checks: [], measurements: [] };
  }
  if (run.timedOut && run.observations.length === 0 && run.requests.length === 0) {
    return { ...base, verdict: 'TIMEOUT', reason: 'the client made no request and reported nothing within the time limit', checks: [], measurements: [] };
  }
  const measurements: Measurement[] = [];
  const checks = scenario.checks.map((c) => evaluateCheck(c, run, measurements));
  for (const m of measurements) evidence.push({ kind: 'timing', label: m.name, text: `${m.value} ms` });
  const verdict = rollUp(checks.map((c) => c.verdict));
  const worst = checks.find((c) => c.verdict === verdict && c.verdict !== 'PASS');
  const reason = worst ? `${worst.name}: expected ${worst.expected}; got ${worst.actual}` : undefined;
  return { ...base, verdict, reason, checks, measurements };
}
