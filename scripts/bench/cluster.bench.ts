/**
 * `npm run bench cluster`: the cost of sharing replay and fan-out through Redis.
 *
 * - Fan-out: C subscribers on one in-memory `serve` process vs C split over two `serve --redis`
 *   processes sharing a private Redis; paced phase (latency: publish-to-receive p50/p99) and an
 *   unpaced phase (deliveries/s, events POSTed back to back), memory per idle connection (the
 *   server processes' RSS before vs after the C connections, no forced GC).
 * - Replay of 10,000 retained events after `Last-Event-ID: 1`: Redis store vs in-memory.
 * - AMQP to subscriber: messages published to the exchange, received on the other instance.
 *
 * Servers run as `serve` child processes (through tsx), the subscribers as raw sockets in this
 * process with the fan-out benchmark's cheap scanner. Brokers: test-brokers.ts (Debian packages).
 * Every wait has a time limit; only the processes this run started are stopped.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { RedisReplayLog } from '../../reference/server/redis-store.ts';
import { startRabbit, startRedis } from '../../reference/server/test-brokers.ts';
import { benchmarkData, EventCounter, nowMs } from './fanout-counter.ts';

const quick = process.argv.includes('--quick');
const C = quick ? 200 : 1000;
const PACED = quick ? 20 : 40;
const UNPACED = quick ? 60 : 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/** One server instance in its own process (cluster-server.ts), for memory figures after a full GC. */
interface Instance { url: string; child: ChildProcess; memory(): Promise<{ rss: number; heap: number }>; stop(): Promise<void> }

function startInstance(config: Record<string, string>): Promise<Instance> {
  const child = fork(new URL('./cluster-server.ts', import.meta.url).pathname, [JSON.stringify(config)], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('instance not ready within 30 s')); }, 30_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`instance exited (${code})`)); });
    child.once('message', (m: { url: string }) => {
      clearTimeout(timer);
      resolve({
        url: m.url, child,
        memory: () => new Promise((res) => { child.once('message', (x: { rss: number; heap: number }) => res(x)); child.send({ cmd: 'mem' }); }),
        stop: () => new Promise((res) => {
          if (child.exitCode !== null) return res();
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => { clearTimeout(t); res(); });
          child.disconnect();
        }),
      });
    });
  });
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('publish timed out')));
    req.on('error', reject);
    req.end(text);
  });
}

interface Sub { socket: Socket; counter: EventCounter; latencies: number[]; last: number }

function subscribe(base: string, channel: string, firstSeq: number, lastEventId?: string): Promise<Sub> {
  const url = new URL(`${base}/channels/${channel}`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const sub: Sub = { socket, counter: new EventCounter(firstSeq), latencies: [], last: 0 };
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no response head within 10 s')); }, 10_000);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n${lastEventId ? `Last-Event-ID: ${lastEventId}\r\n` : ''}\r\n`));
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    let settled = false;
    socket.on('data', (chunk: Buffer) => {
      const now = nowMs();
      const before = sub.counter.received;
      sub.counter.push(chunk, now, sub.latencies);
      if (sub.counter.received !== before) sub.last = now;
      if (!settled && sub.counter.headersDone) {
        settled = true;
        clearTimeout(timer);
        resolve(sub);
      }
    });
  });
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '-');

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

interface FanoutRow { name: string; delivered: number; expected: number; inOrder: boolean; perSec: number; p50: number; p99: number; rssPerConn: number; heapPerConn: number }

async function memoryOf(instances: Instance[]): Promise<{ rss: number; heap: number }> {
  const ms = await Promise.all(instances.map((i) => i.memory()));
  return { rss: ms.reduce((n, m) => n + m.rss, 0), heap: ms.reduce((n, m) => n + m.heap, 0) };
}

async function fanout(name: string, instances: Instance[], channel: string): Promise<FanoutRow> {
  // Warm-up: connect and drop C clients once, so the baseline already holds what the first
  // connections allocate for good (pools, code) and the delta is the connections themselves.
  const warm: Sub[] = [];
  for (let k = 0; k < C; k++) warm.push(await subscribe(instances[k % instances.length]!.url, `${channel}-warm`, 1));
  for (const w of warm) w.socket.destroy();
  await sleep(1000);
  await memoryOf(instances);
  const m0 = await memoryOf(instances);
  const subs: Sub[] = [];
  for (let k = 0; k < C; k++) subs.push(await subscribe(instances[k % instances.length]!.url, channel, 1));
  await sleep(500);
  const m1 = await memoryOf(instances);
  // Paced: one event every 50 ms, for latency.
  let seq = 0;
  for (let k = 0; k < PACED; k++) {
    const status = await post(`${instances[k % instances.length]!.url}/channels/${channel}`, { data: benchmarkData(++seq, nowMs()) });
    if (status !== 201) throw new Error(`publish answered ${status}`);
    await sleep(50);
  }
  await until(() => subs.every((s) => s.counter.received >= PACED), 15_000);
  const latencies = subs.flatMap((s) => s.latencies);
  // Unpaced: back to back, for deliveries per second.
  const t0 = nowMs();
  for (let k = 0; k < UNPACED; k++) {
    const status = await post(`${instances[k % instances.length]!.url}/channels/${channel}`, { data: benchmarkData(++seq, nowMs()) });
    if (status !== 201) throw new Error(`publish answered ${status}`);
  }
  await until(() => subs.every((s) => s.counter.received >= seq), 30_000);
  const tEnd = Math.max(...subs.map((s) => s.last));
  const delivered = subs.reduce((n, s) => n + s.counter.received, 0);
  const row: FanoutRow = {
    name, delivered, expected: C * seq, inOrder: subs.every((s) => s.counter.outOfOrder === 0),
    perSec: (C * UNPACED) / ((tEnd - t0) / 1000), p50: pct(latencies, 50), p99: pct(latencies, 99),
    rssPerConn: (m1.rss - m0.rss) / 1024 / C, heapPerConn: (m1.heap - m0.heap) / 1024 / C,
  };
  for (const s of subs) s.socket.destroy();
  await sleep(300);
  return row;
}

async function replayTimes(base: string, channel: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = nowMs();
    const sub = await subscribe(base, channel, 2, '1');
    const ok = await until(() => sub.counter.received >= 10_000, 20_000);
    times.push(ok ? sub.last - t0 : NaN);
    sub.socket.destroy();
  }
  return times;
}

async function main(): Promise<void> {
  process.stdout.write(`cluster bench: C = ${C} subscribers, ${PACED} paced + ${UNPACED} unpaced events; Node ${process.version}\n`);
  const redis = await startRedis();
  const rabbit = await startRabbit();
  const started: Instance[] = [];
  try {
    const mem = await startInstance({});
    started.push(mem);
    const redisConfig = { redis: redis.url, prefix: 'bench', amqp: rabbit.url, exchange: 'bench' };
    const [ra, rb] = await Promise.all([startInstance(redisConfig), startInstance(redisConfig)]);
    started.push(ra!, rb!);

    const rows = [await fanout('one in-memory instance', [mem], 'fan'), await fanout('two instances through Redis', [ra!, rb!], 'fan')];

    // Replay: 10,001 retained events, resumed after the first.
    const store = await RedisReplayLog.connect({ url: redis.url, prefix: 'bench', replay: { maxEvents: 20_000 } });
    for (let k = 1; k <= 10_001; k += 50) await Promise.all(Array.from({ length: Math.min(50, 10_002 - k) }, (_, j) => store.append('replay', { data: benchmarkData(k + j, 0) })));
    await store.close();
    for (let k = 1; k <= 10_001; k += 20) await Promise.all(Array.from({ length: Math.min(20, 10_002 - k) }, (_, j) => post(`${mem.url}/channels/replay`, { data: benchmarkData(k + j, 0) })));
    const redisReplay = await replayTimes(rb!.url, 'replay', 5);
    const memReplay = await replayTimes(mem.url, 'replay', 5);

    // AMQP to subscriber, received on both instances.
    const amqp = await import('amqplib');
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createConfirmChannel();
    const subs = [await subscribe(ra!.url, 'amqp', 1), await subscribe(rb!.url, 'amqp', 1)];
    for (let k = 1; k <= 200; k++) {
      await new Promise<void>((resolve, reject) => ch.publish('bench', 'amqp', Buffer.from(benchmarkData(k, nowMs())), { messageId: `m${k}` }, (e: unknown) => (e ? reject(e as Error) : resolve())));
      await sleep(10);
    }
    await until(() => subs.every((s) => s.counter.received >= 200), 15_000);
    const amqpLat = subs.flatMap((s) => s.latencies);
    const amqpOk = subs.every((s) => s.counter.received === 200);
    const amqpOrdered = subs.every((s) => s.counter.outOfOrder === 0);
    for (const s of subs) s.socket.destroy();
    await conn.close();

    process.stdout.write('\n| setup | delivered | in order | deliveries/s (unpaced) | p50 ms (paced) | p99 ms (paced) | RSS / idle conn | heap / idle conn |\n|---|---:|---|---:|---:|---:|---:|---:|\n');
    for (const r of rows) process.stdout.write(`| ${r.name} | ${r.delivered} / ${r.expected} | ${r.inOrder ? 'yes' : 'NO'} | ${f(r.perSec, 0)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.rssPerConn, 1)} KiB | ${f(r.heapPerConn, 1)} KiB |\n`);
    const [m, rd] = rows as [FanoutRow, FanoutRow];
    process.stdout.write(`\nRatios (Redis / in-memory): deliveries/s ${f(rd.perSec / m.perSec, 2)}x, p50 ${f(rd.p50 / m.p50, 2)}x, p99 ${f(rd.p99 / m.p99, 2)}x, RSS per connection ${f(rd.rssPerConn / m.rssPerConn, 2)}x, heap per connection ${f(rd.heapPerConn / m.heapPerConn, 2)}x\n`);
    const med = (xs: number[]) => pct(xs, 50);
    process.stdout.write(`Replay of 10,000 events after Last-Event-ID: 1 (request to last event): Redis median ${f(med(redisReplay), 1)} ms (cold ${f(redisReplay[0]!, 1)}, max ${f(Math.max(...redisReplay), 1)}), in-memory median ${f(med(memReplay), 1)} ms: ${f(med(redisReplay) / med(memReplay), 2)}x\n`);
    process.stdout.write(`AMQP exchange to subscribers on both instances: ${amqpOk ? 'all 200 on each' : 'INCOMPLETE'}${amqpOrdered ? ', in publish order' : ', NOT in publish order'}; p50 ${f(pct(amqpLat, 50), 2)} ms, p99 ${f(pct(amqpLat, 99), 2)} ms\n\n`);
    const checks: [boolean, string][] = [
      [rows.every((r) => r.delivered === r.expected && r.inOrder), 'every event to every subscriber, in order, in both setups'],
      [med(redisReplay) < 100, `replay of 10,000 events from Redis in < 100 ms (median ${f(med(redisReplay), 1)} ms)`],
      [amqpOk && amqpOrdered, 'every AMQP message reached the subscribers of both instances, in publish order'],
    ];
    for (const [ok, what] of checks) process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
    process.exitCode = checks.every(([ok]) => ok) ? 0 : 1;
  } finally {
    agent.destroy();
    await Promise.all(started.map((s) => s.stop()));
    await Promise.all([redis.dispose(), rabbit.dispose()]);
  }
}

const guard = setTimeout(() => {
  process.stderr.write('cluster bench: over its 240 s budget, stopping\n');
  process.exit(1);
}, 240_000);
guard.unref();
await main();
