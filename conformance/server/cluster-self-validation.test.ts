// The cluster cases prove themselves on a real deployment: two reference server instances sharing
// one private Redis (Redis Streams store). With defaults, `check A --peer B` passes every case; with
// each cluster fault switch on (both instances), exactly the cases fault-coverage.ts names FAIL and
// nothing else fails. A missing redis-server fails this file (test-brokers.ts names the install step).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, RedisReplayLog, type FaultName, type ReferenceServer } from '../../reference/server/index.ts';
import { startRedis, type RedisInstance } from '../../reference/server/test-brokers.ts';
import { failsRun, type RunResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { FAULT_COVERAGE } from './fault-coverage.ts';
import { SERVER_CASES } from './cases.ts';

let redis: RedisInstance;
let deployments = 0;

async function deployment(faults: readonly FaultName[]): Promise<{ a: ReferenceServer; b: ReferenceServer; close: () => Promise<void> }> {
  const prefix = `selfval${++deployments}`;
  const stores = [await RedisReplayLog.connect({ url: redis.url, prefix }), await RedisReplayLog.connect({ url: redis.url, prefix })];
  const common = { heartbeatMs: 200, retryMs: 1000, auth: { tokens: { private: 'reference-secret' } }, faults };
  const a = await createReferenceServer({ ...common, store: stores[0] });
  const b = await createReferenceServer({ ...common, store: stores[1] });
  return {
    a, b,
    close: async () => {
      await Promise.all([a.close(), b.close()]);
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

async function checkDeployment(faults: readonly FaultName[], extra: readonly string[]): Promise<RunResult> {
  const d = await deployment(faults);
  try {
    const o = parseCheckArgs([
      `${d.a.url}/channels/{channel}`, '--publish', `${d.a.url}/channels/{channel}`,
      '--peer', `${d.b.url}/channels/{channel}`, '--peer-publish', `${d.b.url}/channels/{channel}`,
      '--heartbeat', '600', '--protected-url', `${d.a.url}/channels/private`, '--bearer', 'reference-secret', '--last-event-id-param', 'lastEventId',
      '--observe', '1000', '--header-timeout', '1500', '--delivery-timeout', '1500', '--property-runs', '3', '--property-time', '4000',
      '--expect-status', `404=${d.a.url}/no-such-route`, '--seed', '42', ...extra,
    ]);
    return await runCheck(o);
  } finally {
    await d.close();
  }
}

const verdicts = (r: RunResult) => r.cases.map((c) => `${c.verdict} ${c.id}${c.reason ? `: ${c.reason}` : ''}`).join('\n');
const cluster = FAULT_COVERAGE.filter((f) => f.deployment === 'cluster');

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

describe('check A --peer B against two reference servers sharing Redis', () => {
  it('with defaults every case passes, the four cluster cases included', async () => {
    const r = await checkDeployment([], []);
    expect(r.summary.run).toBe(SERVER_CASES.length);
    // The HTTP/2 rules need --http2 (http2-self-validation.test.ts).
    for (const c of r.cases) expect(c.area === 'http2' ? ['UNSUPPORTED'] : ['PASS', 'INFO'], `${c.id}\n${verdicts(r)}`).toContain(c.verdict);
    expect(r.cases.filter((c) => c.area === 'cluster').map((c) => c.verdict)).toEqual(['PASS', 'PASS', 'PASS', 'PASS']);
    expect(r.summary.ok).toBe(true);
  }, 90_000);

  it('names three cluster faults, each with its cases', () => {
    expect(cluster.map((f) => f.fault).sort()).toEqual(['local-fanout-only', 'per-instance-ids', 'replay-local-only']);
  });

  it.each(cluster.map((f) => [f.fault, f] as const))('fault %s is caught by exactly its cluster case(s)', async (fault, f) => {
    const r = await checkDeployment([fault as FaultName], ['--area', 'cluster']);
    for (const id of f.caughtBy) expect(r.cases.find((c) => c.id === id)?.verdict, `${id} under ${fault}\n${verdicts(r)}`).toBe('FAIL');
    const allowed = new Set([...f.caughtBy, ...f.collateral]);
    const unrelated = r.cases.filter((c) => c.verdict !== 'SKIP' && !allowed.has(c.id) && failsRun(c.verdict, false));
    expect(unrelated.map((c) => `${c.verdict} ${c.id}: ${c.reason}`), `under ${fault}`).toEqual([]);
    // Every cluster case ran and reached a verdict.
    expect(r.cases.filter((c) => c.area === 'cluster' && c.verdict !== 'PASS' && c.verdict !== 'FAIL').map((c) => c.id)).toEqual([]);
  }, 60_000);
});

describe('check A --peer B in black-box mode (no publish endpoint given)', () => {
  /** A deployment whose channel `ticks` gets an event every 100 ms, published through A and B in turn. */
  async function ticking(faults: readonly FaultName[], body: (a: ReferenceServer, b: ReferenceServer) => Promise<void>): Promise<void> {
    const d = await deployment(faults);
    let n = 0;
    const timer = setInterval(() => void (n++ % 2 ? d.b : d.a).publishAsync('ticks', { data: `tick ${n}` }).catch(() => undefined), 100);
    try {
      await body(d.a, d.b);
    } finally {
      clearInterval(timer);
      await d.close();
    }
  }
  const run = (a: ReferenceServer, b: ReferenceServer) => runCheck(parseCheckArgs([`${a.url}/channels/ticks`, '--peer', `${b.url}/channels/ticks`, '--area', 'cluster', '--observe', '1500', '--seed', '5']));

  it('judges resume-on-peer and ids-unique from what the streams send; the publishing cases are UNSUPPORTED', async () => {
    await ticking([], async (a, b) => {
      const r = await run(a, b);
      expect(r.cases.filter((c) => c.area === 'cluster').map((c) => `${c.id} ${c.verdict}`), verdicts(r)).toEqual([
        'server.cluster.fanout UNSUPPORTED', 'server.cluster.resume-on-peer PASS', 'server.cluster.ids-unique PASS', 'server.cluster.publish-during-switch UNSUPPORTED',
      ]);
    });
  }, 60_000);

  it('catches per-instance ids from the streams alone', async () => {
    await ticking(['per-instance-ids'], async (a, b) => {
      const r = await run(a, b);
      expect(r.cases.find((c) => c.id === 'server.cluster.ids-unique')?.verdict, verdicts(r)).toBe('FAIL');
    });
  }, 60_000);
});
