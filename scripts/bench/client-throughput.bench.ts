/**
 * `npm run bench client-throughput`: the reference EventSource (reference/client.ts) beside
 * undici's EventSource, eventsource 4 and eventsource 5 (where it runs), on the same local streams
 * from a server in its own process (client-throughput-server.ts), one connection at a time.
 *
 * - events/s on one connection and CPU time of the client process per 100,000 events, for each
 *   workload of client-throughput-workloads.ts: rounds in rotating order; "x undici" is the median
 *   over rounds of the ratio within a round (pairing cancels the drift of a shared machine);
 * - delivery latency: time from the server's write to the `message` listener, p50/p99 over
 *   10,000 events written a few per millisecond, each its own write (clock: process.hrtime,
 *   system-wide monotonic), three rounds in rotating order;
 * - memory per idle connection with 1,000 open clients, each library in its own process
 *   (client-throughput-idle.ts), heap used + external after GC, and RSS.
 *
 * Options: --quick (fewer events and rounds; a smoke run, not for numbers), --workload=<text>,
 *          --contender=<text> (only those whose name contains it; for profiling), --rounds=<n>,
 *          --skip-throughput, --skip-memory, --skip-latency
 * Only its own child processes are ended, by PID.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONTENDERS, loadContender, REFERENCE, UNDICI, type BenchEventSourceClass } from './client-throughput-contenders.ts';
import { clientWorkloads } from './client-throughput-workloads.ts';
import { machineDescription, median, percentile } from './statistics.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

interface Options { quick: boolean; workload: string; contender: string; rounds: number; memory: boolean; latency: boolean; throughput: boolean }
function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, workload: '', contender: '', rounds: 7, memory: true, latency: true, throughput: true };
  for (const arg of argv) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--skip-memory') options.memory = false;
    else if (arg === '--skip-latency') options.latency = false;
    else if (arg === '--skip-throughput') options.throughput = false;
    else if (arg.startsWith('--workload=')) options.workload = arg.slice('--workload='.length);
    else if (arg.startsWith('--contender=')) options.contender = arg.slice('--contender='.length);
    else if (arg.startsWith('--rounds=')) options.rounds = Number(arg.slice('--rounds='.length));
    else throw new Error(`client-throughput bench: unknown option ${arg} (known: --quick, --workload=<text>, --contender=<text>, --rounds=<n>, --skip-throughput, --skip-memory, --skip-latency)`);
  }
  if (options.quick) options.rounds = Math.min(options.rounds, 3);
  if (!(options.rounds >= 1)) throw new Error('--rounds must be at least 1');
  return options;
}

function startServer(quick: boolean): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(`${here}client-throughput-server.ts`, quick ? ['--quick'] : [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 60 s')), 60_000);
    child.once('message', (m: { ready?: boolean; url?: string }) => {
      clearTimeout(timer);
      if (m.ready && m.url) resolve({ child, url: m.url });
      else reject(new Error('server failed to start'));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** Reads `events` messages on one connection; wall time from the constructor to the last one, and the process's CPU time meanwhile. */
function consume(EventSource: BenchEventSourceClass, url: string, events: number, timeoutMs: number): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const es = new EventSource(url);
    let count = 0;
    const timer = setTimeout(() => {
      es.close();
      reject(new Error(`timed out after ${count} of ${events} events`));
    }, timeoutMs);
    es.addEventListener('message', () => {
      if (++count !== events) return;
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      clearTimeout(timer);
      es.close();
      resolve({ ms, cpuMs: (used.user + used.system) / 1000 });
    });
    es.addEventListener('error', () => {
      if (count === events) return;
      clearTimeout(timer);
      es.close();
      reject(new Error(`error event after ${count} of ${events} events`));
    });
  });
}

/** Delivery latency of `events` events written a few per millisecond: µs from write to listener. */
function latency(EventSource: BenchEventSourceClass, url: string, events: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const es = new EventSource(`${url}/latency?n=${events}&burst=5`);
    const samples: number[] = [];
    const timer = setTimeout(() => {
      es.close();
      reject(new Error(`latency: timed out after ${samples.length} events`));
    }, 120_000);
    es.addEventListener('message', (event) => {
      const now = process.hrtime.bigint();
      const data = event.data as string;
      const at = data.indexOf('"sent":"') + 8;
      samples.push(Number(now - BigInt(data.slice(at, data.indexOf('"', at)))) / 1000);
      if (samples.length === events) {
        clearTimeout(timer);
        es.close();
        resolve(samples);
      }
    });
  });
}

function idleMemory(name: string, url: string, count: number): Promise<{ heapPerConnection: number; rssPerConnection: number; open: number } | string> {
  const child = fork(`${here}client-throughput-idle.ts`, [name, `${url}/idle`, String(count)], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill();
      resolve('timed out');
    }, 120_000);
    child.once('message', (m: { error?: string; heapPerConnection: number; rssPerConnection: number; open: number }) => {
      clearTimeout(timer);
      resolve(m.error ?? m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`exited with ${code}`);
    });
  });
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  // Only the names and counts here: the bytes are built in the server process, so none of them is garbage here.
  const workloads = clientWorkloads(options.quick ? 20_000 : 100_000, options.quick ? 5_000 : 20_000).filter((w) => w.name.includes(options.workload));
  if (workloads.length === 0) throw new Error(`no workload name contains "${options.workload}"`);
  const { child, url } = await startServer(options.quick);
  try {
    // Load every contender and check it on a short stream; one that does not run here is reported, not measured.
    const loaded: Array<{ name: string; EventSource: BenchEventSourceClass }> = [];
    const notRunning = new Map<string, string>();
    for (const name of CONTENDERS) {
      if (!name.includes(options.contender)) {
        notRunning.set(name, 'not selected');
        continue;
      }
      try {
        const EventSource = await loadContender(name);
        await consume(EventSource, `${url}/stream/${workloads[0]!.id}`, 100, 10_000);
        loaded.push({ name, EventSource });
      } catch (error) {
        notRunning.set(name, `does not run here: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    console.log(`Client throughput, one connection at a time to a server in another process; ${options.rounds} rounds per workload, contenders in rotating order`);
    console.log(`Machine: ${machineDescription()}`);
    console.log('events/s from the constructor to the last event; CPU = user+system time of the client process per 100,000 events; "x undici" = median over rounds of the ratio within a round.\n');
    console.log('| workload | contender | events/s | x undici | CPU ms / 100k events | x undici CPU |');
    console.log('|---|---|---:|---:|---:|---:|');
    const targets: { text: string; pass: boolean | 'n/a' }[] = [];
    for (const workload of options.throughput ? workloads : []) {
      const samples = new Map<string, { ms: number[]; cpu: number[] } | string>(loaded.map((c) => [c.name, { ms: [], cpu: [] }]));
      const stream = `${url}/stream/${workload.id}`;
      // One warm-up run each, then the rounds.
      for (let round = -1; round < options.rounds; round++) {
        for (let k = 0; k < loaded.length; k++) {
          const { name, EventSource } = loaded[(Math.max(round, 0) + k) % loaded.length]!;
          const into = samples.get(name)!;
          if (typeof into === 'string') continue;
          try {
            const { ms, cpuMs } = await consume(EventSource, stream, workload.events, 120_000);
            if (round >= 0) {
              into.ms.push(ms);
              into.cpu.push(cpuMs);
            }
          } catch (error) {
            samples.set(name, `failed: ${(error as Error).message}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const undici = samples.get(UNDICI);
      for (const name of CONTENDERS) {
        const s = samples.get(name) ?? notRunning.get(name) ?? 'not measured';
        if (typeof s === 'string') {
          console.log(`| ${workload.name} | ${name} | ${s} | | | |`);
          continue;
        }
        const ratio = typeof undici === 'object' ? median(s.ms.map((ms, i) => undici.ms[i]! / ms)) : NaN;
        const cpuRatio = typeof undici === 'object' ? median(s.cpu.map((c, i) => c / undici.cpu[i]!)) : NaN;
        console.log(`| ${workload.name} | ${name} | ${fmt(workload.events / (median(s.ms) / 1000))} | ${fmt(ratio, 2)}x | ${fmt((median(s.cpu) * 100_000) / workload.events)} | ${fmt(cpuRatio, 2)}x |`);
        if (name === REFERENCE && typeof undici === 'object') {
          const ratios = s.ms.map((ms, i) => undici.ms[i]! / ms);
          const range = `rounds ${fmt(Math.min(...ratios), 2)}-${fmt(Math.max(...ratios), 2)}x`;
          if (workload.pattern === 'per-event') {
            // Every client keeps up with a writer that writes one event per turn of its loop, so
            // events/s is the writer's pace for all of them: CPU per event is what differs.
            targets.push({ text: `${workload.name}: events/s is the writer's pace for every client (${fmt(ratio, 2)}x undici; ${range}); CPU per event ${fmt(cpuRatio, 2)}x undici's`, pass: 'n/a' });
          } else {
            targets.push({ text: `${workload.name}: >= 1.5x undici's events/s (${fmt(ratio, 2)}x; ${range})`, pass: ratio >= 1.5 });
          }
        }
      }
    }

    if (options.latency) {
      const events = options.quick ? 2_000 : 10_000;
      const rounds = options.quick ? 1 : 3;
      console.log(`\nDelivery latency, ${fmt(events)} events written 5 per millisecond, each its own write: µs from the server's write to the message listener; after a warm-up round, ${rounds} rounds in rotating order, each after a full GC; the median round's p50/p99 (range over rounds)\n`);
      console.log('| contender | p50 µs | p99 µs | p99 range µs | max µs |');
      console.log('|---|---:|---:|---:|---:|');
      const perRound = new Map<string, Array<{ p50: number; p99: number; max: number }> | string>(loaded.map((c) => [c.name, []]));
      // A short unmeasured round first; before each run a full GC, so no library pays for the garbage of the runs before it.
      for (let round = -1; round < rounds; round++) {
        for (let k = 0; k < loaded.length; k++) {
          const { name, EventSource } = loaded[(Math.max(round, 0) + k) % loaded.length]!;
          const into = perRound.get(name)!;
          if (typeof into === 'string') continue;
          try {
            (globalThis as { gc?: () => void }).gc?.();
            await new Promise((resolve) => setTimeout(resolve, 100));
            const s = await latency(EventSource, url, round < 0 ? Math.min(events, 1000) : events);
            if (round >= 0) into.push({ p50: percentile(s, 50), p99: percentile(s, 99), max: Math.max(...s) });
          } catch (error) {
            perRound.set(name, (error as Error).message);
          }
        }
      }
      const p99 = new Map<string, number[]>();
      for (const name of CONTENDERS) {
        const r = perRound.get(name) ?? notRunning.get(name) ?? 'not measured';
        if (typeof r === 'string') {
          console.log(`| ${name} | ${r} | | | |`);
          continue;
        }
        const p99s = r.map((x) => x.p99);
        p99.set(name, p99s);
        console.log(`| ${name} | ${fmt(median(r.map((x) => x.p50)))} | ${fmt(median(p99s))} | ${fmt(Math.min(...p99s))}-${fmt(Math.max(...p99s))} | ${fmt(Math.max(...r.map((x) => x.max)))} |`);
      }
      const ours = p99.get(REFERENCE);
      const theirs = p99.get(UNDICI);
      if (ours !== undefined && theirs !== undefined) {
        targets.push({ text: `p99 delivery latency lower than undici's (median round ${fmt(median(ours))} µs vs ${fmt(median(theirs))} µs; lower in ${ours.filter((o, i) => o < theirs[i]!).length} of ${ours.length} rounds)`, pass: median(ours) < median(theirs) });
      }
    }

    if (options.memory) {
      const count = options.quick ? 200 : 1000;
      console.log(`\nMemory per idle connection, ${fmt(count)} open clients in one process (each library in its own process; growth after GC / ${fmt(count)})\n`);
      console.log('| contender | heap used + external, KiB / connection | RSS, KiB / connection | open |');
      console.log('|---|---:|---:|---:|');
      const perConnection = new Map<string, number>();
      for (const name of CONTENDERS) {
        if (notRunning.has(name)) {
          console.log(`| ${name} | ${notRunning.get(name)!} | | |`);
          continue;
        }
        const m = await idleMemory(name, url, count);
        if (typeof m === 'string') {
          console.log(`| ${name} | ${m} | | |`);
          continue;
        }
        perConnection.set(name, m.heapPerConnection);
        console.log(`| ${name} | ${fmt(m.heapPerConnection / 1024, 1)} | ${fmt(m.rssPerConnection / 1024, 1)} | ${m.open} |`);
      }
      const ours = perConnection.get(REFERENCE);
      const theirs = perConnection.get(UNDICI);
      if (ours !== undefined && theirs !== undefined) targets.push({ text: `memory per idle connection <= undici's (${fmt(ours / 1024, 1)} KiB vs ${fmt(theirs / 1024, 1)} KiB heap+external)`, pass: ours <= theirs });
    }

    console.log('\nTargets:');
    for (const { text, pass } of targets) console.log(`  ${pass === 'n/a' ? 'N/A ' : pass ? 'PASS' : 'MISS'}  ${text}`);
    const judged = targets.filter((t) => t.pass !== 'n/a');
    const missed = judged.filter((t) => !t.pass).length;
    console.log(missed ? `\n${missed} of ${judged.length} targets missed.` : `\nAll ${judged.length} targets met.`);
    process.exitCode = missed ? 1 : 0;
  } finally {
    child.kill();
  }
}

main().then(
  () => setTimeout(() => process.exit(), 200),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(64);
  },
);
