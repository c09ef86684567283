// Last-Event-ID replay cases: ids are fresh and ordered; a reconnect naming an id resumes right
// after it, with no duplicate and no gap; the declared query-parameter form works the same.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#the-last-event-id-header
import type { CheckResult, Evidence } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { eventsEvidence, headersEvidence } from './capture-evidence.ts';
import type { ServerCase, ServerContext } from './context.ts';
import { publishSession } from './publish-session.ts';
import { noStream } from './response.ts';
import type { TimedEvent } from './stream-reader.ts';
import { analyse } from './framing.ts';
import type { WireLine } from './wire-lint.ts';

/** Events that set an id (the last event ID changed), with that id. */
export function idEvents(events: readonly TimedEvent[], initial = ''): { event: TimedEvent; id: string }[] {
  const out: { event: TimedEvent; id: string }[] = [];
  let last = initial;
  for (const e of events) {
    if (e.lastEventId !== last && e.lastEventId !== '') out.push({ event: e, id: e.lastEventId });
    last = e.lastEventId;
  }
  return out;
}

const DECIMAL = /^[0-9]{1,15}$/;

/** Non-empty `id` field values in wire order (ids with NUL are ignored by clients and judged elsewhere). */
export function wireIds(lines: readonly WireLine[]): { id: string }[] {
  const out: { id: string }[] = [];
  lines.forEach((line, i) => {
    const text = i === 0 ? line.text.replace(/^\uFEFF/, '') : line.text;
    if (line.ending === '' || !(text === 'id' || text.startsWith('id:'))) return;
    let value = text.slice(3);
    if (value.startsWith(' ')) value = value.slice(1);
    if (value !== '' && !value.includes('\u0000')) out.push({ id: value });
  });
  return out;
}

const idsCase: ServerCase = {
  id: 'server.replay.ids-fresh',
  title: 'Event ids never repeat and numeric ids increase',
  area: 'replay',
  requirementIds: ['SRV-IDS-FRESH', 'SRV-LAST-EVENT-ID-RESUME', 'FIELD-ID-SET'],
  description: 'Collect the ids of the observed events (primary capture).',
  expectation: 'No id is sent twice on one stream; when every id is a decimal number, each is larger than the one before (so Last-Event-ID names one position). Opaque ids are only checked for repeats.',
  async run(ctx) {
    const capture = await ctx.primary();
    const r = capture.result;
    const why = noStream(r);
    if (why) return { verdict: 'ERROR', reason: `no stream to judge: ${why}`, checks: [], evidence: [headersEvidence(r)] };
    // Ids as written on the wire (an id repeated on every event does not change lastEventId, so the
    // parsed events alone would hide the repeat).
    const ids = wireIds(analyse(capture).lines);
    const evidence: Evidence[] = [eventsEvidence(r.events)];
    if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [], evidence };
    if (ids.length < 2) return { verdict: 'UNSUPPORTED', reason: `the server sent ${ids.length ? 'only one event id' : 'no event ids'} during the observation, so ids and replay cannot be judged`, checks: [], evidence };
    const checks: CheckResult[] = [];
    const seen = new Set<string>();
    const repeats = ids.filter(({ id }) => (seen.has(id) ? true : (seen.add(id), false)));
    checks.push(check('unique', repeats.length ? 'FAIL' : 'PASS', ['SRV-IDS-FRESH'], 'every id sent once', repeats.length ? `id ${JSON.stringify(repeats[0]!.id)} sent again (${repeats.length} repeats in ${ids.length} ids)` : `${ids.length} distinct ids`));
    if (ids.every(({ id }) => DECIMAL.test(id))) {
      const drops = ids.findIndex(({ id }, i) => i > 0 && Number(id) <= Number(ids[i - 1]!.id));
      checks.push(check('increasing', drops < 0 ? 'PASS' : 'FAIL', ['SRV-IDS-FRESH'], 'numeric ids strictly increase', drops < 0 ? `ids ${ids.slice(0, 8).map((x) => x.id).join(', ')}${ids.length > 8 ? ', …' : ''}` : `id ${ids[drops]!.id} follows ${ids[drops - 1]!.id}`));
    } else {
      checks.push(check('increasing', 'INFO', ['SRV-IDS-FRESH'], 'numeric ids strictly increase', `ids are not all decimal numbers (e.g. ${JSON.stringify(ids[0]!.id)}): order not judged`));
    }
    return { checks, evidence };
  },
};

interface ReplayPlan {
  /** Events before the reconnect, the id to resume after, and what must follow. */
  readonly before: readonly TimedEvent[];
  readonly resumeId: string;
  readonly mustFollow: readonly TimedEvent[];
  readonly type: string | undefined;
  readonly channel: string;
}

function sameEvent(a: TimedEvent, b: TimedEvent): boolean {
  return a.type === b.type && a.data === b.data && a.lastEventId === b.lastEventId;
}

function describe(e: TimedEvent | undefined): string {
  return e ? JSON.stringify({ type: e.type, data: e.data.slice(0, 60), id: e.lastEventId }) : 'nothing';
}

/** Cooperative: publish 4 tagged events, resume after the 2nd. Black-box: resume after the first observed id. */
async function plan(ctx: ServerContext, signal: AbortSignal): Promise<ReplayPlan | CaseOutcome> {
  if (ctx.cooperative) {
    const channel = ctx.channel('replay');
    const type = `ssec-replay-${ctx.nonce}`;
    const first = await publishSession(ctx, signal, { channel, type, publish: [0, 1, 2, 3].map((i) => ({ event: type, data: `replay-${i}` })), expect: 4 });
    const evidence = [headersEvidence(first.result), eventsEvidence(first.received, 'first connection')];
    const why = noStream(first.result);
    if (why) return { verdict: 'ERROR', reason: `no stream: ${why}`, checks: [], evidence };
    const failed = first.outcomes.find((o) => !o.ok);
    if (failed) return { verdict: 'ERROR', reason: `publish failed: ${failed.detail}`, checks: [], evidence };
    if (first.received.length < 4) return { verdict: 'ERROR', reason: `only ${first.received.length} of 4 published events arrived on the first connection`, checks: [], evidence };
    if (first.received.some((e) => e.lastEventId === '')) return { verdict: 'UNSUPPORTED', reason: 'published events carry no ids: nothing to resume from', checks: [], evidence };
    return { before: first.received.slice(0, 2), resumeId: first.received[1]!.lastEventId, mustFollow: first.received.slice(2), type, channel };
  }
  const capture = await ctx.primary();
  const why = noStream(capture.result);
  if (why) return { verdict: 'ERROR', reason: `no stream: ${why}`, checks: [], evidence: [headersEvidence(capture.result)] };
  const ids = idEvents(capture.result.events);
  if (ids.length < 2) return { verdict: 'UNSUPPORTED', reason: `the server sent ${ids.length ? 'only one event id' : 'no event ids'} during the observation: replay cannot be judged (a server without ids offers no resumption)`, checks: [], evidence: [eventsEvidence(capture.result.events)] };
  const idx = capture.result.events.indexOf(ids[0]!.event);
  return { before: capture.result.events.slice(0, idx + 1), resumeId: ids[0]!.id, mustFollow: capture.result.events.slice(idx + 1, idx + 6), type: undefined, channel: capture.url };
}

async function replayOutcome(ctx: ServerContext, signal: AbortSignal, via: 'header' | 'query'): Promise<CaseOutcome> {
  if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [] };
  const p = await plan(ctx, signal);
  if (!('resumeId' in p)) return p;
  const param = ctx.config.lastEventIdParam!;
  const req = via === 'header' ? { lastEventId: p.resumeId } : { lastEventIdQuery: [param, p.resumeId] as const };
  let got: readonly TimedEvent[];
  let evidence: Evidence[];
  let why: string | undefined;
  if (p.type !== undefined) {
    const second = await publishSession(ctx, signal, { channel: p.channel, type: p.type, publish: [], expect: p.mustFollow.length, ...req,
      totalTimeMs: ctx.config.headerTimeoutMs + ctx.config.deliveryMs });
    got = second.received;
    why = noStream(second.result);
    evidence = [headersEvidence(second.result, 'reconnect response headers'), eventsEvidence(p.before, 'first connection'), eventsEvidence(got, `after reconnecting with ${via === 'header' ? 'Last-Event-ID' : `?${param}=`} ${JSON.stringify(p.resumeId)}`)];
  } else {
    let url = p.channel;
    const headers: Record<string, string> = {};
    if (via === 'header') headers['last-event-id'] = p.resumeId;
    else { const u = new URL(url); u.searchParams.set(param, p.resumeId); url = u.href; }
    const result = await ctx.read({ url, headers, initialLastEventId: p.resumeId, stopWhen: (pr) => pr.events.length >= p.mustFollow.length }, signal);
    got = result.events;
    why = noStream(result);
    evidence = [headersEvidence(result, 'reconnect response headers'), eventsEvidence(p.before, 'first connection'), eventsEvidence(got, `after reconnecting with ${JSON.stringify(p.resumeId)}`)];
  }
  if (why) return { verdict: 'FAIL', reason: `the reconnect request was refused: ${why}`, checks: [check('reconnect', 'FAIL', ['LAST-EVENT-ID-HEADER'], 'a 200 stream', why)], evidence };
  // A server that ignores Last-Event-ID entirely (nothing replayed, nothing repeated) loses what the
  // client missed, but replay is application-defined (SRV-LAST-EVENT-ID-RESUME is a note): NON_STRICT,
  // not FAIL. Replaying wrongly (from an earlier point, duplicates, gaps) is a FAIL below.
  const noReplay = !got.some((g) => p.mustFollow.some((m) => sameEvent(g, m)) || p.before.some((b) => sameEvent(g, b)));
  if (noReplay && p.mustFollow.length) {
    return {
      checks: [check('resumes-after', 'NON_STRICT', ['SRV-LAST-EVENT-ID-RESUME', 'LAST-EVENT-ID-HEADER'],
        `the events after id ${JSON.stringify(p.resumeId)} are replayed: ${describe(p.mustFollow[0])} first`,
        `none of the ${p.mustFollow.length} events after that id came back (${got.length ? `first event: ${describe(got[0])}` : 'no event'}): the server does not replay, so a reconnecting client loses what it missed; declare --no-replay if that is intended`)],
      evidence,
    };
  }
  const checks: CheckResult[] = [];
  const expectFirst = p.mustFollow[0];
  const first = got[0];
  const fromStart = p.before.some((b) => first && sameEvent(first, b));
  checks.push(check('resumes-after', first && expectFirst && sameEvent(first, expectFirst) ? 'PASS' : 'FAIL', ['SRV-LAST-EVENT-ID-RESUME', 'LAST-EVENT-ID-HEADER'],
    `the first event after reconnecting is the one right after id ${JSON.stringify(p.resumeId)}: ${describe(expectFirst)}`,
    first ? `${describe(first)}${fromStart ? ' (an event the client had already seen: replayed from an earlier point)' : ''}` : `no event (the server did not replay${p.type === undefined ? '; a live-only server that never replays can declare --no-replay' : ''})`));
  const dups = got.filter((g) => p.before.some((b) => sameEvent(g, b)));
  checks.push(check('no-duplicates', dups.length ? 'FAIL' : 'PASS', ['SRV-LAST-EVENT-ID-RESUME'], 'no event the client already received is sent again',
    dups.length ? `${dups.length} already-seen event(s) sent again, e.g. ${describe(dups[0])}` : 'none repeated'));
  const missing = p.mustFollow.filter((m) => !got.some((g) => sameEvent(g, m)));
  checks.push(check('no-gap', missing.length ? 'FAIL' : 'PASS', ['SRV-LAST-EVENT-ID-RESUME'], `all ${p.mustFollow.length} events after the id arrive, in order`,
    missing.length ? `${missing.length} missing, e.g. ${describe(missing[0])}` : 'all present'));
  return { checks, evidence };
}

const resumeCase: ServerCase = {
  id: 'server.replay.resumes-after-id',
  title: 'Reconnecting with Last-Event-ID resumes right after that event',
  area: 'replay',
  requirementIds: ['SRV-LAST-EVENT-ID-RESUME', 'LAST-EVENT-ID-HEADER', 'SRV-IDS-FRESH'],
  description: 'Read events with ids (cooperative: publish 4), reconnect with Last-Event-ID = one of them (the 2nd; black-box: the first observed id).',
  expectation: 'The new stream starts with the event right after that id: no duplicate of an event already received, no gap. Servers that send no ids are UNSUPPORTED.',
  async run(ctx, signal) {
    return replayOutcome(ctx, signal, 'header');
  },
};

const queryCase: ServerCase = {
  id: 'server.replay.query-param',
  title: 'The declared Last-Event-ID query parameter resumes the same way',
  area: 'replay',
  requirementIds: ['SRV-LAST-EVENT-ID-RESUME'],
  description: 'As server.replay.resumes-after-id, but the id travels in the query parameter declared with --last-event-id-param (for clients that cannot set headers).',
  expectation: 'Same as with the header: resume right after the id, no duplicate, no gap.',
  async run(ctx, signal) {
    if (!ctx.config.lastEventIdParam) return { verdict: 'UNSUPPORTED', reason: 'no query parameter declared (--last-event-id-param)', checks: [] };
    return replayOutcome(ctx, signal, 'query');
  },
};

const reconnectPublishCase: ServerCase = {
  id: 'server.replay.publish-while-disconnected',
  title: 'Events published while the client is away arrive after the reconnect, once',
  area: 'replay',
  requirementIds: ['SRV-LAST-EVENT-ID-RESUME', 'LAST-EVENT-ID-HEADER'],
  description: 'Cooperative: receive a and b, disconnect, publish c and d, reconnect with Last-Event-ID = id of b, then publish e.',
  expectation: 'The reconnected stream delivers exactly c, d, e in order: nothing lost, nothing duplicated.',
  async run(ctx, signal) {
    if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [] };
    if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish)', checks: [] };
    const channel = ctx.channel('away');
    const type = `ssec-away-${ctx.nonce}`;
    const first = await publishSession(ctx, signal, { channel, type, publish: [{ event: type, data: 'a' }, { event: type, data: 'b' }], expect: 2 });
    const evidence: Evidence[] = [headersEvidence(first.result), eventsEvidence(first.received, 'first connection')];
    if (noStream(first.result) || first.received.length < 2) return { verdict: 'ERROR', reason: `first connection did not deliver a and b (${noStream(first.result) ?? first.result.end})`, checks: [], evidence };
    const lastId = first.received[1]!.lastEventId;
    if (!lastId) return { verdict: 'UNSUPPORTED', reason: 'published events carry no ids', checks: [], evidence };
    for (const data of ['c', 'd']) {
      const o = await ctx.publish(channel, { event: type, data }, signal);
      if (!o.ok) return { verdict: 'ERROR', reason: `publish while disconnected failed: ${o.detail}`, checks: [], evidence };
    }
    const second = await publishSession(ctx, signal, { channel, type, publish: [{ event: type, data: 'e' }], expect: 3, lastEventId: lastId });
    evidence.push(headersEvidence(second.result, 'reconnect response headers'), eventsEvidence(second.received, `after reconnecting with Last-Event-ID ${JSON.stringify(lastId)}`));
    const got = second.received.map((e) => e.data);
    const ok = got.join(',') === 'c,d,e';
    // Nothing of what was missed (c, d) and nothing repeated (a, b): the server does not replay at all.
    const noReplay = !got.some((d) => ['a', 'b', 'c', 'd'].includes(d));
    return { checks: [check('exactly-once', ok ? 'PASS' : noReplay ? 'NON_STRICT' : 'FAIL', ['SRV-LAST-EVENT-ID-RESUME'], 'c, d, e in order',
      `${got.length ? got.join(', ') : 'nothing'}${noReplay ? ' (the server does not replay: events published while the client was away are lost; declare --no-replay if intended)' : ''}`)], evidence };
  },
};

export const REPLAY_CASES: readonly ServerCase[] = [idsCase, resumeCase, queryCase, reconnectPublishCase];
