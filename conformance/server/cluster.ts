// Multi-instance deployments (`check <url> --peer <url2>`): the Last-Event-ID semantics applied
// across every instance behind one stream URL. An event published through one instance reaches
// the others; a client of one instance resumes on another; ids are never reused across instances;
// events published while a client moves are not lost.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#the-last-event-id-header
import type { CheckResult, Evidence } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { eventsEvidence, headersEvidence } from './capture-evidence.ts';
import { postEvent, type PublishBody, type PublishOutcome, type ServerCase, type ServerContext } from './context.ts';
import { noStream } from './response.ts';
import type { ReadResult, TimedEvent } from './stream-reader.ts';
import { idEvents } from './replay.ts';

/** One instance of the deployment: index 0 is the target, 1… the peers. */
interface Instance {
  readonly name: string;
  readonly url: string;
  readonly publishUrl?: string | undefined;
}

function instances(ctx: ServerContext): Instance[] {
  const peers = ctx.config.peers ?? [];
  return [
    { name: 'target', url: ctx.config.url, publishUrl: ctx.config.publishUrl },
    ...peers.map((p, i) => ({ name: `peer ${i + 1}`, url: p.url, publishUrl: p.publishUrl })),
  ];
}

const fill = (template: string, channel: string) => template.replaceAll('{channel}', encodeURIComponent(channel));

function noPeers(ctx: ServerContext): CaseOutcome | undefined {
  if (!ctx.config.peers?.length) return { verdict: 'UNSUPPORTED', reason: 'no other instance given (--peer <url>): multi-instance rules need two instances of the deployment', checks: [] };
  return undefined;
}

/** Publishes one event through an instance's publish URL (cooperative contract). Never rejects. */
async function publishVia(ctx: ServerContext, inst: Instance, channel: string, body: PublishBody, signal: AbortSignal): Promise<PublishOutcome> {
  const started = performance.now();
  if (!inst.publishUrl) return { ok: false, status: 0, detail: `no publish URL for the ${inst.name}`, at: 0 };
  const outcome = await postEvent(ctx.config, fill(inst.publishUrl, channel), body, signal, inst.name);
  return { ...outcome, at: performance.now() - started };
}

interface OpenRead {
  readonly inst: Instance;
  /** Resolves with the status once headers arrived (0 when they never did). */
  readonly headers: Promise<number>;
  readonly done: Promise<ReadResult>;
  stop(): void;
}

/** Opens a stream on an instance and keeps reading until `expect` events of `type` arrived, `stop()`, or the time limit. */
function openOn(ctx: ServerContext, inst: Instance, channel: string, type: string, expect: number, signal: AbortSignal, lastEventId?: string): OpenRead {
  const local = new AbortController();
  let gotHeaders!: (status: number) => void;
  const headers = new Promise<number>((resolve) => { gotHeaders = resolve; });
  const done = ctx.read({
    url: fill(inst.url, channel),
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    initialLastEventId: lastEventId,
    totalTimeMs: ctx.config.headerTimeoutMs + ctx.config.deliveryMs * 2 + 2000,
    onHeaders: ({ status }) => gotHeaders(status),
    stopWhen: (p) => p.events.filter((e) => e.type === type).length >= expect,
  }, AbortSignal.any([signal, local.signal]));
  void done.then((r) => gotHeaders(r.status));
  return { inst, headers, done, stop: () => local.abort() };
}

const tagged = (r: ReadResult, type: string): TimedEvent[] => r.events.filter((e) => e.type === type);
const show = (events: readonly TimedEvent[]) => (events.length ? events.map((e) => `${e.data}${e.lastEventId ? ` (id ${e.lastEventId})` : ''}`).join(', ') : 'nothing');

/** Lets what was published settle: stops every read `deliveryMs` after the last publish. */
async function settle(ctx: ServerContext, reads: readonly OpenRead[]): Promise<ReadResult[]> {
  const timer = setTimeout(() => reads.forEach((r) => r.stop()), ctx.config.deliveryMs + 250);
  try {
    return await Promise.all(reads.map((r) => r.done));
  } finally {
    clearTimeout(timer);
  }
}

const fanoutCase: ServerCase = {
  id: 'server.cluster.fanout',
  title: 'An event published through one instance reaches the streams of every instance',
  area: 'cluster',
  requirementIds: ['SRV-CLUSTER-FANOUT'],
  description: 'Cooperative, with --peer: open the stream on every instance, publish one event through the target and (with --peer-publish) one through each peer.',
  expectation: 'Every instance\'s stream delivers every published event, each once. Without a publish endpoint: UNSUPPORTED.',
  async run(ctx, signal) {
    const none = noPeers(ctx);
    if (none) return none;
    if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish)', checks: [] };
    const all = instances(ctx);
    const publishers = all.filter((i) => i.publishUrl);
    const channel = ctx.channel('cluster-fanout');
    const type = `ssec-fanout-${ctx.nonce}`;
    const reads = all.map((inst) => openOn(ctx, inst, channel, type, publishers.length, signal));
    const statuses = await Promise.all(reads.map((r) => r.headers));
    const evidence: Evidence[] = [];
    if (statuses.some((s) => s !== 200)) {
      reads.forEach((r) => r.stop());
      const results = await Promise.all(reads.map((r) => r.done));
      return { verdict: 'ERROR', reason: `no stream on ${results.map((r, i) => `${all[i]!.name}: ${noStream(r) ?? 'ok'}`).join('; ')}`, checks: [], evidence: results.map((r, i) => headersEvidence(r, `${all[i]!.name} response headers`)) };
    }
    const published: { via: Instance; data: string }[] = [];
    for (const via of publishers) {
      const data = `fanout via the ${via.name}`;
      const o = await publishVia(ctx, via, channel, { event: type, data }, signal);
      if (!o.ok) {
        reads.forEach((r) => r.stop());
        await Promise.all(reads.map((r) => r.done));
        return { verdict: 'ERROR', reason: o.detail, checks: [] };
      }
      published.push({ via, data });
    }
    const results = await settle(ctx, reads);
    const checks: CheckResult[] = [];
    results.forEach((r, i) => {
      const got = tagged(r, type);
      evidence.push(eventsEvidence(got, `events on the ${all[i]!.name}'s stream`));
      for (const p of published) {
        if (p.via === all[i]) continue;
        const n = got.filter((e) => e.data === p.data).length;
        checks.push(check(`${p.via.name}-to-${all[i]!.name}`.replaceAll(' ', '-'), n === 1 ? 'PASS' : 'FAIL', ['SRV-CLUSTER-FANOUT'],
          `the event published through the ${p.via.name} arrives once on the ${all[i]!.name}'s stream within ${ctx.config.deliveryMs} ms`,
          n === 1 ? 'arrived' : n === 0 ? `never arrived (the ${all[i]!.name} got: ${show(got)})` : `arrived ${n} times`));
      }
    });
    return { checks, evidence };
  },
};

/** Cooperative: 4 events through the target, resume on the peer after the 2nd. Black-box: observed ids. */
const resumeCase: ServerCase = {
  id: 'server.cluster.resume-on-peer',
  title: 'A client of one instance resumes on another with Last-Event-ID: no gap, no duplicate',
  area: 'cluster',
  requirementIds: ['SRV-CLUSTER-RESUME', 'SRV-LAST-EVENT-ID-RESUME', 'LAST-EVENT-ID-HEADER'],
  description: 'Read events with ids from the target (cooperative: publish 4 through it), then reconnect to each peer with Last-Event-ID = the 2nd (black-box: the first observed id).',
  expectation: 'Each peer starts with the event right after that id and sends every later event once, although another instance issued the id.',
  async run(ctx, signal) {
    const none = noPeers(ctx);
    if (none) return none;
    if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [] };
    const [target, ...peers] = instances(ctx);
    let before: TimedEvent[];
    let mustFollow: TimedEvent[];
    let resumeId: string;
    let channel: string;
    let type: string | undefined;
    const evidence: Evidence[] = [];
    if (ctx.cooperative) {
      channel = ctx.channel('cluster-resume');
      type = `ssec-resume-${ctx.nonce}`;
      const first = openOn(ctx, target!, channel, type, 4, signal);
      if ((await first.headers) === 200) {
        for (let i = 0; i < 4; i++) {
          const o = await publishVia(ctx, target!, channel, { event: type, data: `resume-${i}` }, signal);
          if (!o.ok) { first.stop(); await first.done; return { verdict: 'ERROR', reason: o.detail, checks: [] }; }
        }
      }
      const r = (await settle(ctx, [first]))[0]!;
      const got = tagged(r, type);
      evidence.push(headersEvidence(r, 'target response headers'), eventsEvidence(got, 'on the target'));
      const why = noStream(r);
      if (why) return { verdict: 'ERROR', reason: `no stream on the target: ${why}`, checks: [], evidence };
      if (got.length < 4) return { verdict: 'ERROR', reason: `only ${got.length} of 4 published events arrived on the target`, checks: [], evidence };
      if (got.some((e) => e.lastEventId === '')) return { verdict: 'UNSUPPORTED', reason: 'published events carry no ids: nothing to resume from', checks: [], evidence };
      before = got.slice(0, 2);
      mustFollow = got.slice(2);
      resumeId = got[1]!.lastEventId;
    } else {
      const capture = await ctx.primary();
      const why = noStream(capture.result);
      if (why) return { verdict: 'ERROR', reason: `no stream: ${why}`, checks: [], evidence: [headersEvidence(capture.result)] };
      const ids = idEvents(capture.result.events);
      if (ids.length < 2) return { verdict: 'UNSUPPORTED', reason: 'the target sent fewer than two event ids during the observation: nothing to resume from', checks: [], evidence: [eventsEvidence(capture.result.events)] };
      const idx = capture.result.events.indexOf(ids[0]!.event);
      before = capture.result.events.slice(0, idx + 1);
      mustFollow = capture.result.events.slice(idx + 1, idx + 4);
      resumeId = ids[0]!.id;
      channel = '';
      evidence.push(eventsEvidence(capture.result.events, 'on the target'));
    }
    const same = (a: TimedEvent, b: TimedEvent) => a.type === b.type && a.data === b.data && a.lastEventId === b.lastEventId;
    const checks: CheckResult[] = [];
    for (const peer of peers) {
      const url = ctx.cooperative ? fill(peer.url, channel) : (peer.url.includes('{channel}') ? '' : peer.url);
      if (!url) return { verdict: 'UNSUPPORTED', reason: 'black-box: the peer URL has {channel}, but the target stream has no channel to share', checks: [] };
      const second = await ctx.read({
        url, headers: { 'last-event-id': resumeId }, initialLastEventId: resumeId,
        totalTimeMs: ctx.config.headerTimeoutMs + ctx.config.deliveryMs + 500,
        stopWhen: (p) => p.events.filter((e) => type === undefined || e.type === type).length >= mustFollow.length,
      }, signal);
      const got = second.events.filter((e) => type === undefined || e.type === type);
      evidence.push(headersEvidence(second, `${peer.name} response headers`), eventsEvidence(got, `on the ${peer.name} after Last-Event-ID ${JSON.stringify(resumeId)}`));
      const why = noStream(second);
      if (why) {
        checks.push(check(`${peer.name.replace(' ', '-')}-resumes`, 'FAIL', ['SRV-CLUSTER-RESUME'], 'a 200 stream', why));
        continue;
      }
      const dups = got.filter((g) => before.some((b) => same(g, b)));
      const missing = mustFollow.filter((m) => !got.some((g) => same(g, m)));
      const first = got[0];
      const ok = first !== undefined && same(first, mustFollow[0]!) && !dups.length && !missing.length;
      checks.push(check(`${peer.name.replace(' ', '-')}-resumes`, ok ? 'PASS' : 'FAIL', ['SRV-CLUSTER-RESUME', 'SRV-LAST-EVENT-ID-RESUME'],
        `the ${peer.name} sends ${show(mustFollow)}, starting right after id ${JSON.stringify(resumeId)} (issued by the target)`,
        ok ? show(got) : `${show(got)}${missing.length ? `; missing ${show(missing)}` : ''}${dups.length ? `; already received: ${show(dups)}` : ''}`));
    }
    return { checks, evidence };
  },
};

const idsCase: ServerCase = {
  id: 'server.cluster.ids-unique',
  title: 'Instances never issue the same id for different events',
  area: 'cluster',
  requirementIds: ['SRV-CLUSTER-IDS-UNIQUE', 'SRV-IDS-FRESH'],
  description: 'Cooperative, with --peer-publish: streams open on every instance, 3 events published through each instance in turn. Black-box: both streams observed at once.',
  expectation: 'One id always names one event: on every stream and across instances, the same id never comes with different content; numeric ids increase on each stream.',
  async run(ctx, signal) {
    const none = noPeers(ctx);
    if (none) return none;
    const all = instances(ctx);
    const byId = new Map<string, { data: string; type: string; where: string }>();
    const checks: CheckResult[] = [];
    const evidence: Evidence[] = [];
    let results: ReadResult[];
    let type: string | undefined;
    if (ctx.cooperative) {
      const publishers = all.filter((i) => i.publishUrl);
      if (publishers.length < 2) return { verdict: 'UNSUPPORTED', reason: 'needs a publish URL on at least two instances (--publish and --peer-publish): ids issued by one instance cannot collide', checks: [] };
      const channel = ctx.channel('cluster-ids');
      type = `ssec-ids-${ctx.nonce}`;
      const total = publishers.length * 3;
      const reads = all.map((inst) => openOn(ctx, inst, channel, type!, total, signal));
      if ((await Promise.all(reads.map((r) => r.headers))).some((s) => s !== 200)) {
        reads.forEach((r) => r.stop());
        const rs = await Promise.all(reads.map((r) => r.done));
        return { verdict: 'ERROR', reason: `no stream on every instance (${rs.map((r) => noStream(r) ?? 'ok').join('; ')})`, checks: [] };
      }
      for (let round = 0; round < 3; round++) {
        for (const via of publishers) {
          const o = await publishVia(ctx, via, channel, { event: type, data: `ids ${round} via the ${via.name}` }, signal);
          if (!o.ok) { reads.forEach((r) => r.stop()); await Promise.all(reads.map((r) => r.done)); return { verdict: 'ERROR', reason: o.detail, checks: [] }; }
        }
      }
      results = await settle(ctx, reads);
    } else {
      const observe = (inst: Instance) => ctx.read({ url: inst.url.includes('{channel}') ? fill(inst.url, ctx.channel('cluster-ids')) : inst.url }, signal);
      results = await Promise.all(all.map(observe));
    }
    let seen = 0;
    let clash: string | undefined;
    results.forEach((r, i) => {
      const events = (type === undefined ? r.events : tagged(r, type)).filter((e) => e.lastEventId !== '');
      evidence.push(eventsEvidence(events, `events on the ${all[i]!.name}'s stream`));
      for (const e of events) {
        seen++;
        const known = byId.get(e.lastEventId);
        if (!known) byId.set(e.lastEventId, { data: e.data, type: e.type, where: all[i]!.name });
        else if ((known.data !== e.data || known.type !== e.type) && clash === undefined) {
          clash = `id ${JSON.stringify(e.lastEventId)} names ${JSON.stringify(known.data)} on the ${known.where}'s stream and ${JSON.stringify(e.data)} on the ${all[i]!.name}'s`;
        }
      }
      if (events.length > 1 && events.every((e) => /^[0-9]{1,15}$/.test(e.lastEventId))) {
        const drop = events.findIndex((e, k) => k > 0 && Number(e.lastEventId) <= Number(events[k - 1]!.lastEventId));
        checks.push(check(`increasing-on-${all[i]!.name.replace(' ', '-')}`, drop < 0 ? 'PASS' : 'FAIL', ['SRV-IDS-FRESH'], 'numeric ids increase on the stream',
          drop < 0 ? events.map((e) => e.lastEventId).join(', ') : `id ${events[drop]!.lastEventId} follows ${events[drop - 1]!.lastEventId}`));
      }
    });
    if (seen < 2) return { verdict: 'UNSUPPORTED', reason: 'fewer than two events with ids were observed: nothing to compare', checks: [], evidence };
    checks.unshift(check('one-event-per-id', clash ? 'FAIL' : 'PASS', ['SRV-CLUSTER-IDS-UNIQUE'], 'the same id never names two different events across the instances', clash ?? `${byId.size} distinct ids, each naming one event`));
    return { checks, evidence };
  },
};

const switchCase: ServerCase = {
  id: 'server.cluster.publish-during-switch',
  title: 'Events published while a client moves to another instance arrive once after the reconnect',
  area: 'cluster',
  requirementIds: ['SRV-CLUSTER-RESUME', 'SRV-LAST-EVENT-ID-RESUME'],
  description: 'Cooperative: receive a and b on the target; disconnect; publish c through the target and d through the peer (its own publish URL when given); reconnect to the peer with Last-Event-ID = id of b; publish e through the peer.',
  expectation: 'The peer delivers exactly c, d, e in order: nothing lost while the client moved, nothing repeated.',
  async run(ctx, signal) {
    const none = noPeers(ctx);
    if (none) return none;
    if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [] };
    if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish)', checks: [] };
    const [target, peer] = instances(ctx) as [Instance, Instance];
    const peerPublisher = peer.publishUrl ? peer : target;
    const channel = ctx.channel('cluster-switch');
    const type = `ssec-switch-${ctx.nonce}`;
    const first = openOn(ctx, target, channel, type, 2, signal);
    if ((await first.headers) === 200) {
      for (const data of ['a', 'b']) {
        const o = await publishVia(ctx, target, channel, { event: type, data }, signal);
        if (!o.ok) { first.stop(); await first.done; return { verdict: 'ERROR', reason: o.detail, checks: [] }; }
      }
    }
    const r1 = (await settle(ctx, [first]))[0]!;
    const got1 = tagged(r1, type);
    const evidence: Evidence[] = [headersEvidence(r1, 'target response headers'), eventsEvidence(got1, 'on the target')];
    if (noStream(r1) || got1.length < 2) return { verdict: 'ERROR', reason: `the target did not deliver a and b (${noStream(r1) ?? `${got1.length} of 2 arrived`})`, checks: [], evidence };
    const lastId = got1[1]!.lastEventId;
    if (!lastId) return { verdict: 'UNSUPPORTED', reason: 'published events carry no ids', checks: [], evidence };
    for (const [data, via] of [['c', target], ['d', peerPublisher]] as const) {
      const o = await publishVia(ctx, via, channel, { event: type, data }, signal);
      if (!o.ok) return { verdict: 'ERROR', reason: `publish while the client moved failed: ${o.detail}`, checks: [], evidence };
    }
    const second = openOn(ctx, peer, channel, type, 3, signal, lastId);
    if ((await second.headers) === 200) {
      const o = await publishVia(ctx, peerPublisher, channel, { event: type, data: 'e' }, signal);
      if (!o.ok) { second.stop(); await second.done; return { verdict: 'ERROR', reason: o.detail, checks: [], evidence }; }
    }
    const r2 = (await settle(ctx, [second]))[0]!;
    const got = tagged(r2, type);
    evidence.push(headersEvidence(r2, 'peer response headers'), eventsEvidence(got, `on the peer after Last-Event-ID ${JSON.stringify(lastId)}`));
    const why = noStream(r2);
    if (why) return { checks: [check('exactly-once', 'FAIL', ['SRV-CLUSTER-RESUME'], 'a 200 stream on the peer', why)], evidence };
    const datas = got.map((e) => e.data).join(',');
    return { checks: [check('exactly-once', datas === 'c,d,e' ? 'PASS' : 'FAIL', ['SRV-CLUSTER-RESUME', 'SRV-LAST-EVENT-ID-RESUME'], 'c, d, e in order on the peer', show(got))], evidence };
  },
};

export const CLUSTER_CASES: readonly ServerCase[] = [fanoutCase, resumeCase, idsCase, switchCase];
