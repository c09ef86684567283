// Cooperative cases: payloads that are hard to frame round-trip exactly, and a property-based run
// (fast-check, seeded) of generated payloads with generated disconnect/reconnect points.
import type * as FastCheck from 'fast-check';
import type { CheckResult, Evidence } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { bytesEvidence, eventsEvidence, headersEvidence } from './capture-evidence.ts';
import type { ServerCase, ServerContext } from './context.ts';
import { expectedData, publishSession } from './publish-session.ts';
import { noStream } from './response.ts';

/** Payloads that break naive framing; each must arrive as sent (CR and CRLF normalised to LF). */
export const ROUND_TRIP_PAYLOADS: readonly { readonly name: string; readonly data: string }[] = [
  { name: 'plain', data: 'hello' },
  { name: 'lf', data: 'line one\nline two' },
  { name: 'cr', data: 'line one\rline two' },
  { name: 'crlf', data: 'line one\r\nline two' },
  { name: 'trailing-newline', data: 'ends with newline\n' },
  { name: 'blank-lines', data: 'a\n\nb' },
  { name: 'leading-space', data: ' leading space' },
  { name: 'two-leading-spaces', data: '  two spaces' },
  { name: 'colon', data: 'data: looks like a field' },
  { name: 'leading-colon', data: ':looks like a comment' },
  { name: 'nul', data: 'nul\u0000inside' },
  { name: 'non-ascii', data: 'ünïcödé ✓ 漢字 😀' },
  { name: 'bom-inside', data: '\uFEFFbom first' },
  { name: 'empty', data: '' },
  { name: 'long-line', data: 'x'.repeat(64 * 1024) },
];

function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…(${s.length} chars)` : s);
}

const roundTripCase: ServerCase = {
  id: 'server.publish.round-trip',
  title: 'Hard payloads round-trip exactly',
  area: 'publish',
  requirementIds: ['SRV-DATA-MULTILINE', 'SRV-VALUE-LEADING-SPACE', 'SRV-UTF8', 'SRV-ABNF', 'FIELD-DATA-APPEND'],
  description: `Cooperative: publish ${ROUND_TRIP_PAYLOADS.length} payloads (LF, CR, CRLF, leading spaces, colons, NUL, non-ASCII, BOM, empty, a 64 KiB line) and read them as a client would.`,
  expectation: 'Each arrives in order with exactly the published data (CR and CRLF become LF, as the server must normalise them).',
  async run(ctx, signal) {
    if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish)', checks: [] };
    const channel = ctx.channel('round-trip');
    const type = `ssec-rt-${ctx.nonce}`;
    const s = await publishSession(ctx, signal, { channel, type, publish: ROUND_TRIP_PAYLOADS.map((p) => ({ event: type, data: p.data })), expect: ROUND_TRIP_PAYLOADS.length });
    const evidence: Evidence[] = [headersEvidence(s.result), eventsEvidence(s.received), bytesEvidence(s.result)];
    const why = noStream(s.result);
    if (why) return { verdict: 'ERROR', reason: `no stream: ${why}`, checks: [], evidence };
    const failed = s.outcomes.findIndex((o) => !o.ok);
    if (failed >= 0) return { verdict: 'ERROR', reason: `publishing payload ${ROUND_TRIP_PAYLOADS[failed]!.name} failed: ${s.outcomes[failed]!.detail}`, checks: [], evidence };
    const checks: CheckResult[] = ROUND_TRIP_PAYLOADS.map((p, i) => {
      const got = s.received[i];
      const want = expectedData(p.data);
      return check(p.name, got?.data === want ? 'PASS' : 'FAIL', ['SRV-DATA-MULTILINE'], show(want), got ? show(got.data) : 'no event');
    });
    if (s.received.length > ROUND_TRIP_PAYLOADS.length) checks.push(check('extra-events', 'FAIL', ['SRV-DATA-MULTILINE'], `${ROUND_TRIP_PAYLOADS.length} events`, `${s.received.length} events`));
    return { checks, evidence };
  },
};

interface Scenario {
  readonly payloads: readonly string[];
  /** Disconnect after receiving this many events; the rest is published while away. */
  readonly disconnectAfter: number;
}

type FC = typeof FastCheck.default;

/** Loaded on first use: `--list` and runs without the property case never pay for fast-check. */
async function loadFastCheck(): Promise<FC> {
  return (await import('fast-check')).default;
}

/** Payload lists mixing framing characters (CR, LF, CRLF, spaces, colons, NUL, non-ASCII, BOM), and a disconnect point. */
export function scenarioArbitrary(fc: FC): FastCheck.Arbitrary<Scenario> {
  const framingChars = fc.constantFrom('\n', '\r', '\r\n', ' ', ':', '\u0000', 'é', '😀', '\uFEFF', 'data:', 'id: 1');
  return fc
    .array(fc.array(fc.oneof(fc.string({ maxLength: 6 }), framingChars), { maxLength: 5 }).map((parts) => parts.join('')), { minLength: 1, maxLength: 5 })
    .chain((payloads) => fc.record({ payloads: fc.constant(payloads), disconnectAfter: fc.integer({ min: 1, max: payloads.length }) }));
}

const NO_REPLAY = 'no-replay';

/** Runs one scenario; returns undefined when it holds, NO_REPLAY when the server replays nothing, else what went wrong. */
async function runScenario(ctx: ServerContext, signal: AbortSignal, scenario: Scenario, index: number): Promise<string | undefined> {
  const channel = ctx.channel(`prop${index}`);
  const type = `ssec-prop-${ctx.nonce}-${index}`;
  const head = scenario.payloads.slice(0, scenario.disconnectAfter);
  const tail = scenario.payloads.slice(scenario.disconnectAfter);
  const first = await publishSession(ctx, signal, { channel, type, publish: head.map((data) => ({ event: type, data })), expect: head.length });
  if (noStream(first.result)) return `first connection: ${noStream(first.result)}`;
  const got1 = first.received.map((e) => e.data);
  if (JSON.stringify(got1) !== JSON.stringify(head.map(expectedData))) return `before the disconnect: expected ${JSON.stringify(head.map(expectedData))}, got ${JSON.stringify(got1)}`;
  const lastId = first.received[first.received.length - 1]?.lastEventId ?? '';
  if (!lastId) return 'events carry no id: cannot reconnect with Last-Event-ID';
  for (const data of tail) {
    const o = await ctx.publish(channel, { event: type, data }, signal);
    if (!o.ok) return `publish while disconnected failed: ${o.detail}`;
  }
  const second = await publishSession(ctx, signal, { channel, type, publish: [{ event: type, data: 'end' }], expect: tail.length + 1, lastEventId: lastId });
  const got2 = second.received.map((e) => e.data);
  const want2 = [...tail.map(expectedData), 'end'];
  // Only the live event came back: the server does not replay at all (judged by the replay cases).
  if (tail.length && got2.length === 1 && got2[0] === 'end') return NO_REPLAY;
  if (JSON.stringify(got2) !== JSON.stringify(want2)) return `after reconnecting with Last-Event-ID ${JSON.stringify(lastId)}: expected ${JSON.stringify(want2)}, got ${JSON.stringify(got2)}`;
  return undefined;
}

const propertyCase: ServerCase = {
  id: 'server.publish.property',
  title: 'Generated payloads survive generated disconnects (property-based)',
  area: 'publish',
  requirementIds: ['SRV-DATA-MULTILINE', 'SRV-LAST-EVENT-ID-RESUME', 'SRV-VALUE-LEADING-SPACE'],
  description: 'Cooperative, fast-check: generate payload lists mixing CR, LF, CRLF, spaces, colons, NUL, non-ASCII and a disconnect point; publish, disconnect, publish the rest while away, reconnect with Last-Event-ID. Bounded runs; the seed is printed and --seed replays it.',
  expectation: 'Every payload arrives exactly once, in order, with exact data (CR/CRLF normalised to LF). A failure shows the shrunk counterexample.',
  timeoutMs: 45_000, // its own budget (--property-time, default 20 s) plus one scenario in flight
  async run(ctx, signal): Promise<CaseOutcome> {
    if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish)', checks: [] };
    if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [] };
    let index = 0;
    let lastProblem = '';
    let noReplaySeen = 0;
    const fc = await loadFastCheck();
    const details = await fc.check(
      fc.asyncProperty(scenarioArbitrary(fc), async (scenario) => {
        const problem = await runScenario(ctx, signal, scenario, index++);
        if (problem === NO_REPLAY) {
          noReplaySeen++;
          return true;
        }
        if (problem) lastProblem = problem;
        return problem === undefined;
      }),
      { seed: ctx.seed, numRuns: ctx.config.propertyRuns, interruptAfterTimeLimit: ctx.config.propertyTimeMs, markInterruptAsFailure: false, maxSkipsPerRun: 0 },
    );
    const evidence: Evidence[] = [{ kind: 'text', label: 'replay', text: `seed ${ctx.seed}; replay with --seed ${ctx.seed}${details.counterexamplePath ? ` (fast-check path ${details.counterexamplePath})` : ''}; ${details.numRuns} runs${details.interrupted ? ' (interrupted by the time limit)' : ''}` }];
    // fast-check reports a run cut by the time limit before it finished as failed without a counterexample: not a finding.
    const realFailure = details.failed && details.counterexample !== null && details.counterexample !== undefined;
    if (details.failed && !realFailure && !details.errorInstance) {
      if (details.numRuns === 0) return { verdict: 'TIMEOUT', reason: `no generated scenario completed within the ${ctx.config.propertyTimeMs} ms property budget (--property-time)`, checks: [], evidence };
      return { checks: [check('property', 'PASS', ['SRV-DATA-MULTILINE', 'SRV-LAST-EVENT-ID-RESUME'], 'every generated payload delivered once, exactly, across the disconnect', `${details.numRuns} generated scenarios held before the time budget ran out (seed ${ctx.seed})`)], evidence };
    }
    if (details.failed) {
      const counterexample = details.counterexample?.[0];
      if (!lastProblem && details.errorInstance) lastProblem = `the scenario threw: ${String(details.errorInstance)}`;
      evidence.push({ kind: 'counterexample', label: 'shrunk counterexample', text: `${JSON.stringify(counterexample)}\n${lastProblem}`, data: { seed: ctx.seed, path: details.counterexamplePath, counterexample } });
      return {
        checks: [check('property', 'FAIL', ['SRV-DATA-MULTILINE', 'SRV-LAST-EVENT-ID-RESUME'], 'every generated payload delivered once, exactly, across the disconnect',
          `counterexample ${JSON.stringify(counterexample)} (seed ${ctx.seed}, path ${details.counterexamplePath ?? '-'}): ${lastProblem}`)],
        evidence,
      };
    }
    if (details.numRuns === 0) return { verdict: 'TIMEOUT', reason: 'no property run completed within the time limit', checks: [], evidence };
    if (noReplaySeen) {
      return { checks: [check('property', 'NON_STRICT', ['SRV-LAST-EVENT-ID-RESUME'], 'every generated payload delivered once, exactly, across the disconnect',
        `${noReplaySeen} of ${details.numRuns} scenarios got nothing of what was published while disconnected: the server does not replay (declare --no-replay if intended); data integrity held otherwise (seed ${ctx.seed})`)], evidence };
    }
    return { checks: [check('property', 'PASS', ['SRV-DATA-MULTILINE', 'SRV-LAST-EVENT-ID-RESUME'], 'every generated payload delivered once, exactly, across the disconnect', `${details.numRuns} generated scenarios held (seed ${ctx.seed})`)], evidence };
  },
};

export const PUBLISH_CASES: readonly ServerCase[] = [roundTripCase, propertyCase];
