/**
 * `npm run bench fanout`: how the reference server (reference/server/) fans events out, beside a
 * minimal node:http broadcaster (plain-broadcaster.ts) and better-sse 0.16, in one run on loopback.
 *
 * For each C in 100, 1,000, 10,000: each server runs in its own child process (fanout-server.ts)
 * with C raw-socket subscribers held by one or two other child processes (fanout-clients.ts);
 * server memory is measured after GC before and after the C idle connections; then every server
 * publishes events at a fixed rate (PLAN), staggered, each carrying its send time, and every
 * subscriber must receive every event, in order. Latency is receive time minus send
 * time (sampled on about 1,000 subscribers per cell, spread evenly). Finally one client
 * reconnects with a Last-Event-ID and times the replay of 10,000 retained events.
 *
 * Options: --quick (C = 100 and 1,000 only, fewer events; a smoke run, not for numbers)
 * Bounded: every wait has a timeout and the whole run stops after ~170 s; only its own child
 * processes are ended, by PID.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { nowMs } from './fanout-counter.ts';
import type { ServerKind } from './fanout-server.ts';
import { machineDescription, percentile } from './statistics.ts';

const quick = process.argv.includes('--quick');
for (const arg of process.argv.slice(2)) {
  if (arg !== '--quick') {
    process.stderr.write(`fanout bench: unknown option ${arg} (known: --quick)\n`);
    process.exit(64);
  }
}

/**
 * Subscribers per server, and a publish rate per server that the machine (2 shared cores, three
 * servers and the clients at once) sustains, so latency shows fan-out cost rather than a queue
 * that grows for the whole run: about 6,000-15,000 deliveries/s in all.
 */
const PLAN: readonly { count: number; rateHz: number; events: number }[] = quick
  ? [{ count: 100, rateHz: 20, events: 20 }, { count: 1000, rateHz: 3, events: 6 }]
  : [{ count: 100, rateHz: 20, events: 100 }, { count: 1000, rateHz: 3, events: 24 }, { count: 10_000, rateHz: 0.5, events: 5 }];
const COUNTS = PLAN.map((p) => p.count);
const SERVERS: readonly { kind: ServerKind; label: string }[] = [
  { kind: 'reference', label: 'sse-conformance' },
  { kind: 'plain', label: 'node:http broadcaster' },
  { kind: 'better-sse', label: 'better-sse 0.16' },
];
const DATA_BYTES = 100;
const REPLAY_EVENTS = 10_000;
const RUN_BUDGET_MS = 170_000;
const here = fileURLToPath(new URL('.', import.meta.url));
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const runDeadline = nowMs() + RUN_BUDGET_MS;

/**
 * Compiles the server side (fanout-server.ts and what it imports: the reference server, the
 * plain broadcaster) with tsc, as the package ships, into node_modules/.cache. Under tsx every
 * named arrow function gets its name redefined (esbuild keepNames), which turns it into a
 * dictionary-mode object: 256 bytes more per closure, per connection for per-subscriber closures.
 * That is a property of the runner, not of the server, and would skew the memory comparison.
 */
function compileServerSide(): string {
  const outDir = `${projectRoot}node_modules/.cache/sse-conformance-bench`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/package.json`, '{ "type": "module" }\n');
  const config = {
    extends: `${projectRoot}tsconfig.json`,
    compilerOptions: { noEmit: false, declaration: false, typeRoots: [`${projectRoot}node_modules/@types`], outDir, rootDir: projectRoot },
    include: [],
    files: [`${here}fanout-server.ts`],
  };
  writeFileSync(`${outDir}/tsconfig.json`, JSON.stringify(config));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', `${outDir}/tsconfig.json`], { stdio: 'inherit', timeout: 120_000 });
  return `${outDir}/scripts/bench/fanout-server.js`;
}

/** One child process spoken to over IPC with request ids and a timeout on every request. */
class Child {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  readonly ready: Promise<{ url?: string }>;

  /** @param script a compiled .js file (run by node) or a .ts file here (run through tsx) */
  constructor(script: string, args: string[]) {
    const compiled = script.endsWith('.js');
    this.#proc = fork(compiled ? script : `${here}${script}`, args, { execArgv: compiled ? ['--expose-gc'] : ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not start within 20 s`)), 20_000);
      this.#proc.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
      this.#proc.on('message', (message: { id?: number; ready?: boolean; url?: string; result?: unknown; error?: string }) => {
        if (message.ready !== undefined) {
          clearTimeout(timer);
          if (message.ready) resolve(message);
          else reject(new Error(`${script}: ${message.error}`));
          return;
        }
        const entry = message.id === undefined ? undefined : this.#pending.get(message.id);
        if (!entry) return;
        this.#pending.delete(message.id!);
        clearTimeout(entry.timer);
        if (message.error !== undefined) entry.reject(new Error(`${script}: ${message.error}`));
        else entry.resolve(message.result);
      });
    });
    this.ready.catch(() => {}); // observed by callers; avoid an unhandled rejection if nobody waits
  }

  request<T>(cmd: string, body: object, timeoutMs: number): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#proc.send({ id, cmd, ...body });
    });
  }

  /** Asks the child to close, then ends it by PID if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()));
    this.request('close', {}, 5000).catch(() => {});
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

interface WaitResult { subscribers: number; received: number; outOfOrder: number; exact: number; lastReceiveMs: number; latencies: number[] }

interface Cell {
  count: number;
  events: number;
  label: string;
  error?: string;
  connected?: number;
  connectSeconds?: number;
  received?: number;
  exact?: number;
  eventsPerSecond?: number;
  p50?: number;
  p99?: number;
  max?: number;
  /** Median duration of the server's synchronous publish call (encode + write to every subscriber). */
  publishCallMs?: number;
  rssPerConnection?: number;
  heapPerConnection?: number;
}

/**
 * One C: all three servers run at once, each in its own process, with C subscribers each in the
 * shared client process(es), and publish at the same rate with their ticks evenly staggered. So
 * all three meet the same background load (this machine is shared), and none of them has the
 * machine to itself while another had a busy moment: latency ratios compare like with like.
 */
async function runRound(count: number, rateHz: number, events: number): Promise<Cell[]> {
  const cells: Cell[] = SERVERS.map(({ label }) => ({ count, events, label }));
  const servers = SERVERS.map(({ kind }) => new Child(serverScript, [kind]));
  const clients: Child[] = [];
  const settle = async (i: number, work: () => Promise<void>): Promise<void> => {
    try {
      if (!cells[i]!.error) await work();
    } catch (error) {
      cells[i]!.error ??= (error as Error).message;
    }
  };
  try {
    const urls: string[] = [];
    const before: { rss: number; heapUsed: number }[] = [];
    await Promise.all(servers.map((server, i) => settle(i, async () => {
      urls[i] = (await server.ready).url!;
      before[i] = await server.request<{ rss: number; heapUsed: number }>('memory', {}, 15_000);
    })));
    const processes = count >= 5000 ? 2 : 1;
    const sampleEvery = Math.max(1, Math.round(count / 1000));
    for (let p = 0; p < processes; p++) clients.push(new Child('fanout-clients.ts', []));
    await Promise.all(clients.map((c) => c.ready));
    for (let i = 0; i < servers.length; i++) {
      await settle(i, async () => {
        const cell = cells[i]!;
        const begin = nowMs();
        const connects = await Promise.all(clients.map((c, p) => c.request<{ connected: number; failed: number; firstError?: string }>(
          'connect', { group: String(i), url: urls[i], count: Math.floor(count / processes) + (p < count % processes ? 1 : 0), sampleEvery, concurrency: 100 }, 90_000)));
        cell.connectSeconds = (nowMs() - begin) / 1000;
        cell.connected = connects.reduce((n, c) => n + c.connected, 0);
        const connectError = connects.find((c) => c.firstError)?.firstError;
        if (connectError) cell.error = `${count - cell.connected} of ${count} connections failed: ${connectError}`;
        // Registration may trail the response head (better-sse registers after an await).
        for (let k = 0; k < 100 && (await servers[i]!.request<number>('subscribers', {}, 5000)) < cell.connected; k++) await new Promise((r) => setTimeout(r, 50));
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(servers.map((server, i) => settle(i, async () => {
      const after = await server.request<{ rss: number; heapUsed: number }>('memory', {}, 15_000);
      cells[i]!.rssPerConnection = (after.rss - before[i]!.rss) / cells[i]!.connected!;
      cells[i]!.heapPerConnection = (after.heapUsed - before[i]!.heapUsed) / cells[i]!.connected!;
    })));

    const period = 1000 / rateHz;
    const publishMs = events * period;
    const startAtMs = nowMs() + 300;
    await Promise.all(servers.map((server, i) => settle(i, async () => {
      const cell = cells[i]!;
      const [published, ...waits] = await Promise.all([
        server.request<{ beginMs: number; callMs: number[] }>('publish', { count: events, rateHz, size: DATA_BYTES, startAtMs: startAtMs + (i * period) / servers.length }, publishMs + 30_000),
        ...clients.map((c) => c.request<WaitResult>('wait', { group: String(i), events, timeoutMs: publishMs + 15_000 }, publishMs + 30_000)),
      ]);
      const latencies = waits.flatMap((w) => w.latencies);
      cell.received = waits.reduce((n, w) => n + w.received, 0);
      cell.exact = waits.reduce((n, w) => n + w.exact, 0);
      const lastReceive = Math.max(...waits.map((w) => w.lastReceiveMs));
      cell.eventsPerSecond = cell.received / ((lastReceive - published.beginMs) / 1000);
      cell.p50 = percentile(latencies, 50);
      cell.p99 = percentile(latencies, 99);
      cell.max = percentile(latencies, 100);
      cell.publishCallMs = percentile(published.callMs, 50);
    })));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(clients.map((c) => c.stop()));
  }
  return cells;
}

interface ReplayResult { cold?: number; median?: number; max?: number; received?: number; error?: string }

/**
 * The reference server's replay: 10,001 retained events, a client resumes after the first.
 * The first replay (cold code paths) is reported apart from the median of the next five.
 */
async function runReplay(): Promise<ReplayResult> {
  const server = new Child(serverScript, ['reference']);
  const client = new Child('fanout-clients.ts', []);
  try {
    const { url } = await server.ready;
    await client.ready;
    await server.request('fill', { count: REPLAY_EVENTS + 1, size: DATA_BYTES }, 30_000);
    const runs: { ms: number; received: number }[] = [];
    for (let i = 0; i < 6; i++) runs.push(await client.request<{ ms: number; received: number }>('replay', { url, lastEventId: '1', events: REPLAY_EVENTS, timeoutMs: 10_000 }, 15_000));
    const warm = runs.slice(1).map((r) => r.ms);
    return { cold: runs[0]!.ms, median: percentile(warm, 50), max: percentile(warm, 100), received: Math.min(...runs.map((r) => r.received)) };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await server.stop();
    await client.stop();
  }
}

function systemLimits(): string {
  let files = 'unknown';
  try {
    files = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    // keep 'unknown'
  }
  let ports = 'unknown';
  try {
    ports = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '-');
  } catch {
    // not Linux
  }
  return `ulimit -n ${files} (each process needs about C + 100), ephemeral ports ${ports}`;
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

let serverScript = '';

async function main(): Promise<void> {
  serverScript = compileServerSide();
  console.log(`Server fan-out on loopback: ${DATA_BYTES} B data per event, heartbeats off; per C: ${PLAN.map((p) => `C=${p.count}: ${p.events} events at ${p.rateHz}/s`).join(', ')}`);
  console.log(`Machine: ${machineDescription()}`);
  console.log(`Limits: ${systemLimits()}`);
  console.log('Servers run as tsc output (like the package), each in its own process; clients are raw sockets in 1-2 other processes.\n');
  const cells: Cell[] = [];
  for (const { count, rateHz, events } of PLAN) {
    if (nowMs() > runDeadline) {
      cells.push(...SERVERS.map(({ label }) => ({ count, events, label, error: 'not run: time budget used up' })));
      continue;
    }
    const begin = nowMs();
    const round = await runRound(count, rateHz, events);
    cells.push(...round);
    process.stderr.write(`  C=${count}: ${round.map((c) => `${c.label} ${c.error ?? 'ok'} (connect ${fmt(c.connectSeconds)} s)`).join(', ')}; ${fmt((nowMs() - begin) / 1000)} s\n`);
  }
  const replay = nowMs() > runDeadline ? { error: 'not run: time budget used up' } : await runReplay();

  console.log('| C | server | connected | events delivered | all to all | delivered events/s | p50 ms | p99 ms | max ms | publish call ms | RSS / conn | heap / conn |');
  console.log('|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of cells) {
    if (c.error && c.received === undefined) {
      console.log(`| ${c.count.toLocaleString('en-US')} | ${c.label} | ${c.error} | | | | | | | | | |`);
      continue;
    }
    const all = c.exact === c.count ? 'yes' : `no (${c.exact} of ${c.count} exact)`;
    console.log(`| ${c.count.toLocaleString('en-US')} | ${c.label} | ${c.connected} | ${c.received} / ${c.count * c.events} | ${all} | ${fmt(c.eventsPerSecond, 0)} | ${fmt(c.p50, 2)} | ${fmt(c.p99, 2)} | ${fmt(c.max, 2)} | ${fmt(c.publishCallMs, 2)} | ${fmt(c.rssPerConnection! / 1024)} KiB | ${fmt(c.heapPerConnection! / 1024)} KiB |`);
  }
  console.log(`\nReplay (sse-conformance), request sent to last of ${REPLAY_EVENTS} retained events received: ${replay.error ?? `first (cold) ${fmt(replay.cold, 1)} ms, then median ${fmt(replay.median, 1)} ms, max ${fmt(replay.max, 1)} ms of 5 (${replay.received} events each)`}`);

  const targets: { text: string; pass: boolean }[] = [];
  const find = (count: number, label: string): Cell | undefined => cells.find((c) => c.count === count && c.label === label);
  const biggest = COUNTS[COUNTS.length - 1]!;
  const ref = find(biggest, 'sse-conformance');
  targets.push({ text: `${biggest.toLocaleString('en-US')} concurrent subscribers held, every event to every subscriber (${ref?.exact ?? 0} of ${biggest} exact)`, pass: ref?.exact === biggest && !ref.error });
  for (const count of COUNTS) {
    const ours = find(count, 'sse-conformance');
    const plain = find(count, 'node:http broadcaster');
    const ratio = ours?.p99 !== undefined && plain?.p99 !== undefined ? ours.p99 / plain.p99 : NaN;
    targets.push({ text: `C=${count.toLocaleString('en-US')}: p99 latency <= 1.2x the node:http broadcaster's (${fmt(ours?.p99, 2)} vs ${fmt(plain?.p99, 2)} ms: ${fmt(ratio, 2)}x)`, pass: ratio <= 1.2 });
  }
  // Memory is judged at the largest C, where per-connection cost dominates heap-growth steps and
  // RSS granularity; both the process's RSS and the JS heap must meet the target.
  const oursBig = find(biggest, 'sse-conformance');
  const plainBig = find(biggest, 'node:http broadcaster');
  for (const [name, key] of [['RSS', 'rssPerConnection'], ['JS heap', 'heapPerConnection']] as const) {
    const ours = oursBig?.[key];
    const plain = plainBig?.[key];
    const ratio = ours !== undefined && plain !== undefined ? ours / plain : NaN;
    targets.push({ text: `C=${biggest.toLocaleString('en-US')}: memory per idle connection (${name}) <= 1.2x the node:http broadcaster's (${fmt((ours ?? NaN) / 1024, 2)} vs ${fmt((plain ?? NaN) / 1024, 2)} KiB: ${fmt(ratio, 2)}x)`, pass: ratio <= 1.2 });
  }
  targets.push({ text: `replay of ${REPLAY_EVENTS.toLocaleString('en-US')} retained events in < 100 ms (median ${fmt(replay.median, 1)} ms, cold ${fmt(replay.cold, 1)} ms)`, pass: replay.median !== undefined && replay.received! >= REPLAY_EVENTS && replay.median < 100 });

  console.log('\nTargets:');
  for (const { text, pass } of targets) console.log(`  ${pass ? 'PASS' : 'MISS'}  ${text}`);
  const missed = targets.filter((t) => !t.pass).length;
  console.log(missed ? `\n${missed} of ${targets.length} targets missed.` : `\nAll ${targets.length} targets met.`);
  process.exitCode = missed ? 1 : 0;
}

const watchdog = setTimeout(() => {
  console.error('fanout bench: exceeded its time budget; stopping');
  process.exit(2);
}, RUN_BUDGET_MS + 60_000);
watchdog.unref();
main().catch((error: Error) => {
  console.error(`fanout bench failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
