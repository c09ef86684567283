/**
 * `npm run bench parser`: throughput of reference/parser.ts beside eventsource-parser 4 and 3 and
 * undici's EventSource parser, and beside a raw baseline (fastest streaming UTF-8 decode + newline scan),
 * all in one run on the same bytes. Every contender gets the same Buffer chunks, bytes in, so
 * decoding is included for all (eventsource-parser takes strings: it is fed through a streaming
 * TextDecoder, timed). Prints a Markdown table and PASS/MISS per target.
 *
 * Options: --quick (fewer, smaller iterations; for a smoke run, not for numbers)
 *          --size=<MiB> (body size per workload, default 4)
 *          --workload=<text> (only the workloads whose name contains <text>)
 *          --clock=cpu|wall (what a sample measures: process CPU time, the default, or elapsed time)
 */
import { createRequire } from 'node:module';
import { createParser as createEventsourceParser3 } from 'eventsource-parser';
import { createParser as createEventsourceParser4 } from 'eventsource-parser-4';
import { createParser } from '../../reference/parser.ts';
import { decodeUtf8, unfinishedSequenceLength } from '../../reference/utf8-decoder.ts';
import { parserWorkloads, type ParserWorkload } from './parser-workloads.ts';
import { machineDescription, median } from './statistics.ts';

/** Feeds a whole body and returns the number of events (lines, for the baseline) it produced. */
type Run = (chunks: readonly Buffer[]) => { events: number; dataChars: number };

interface Contender {
  readonly name: string;
  /** The runner, or why this contender could not be loaded. */
  readonly run: Run | string;
}

const REFERENCE = 'sse-conformance';
const ESP4 = 'eventsource-parser 4';
const ESP3 = 'eventsource-parser 3';
const UNDICI = 'undici 7 EventSourceStream';
const BASELINE = 'baseline: one-shot decode + indexOf(LF)';

const referenceRun: Run = (chunks) => {
  let events = 0;
  let dataChars = 0;
  const parser = createParser({
    onEvent: (e) => {
      events++;
      dataChars += e.data.length;
    },
  });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, dataChars };
};

/** eventsource-parser takes strings: bytes go through a streaming TextDecoder first (its README's way). */
const eventsourceParserRun = (createEventsourceParser: typeof createEventsourceParser4): Run => (chunks) => {
  let events = 0;
  let dataChars = 0;
  const parser = createEventsourceParser({
    onEvent: (e) => {
      events++;
      dataChars += e.data.length;
    },
  });
  const decoder = new TextDecoder();
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  return { events, dataChars };
};

/**
 * The raw cost the 3x target is measured against: the fastest exact streaming UTF-8 decode we
 * have (one-shot decoding of each chunk, an unfinished sequence carried into the next; Node's
 * streaming TextDecoder is several times slower) and an indexOf('\n') loop over the text.
 */
const baselineRun: Run = (chunks) => {
  let lines = 0;
  let carry: Uint8Array | undefined;
  for (const chunk of chunks) {
    let bytes: Uint8Array = chunk;
    if (carry !== undefined) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
      carry = undefined;
    }
    const held = unfinishedSequenceLength(bytes);
    if (held !== 0) carry = bytes.slice(bytes.length - held);
    const text = decodeUtf8(bytes, 0, bytes.length - held);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  }
  return { events: lines, dataChars: 0 };
};

/** undici's parser is internal: load it by path. Its Transform is driven through `_transform`
 * directly (with the `push` option it accepts) so stream plumbing is not what gets measured. */
function loadUndici(): Run | string {
  interface UndiciEvent { type: string; options: { data: string } }
  interface UndiciStream { _transform(chunk: Buffer, encoding: string, callback: (error?: Error | null) => void): void }
  type UndiciStreamClass = new (options: { push: (event: UndiciEvent) => boolean }) => UndiciStream;
  let EventSourceStream: UndiciStreamClass;
  try {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('undici/package.json');
    const path = packageJson.slice(0, -'package.json'.length) + 'lib/web/eventsource/eventsource-stream.js';
    ({ EventSourceStream } = require(path) as { EventSourceStream: UndiciStreamClass });
    if (typeof EventSourceStream !== 'function') return 'not loaded: eventsource-stream.js does not export EventSourceStream';
  } catch (error) {
    return `not loaded: ${(error as Error).message.split('\n')[0]}`;
  }
  return (chunks) => {
    let events = 0;
    let dataChars = 0;
    const stream = new EventSourceStream({
      push: (e) => {
        events++;
        dataChars += e.options.data.length;
        return true;
      },
    });
    let failure: Error | null | undefined;
    const done = (error?: Error | null): void => {
      failure ??= error;
    };
    for (const chunk of chunks) stream._transform(chunk, 'buffer', done);
    if (failure) throw failure;
    return { events, dataChars };
  };
}

function parseArgs(argv: string[]): { quick: boolean; sizeMiB: number; workload: string } {
  let quick = false;
  clock = 'cpu';
  let sizeMiB = 4;
  let workload = '';
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--workload=')) workload = arg.slice('--workload='.length);
    else if (arg === '--clock=wall' || arg === '--clock=cpu') clock = arg === '--clock=wall' ? 'wall' : 'cpu';
    else if (arg.startsWith('--size=')) {
      sizeMiB = Number(arg.slice('--size='.length));
      if (!(sizeMiB > 0 && sizeMiB <= 256)) throw new Error(`--size must be a number of MiB in (0, 256], got ${arg}`);
    } else throw new Error(`parser bench: unknown option ${arg} (known: --quick, --size=<MiB>, --workload=<text>, --clock=cpu|wall)`);
  }
  return { quick, sizeMiB: quick ? Math.min(sizeMiB, 1) : sizeMiB, workload };
}

interface Measurement {
  contender: string;
  /** Median seconds per run, or why there is none. */
  seconds: number | string;
  /** Seconds per run in each round (same order of rounds for every contender). */
  samples: number[];
}

/**
 * Median over rounds of `a`'s time / `b`'s time in the same round. The contenders of a round run
 * back to back, so pairing them cancels drift of the machine's speed between rounds (a shared VM
 * whose vCPUs differ in speed), which a ratio of two separate medians does not.
 */
function pairedRatio(a: readonly number[], b: readonly number[]): { median: number; min: number; max: number } {
  const ratios = a.map((t, i) => t / b[i]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/**
 * Seconds per run, from back-to-back runs lasting at least `minSeconds`. No forced GC: it shrinks
 * V8's young generation and so measures a cold heap, not the steady state of a long stream; in a
 * batch each contender pays for the collection of its own garbage.
 */
function timeBatch(run: Run, chunks: readonly Buffer[], minSeconds: number): number {
  let runs = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let elapsed = 0;
  do {
    run(chunks);
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < minSeconds);
  if (clock === 'wall') return elapsed / runs;
  const cpu = process.cpuUsage(cpuStart);
  return (cpu.user + cpu.system) / 1e6 / runs;
}

/**
 * What a sample measures: `cpu` (default), the process's CPU time (user + system, GC threads
 * included), so time the scheduler gives other jobs on a shared machine is not counted; `wall`,
 * elapsed time (what the tables before issue 11 used).
 */
let clock: 'cpu' | 'wall' = 'cpu';

/** Checks every contender's output, warms up, then times rounds in rotating order (fair under drift). */
function measure(workload: ParserWorkload, contenders: readonly Contender[], rounds: number, warmupSeconds: number, sampleSeconds: number): Measurement[] {
  const result = new Map<string, number[] | string>();
  const ready: { name: string; run: Run }[] = [];
  const reference = typeof contenders[0]?.run === 'function' ? contenders[0].run(workload.chunks) : undefined;
  for (const { name, run } of contenders) {
    if (typeof run === 'string') {
      result.set(name, run);
      continue;
    }
    try {
      const out = run(workload.chunks);
      if (name !== BASELINE && (out.events !== workload.expectedEvents || out.dataChars !== reference?.dataChars)) {
        result.set(name, `wrong output: ${out.events} events / ${out.dataChars} data chars, expected ${workload.expectedEvents} / ${reference?.dataChars}`);
        continue;
      }
    } catch (error) {
      result.set(name, `failed: ${(error as Error).message}`);
      continue;
    }
    result.set(name, []);
    ready.push({ name, run });
  }
  for (const { run } of ready) {
    const until = performance.now() + warmupSeconds * 1000;
    do run(workload.chunks);
    while (performance.now() < until);
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < ready.length; k++) {
      const { name, run } = ready[(round + k) % ready.length]!;
      (result.get(name) as number[]).push(timeBatch(run, workload.chunks, sampleSeconds));
    }
  }
  return contenders.map(({ name }) => {
    const times = result.get(name)!;
    return typeof times === 'string' ? { contender: name, seconds: times, samples: [] } : { contender: name, seconds: median(times), samples: times };
  });
}

const fmt = (n: number, digits = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function main(): void {
  const { quick, sizeMiB, workload: only } = parseArgs(process.argv.slice(2));
  const rounds = quick ? 3 : 15;
  const warmupSeconds = quick ? 0.05 : 0.3;
  const sampleSeconds = quick ? 0.01 : 0.05;
  const contenders: Contender[] = [
    { name: REFERENCE, run: referenceRun },
    { name: ESP4, run: eventsourceParserRun(createEventsourceParser4) },
    { name: ESP3, run: eventsourceParserRun(createEventsourceParser3) },
    { name: UNDICI, run: loadUndici() },
    { name: BASELINE, run: baselineRun },
  ];
  const workloads = parserWorkloads(sizeMiB * 1024 * 1024).filter((w) => w.name.includes(only));
  if (workloads.length === 0) throw new Error(`parser bench: no workload name contains "${only}"`);

  console.log(`Parser throughput, ${sizeMiB} MiB per workload; per contender ${warmupSeconds} s warm-up, then the median of ${rounds} rounds of samples of >= ${sampleSeconds} s of back-to-back runs, contenders interleaved; clock: ${clock === 'cpu' ? 'process CPU time' : 'elapsed time'}`);
  console.log(`Machine: ${machineDescription()}`);
  console.log('MB = 10^6 bytes of input. "x ESP 4/3" = throughput / eventsource-parser 4\'s / 3\'s; "x baseline" = time / baseline\'s time; all the median over rounds of ratios within a round.\n');
  console.log('| workload | contender | MB/s | events/s | x ESP 4 | x ESP 3 | x baseline time |');
  console.log('|---|---|---:|---:|---:|---:|---:|');

  const targets: { text: string; pass: boolean }[] = [];
  for (const workload of workloads) {
    const measurements = measure(workload, contenders, rounds, warmupSeconds, sampleSeconds);
    const samplesOf = (name: string): number[] | undefined => {
      const m = measurements.find((x) => x.contender === name);
      return m !== undefined && typeof m.seconds === 'number' ? m.samples : undefined;
    };
    const esp4 = samplesOf(ESP4);
    const esp3 = samplesOf(ESP3);
    const baseline = samplesOf(BASELINE);
    for (const { contender, seconds, samples } of measurements) {
      if (typeof seconds === 'string') {
        console.log(`| ${workload.name} | ${contender} | ${seconds} | | | | |`);
        continue;
      }
      const mbps = workload.totalBytes / 1e6 / seconds;
      const eventsPerSecond = contender === BASELINE ? '-' : fmt(workload.expectedEvents / seconds, 0);
      const vs = (other: number[] | undefined): string => (other === undefined ? '-' : `${fmt(pairedRatio(other, samples).median, 2)}x`);
      const vsBaseline = baseline === undefined ? '-' : `${fmt(pairedRatio(samples, baseline).median, 2)}x`;
      console.log(`| ${workload.name} | ${contender} | ${fmt(mbps)} | ${eventsPerSecond} | ${vs(esp4)} | ${vs(esp3)} | ${vsBaseline} |`);
    }
    const ours = samplesOf(REFERENCE);
    if (ours === undefined || esp4 === undefined || esp3 === undefined || baseline === undefined) {
      targets.push({ text: `${workload.name}: cannot judge (a required contender has no measurement)`, pass: false });
      continue;
    }
    const range = (r: { min: number; max: number }): string => `rounds ${fmt(r.min, 2)}-${fmt(r.max, 2)}x`;
    // Issue 11: >= 1.5x the newest eventsource-parser and 3.x on every workload.
    for (const [label, esp] of [[ESP4, esp4], [ESP3, esp3]] as const) {
      const speedup = pairedRatio(esp, ours);
      targets.push({ text: `${workload.name}: >= 1.5x ${label} (${fmt(speedup.median, 2)}x; ${range(speedup)})`, pass: speedup.median >= 1.5 });
    }
    const cost = pairedRatio(ours, baseline);
    targets.push({ text: `${workload.name}: within 3x of the baseline's time (${fmt(cost.median, 2)}x; ${range(cost)})`, pass: cost.median <= 3 });
  }

  console.log('\nTargets:');
  for (const { text, pass } of targets) console.log(`  ${pass ? 'PASS' : 'MISS'}  ${text}`);
  const missed = targets.filter((t) => !t.pass).length;
  console.log(missed ? `\n${missed} of ${targets.length} targets missed.` : `\nAll ${targets.length} targets met.`);
  process.exitCode = missed ? 1 : 0;
}

try {
  main();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 64;
}
