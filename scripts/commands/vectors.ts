import { readFileSync, writeFileSync } from 'node:fs';
import { BaselineError, parseBaseline, type BaselineEntry } from '../../conformance/baseline.ts';
import { render, REPORT_FORMATS, type ReportFormat } from '../../conformance/report/index.ts';
import { runVectorsThroughAdapter, type VectorResult } from '../../conformance/vectors/adapter-runner.ts';
import { vectorRunResult } from '../../conformance/vectors/run-result.ts';
import { loadVectors, type Vector } from '../../fixtures/vectors/load.ts';
import type { RunResult } from '../../conformance/model.ts';
import { UsageError, version, type Command } from '../cli.ts';

const usage = `Usage: sse-conformance vectors [--exec "<cmd>"] [--filter <pattern>] [--json]
                               [--timeout <ms>] [--startup-timeout <ms>] [--per-vector]
                               [--expected-failures <file>]
                               [--reporter <format>=<path>]...

Without --exec, lists the parser test vectors (fixtures/vectors/*.json).
With --exec, runs them against another parser through an adapter command and prints which
vectors fail, with expected and actual values. The adapter protocol (one JSON request line per
vector on the adapter's stdin, one JSON answer line on its stdout) is in fixtures/vectors/README.md.

Options:
  --exec "<cmd>"      adapter command line, run with sh -c
  --filter <pattern>  only vector IDs matching <pattern> ("*" = any characters; without "*",
                      a substring match), e.g. --filter 'bom.*' or --filter crlf
  --timeout <ms>      per-vector time limit for an answer (default 5000)
  --startup-timeout <ms>
                      extra time for the first answer of a freshly started adapter
                      process (default 10000)
  --per-vector        start a fresh adapter process for every vector
  --json              print JSON instead of text (with --exec: the canonical run result,
                      schema sse-conformance/run-result, one case per vector)
  --expected-failures <file>
                      known failures by vector ID with reasons (same formats as check's
                      baseline); they do not fail the run, but a listed vector that passes
                      is stale and does
  --reporter <format>=<path>
                      also write a report: ${REPORT_FORMATS.join(', ')} (repeatable)

Exit codes: 0 all selected vectors passed (or listed, or failed only as expected),
1 some unexpected FAIL/ERROR/TIMEOUT or stale baseline entries, 2 adapter unusable
(cannot start, or no valid answer), 64 usage error.`;

export interface VectorsArgs {
  exec?: string | undefined;
  filter?: string | undefined;
  json: boolean;
  timeoutMs: number;
  startupTimeoutMs: number;
  perVector: boolean;
  baselineFile?: string | undefined;
  reporters: { format: ReportFormat; path: string }[];
}

export function parseVectorsArgs(args: readonly string[]): VectorsArgs {
  const parsed: VectorsArgs = { json: false, timeoutMs: 5000, startupTimeoutMs: 10000, perVector: false, reporters: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v === '') throw new UsageError(`vectors: ${arg} needs a value`);
      return v;
    };
    if (arg === '--exec') parsed.exec = value();
    else if (arg === '--filter') parsed.filter = value();
    else if (arg === '--json') parsed.json = true;
    else if (arg === '--per-vector') parsed.perVector = true;
    else if (arg === '--expected-failures') parsed.baselineFile = value();
    else if (arg === '--reporter') {
      const v = value();
      const at = v.indexOf('=');
      const format = v.slice(0, at < 0 ? v.length : at) as ReportFormat;
      if (!REPORT_FORMATS.includes(format)) throw new UsageError(`vectors: --reporter: unknown format "${format}" (use ${REPORT_FORMATS.join(', ')})`);
      if (at < 0 || at === v.length - 1) throw new UsageError(`vectors: --reporter ${format}=<path> needs a path`);
      parsed.reporters.push({ format, path: v.slice(at + 1) });
    }
    else if (arg === '--timeout' || arg === '--startup-timeout') {
      const text = value();
      const ms = Number(text);
      const min = arg === '--timeout' ? 1 : 0;
      if (!/^\d+$/.test(text) || ms < min) throw new UsageError(`vectors: ${arg} must be ${min ? 'a positive' : 'a non-negative'} integer number of milliseconds, got "${text}"`);
      if (arg === '--timeout') parsed.timeoutMs = ms;
      else parsed.startupTimeoutMs = ms;
    } else throw new UsageError(`vectors: unknown argument ${arg}`);
  }
  for (const [flag, given] of [['--per-vector', parsed.perVector], ['--expected-failures', parsed.baselineFile !== undefined], ['--reporter', parsed.reporters.length > 0]] as const) {
    if (given && parsed.exec === undefined) throw new UsageError(`vectors: ${flag} needs --exec`);
  }
  return parsed;
}

/** `*` matches any run of characters; a pattern without `*` matches anywhere in the ID. */
export function vectorFilter(pattern: string): (id: string) => boolean {
  if (!pattern.includes('*')) return (id) => id.includes(pattern);
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (id) => regex.test(id);
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((line) => prefix + line).join('\n');
}

function textLine(result: VectorResult, expectedReason: string | undefined): string {
  const mark = expectedReason === undefined ? result.verdict.padEnd(7) : `${result.verdict} (expected: ${expectedReason})\n       `;
  return `${mark} ${result.id}  [${result.requirements.join(', ')}]\n${indent(result.problems.join('\n'), '        ')}\n`;
}

function readBaseline(file: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`vectors: --expected-failures: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseBaseline(text, file);
  } catch (error) {
    if (error instanceof BaselineError) throw new UsageError(`vectors: --expected-failures: ${error.message}`);
    throw error;
  }
}

/** The vectors `options` selects (all when no filter); a filter matching none is a usage error. */
export function selectVectors(options: Pick<VectorsArgs, 'filter'>): Vector[] {
  const vectors = loadVectors();
  if (options.filter === undefined) return vectors;
  const matches = vectorFilter(options.filter);
  const chosen = vectors.filter((v) => matches(v.id));
  if (chosen.length === 0) throw new UsageError(`vectors: no vector ID matches --filter "${options.filter}"`);
  return chosen;
}

/** Runs the selected vectors through `options.exec`; returns the canonical run result (no output). */
export async function runVectorSuite(options: VectorsArgs & { exec: string }, onResult?: (r: VectorResult) => void): Promise<{ result: RunResult; vectors: Vector[]; unusable: string | undefined }> {
  const vectors = selectVectors(options);
  const baseline = options.baselineFile === undefined ? [] : readBaseline(options.baselineFile);
  const startedAt = new Date().toISOString();
  const run = await runVectorsThroughAdapter(vectors, {
    command: options.exec,
    timeoutMs: options.timeoutMs,
    startupTimeoutMs: options.startupTimeoutMs,
    perVector: options.perVector,
    onResult,
  });
  const result = vectorRunResult(vectors, run, {
    adapter: options.exec,
    harnessVersion: version(),
    startedAt,
    options: { filter: options.filter ?? null, timeoutMs: options.timeoutMs, startupTimeoutMs: options.startupTimeoutMs, perVector: options.perVector, expectedFailures: options.baselineFile ?? null },
    baseline,
    knownIds: new Set(loadVectors().map((v) => v.id)),
  });
  return { result, vectors, unusable: run.unusable };
}

export const command: Command = {
  summary: 'list the parser test vectors, or run them against any parser via an adapter',
  usage,
  async run(args) {
    const options = parseVectorsArgs(args);
    if (options.exec === undefined) {
      const vectors = selectVectors(options);
      if (options.json) process.stdout.write(`${JSON.stringify(vectors, null, 2)}\n`);
      else {
        const width = Math.max(...vectors.map((v) => v.id.length));
        process.stdout.write(vectors.map((v) => `${v.id.padEnd(width)}  ${v.requirements.join(', ')}\n`).join(''));
        process.stdout.write(`${vectors.length} vectors (fixtures/vectors/*.json; format and adapter protocol in fixtures/vectors/README.md)\n`);
      }
      return 0;
    }

    const baseline = options.baselineFile === undefined ? [] : readBaseline(options.baselineFile);
    const expectedReasons = new Map(baseline.filter((e) => e.check === undefined).map((e) => [e.caseId, e.reason]));
    const { result, vectors, unusable } = await runVectorSuite({ ...options, exec: options.exec }, options.json ? undefined : (r) => {
      if (r.verdict !== 'PASS') process.stdout.write(textLine(r, expectedReasons.get(r.id)));
    });
    const exitCode = result.summary.indeterminate !== undefined ? 2 : result.summary.ok ? 0 : 1;
    for (const reporter of options.reporters) {
      try {
        writeFileSync(reporter.path, render(reporter.format, result));
      } catch (error) {
        process.stderr.write(`sse-conformance vectors: cannot write ${reporter.format} report to ${reporter.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
        return 2;
      }
    }
    if (options.json) {
      process.stdout.write(render('json', result));
    } else {
      const c = result.summary.counts;
      const expected = result.cases.filter((x) => x.expectedFailure).length;
      process.stdout.write(`${vectors.length} vectors: ${c.PASS} PASS, ${c.FAIL} FAIL, ${c.ERROR} ERROR, ${c.TIMEOUT} TIMEOUT${expected ? ` (${expected} expected failures)` : ''} (adapter: ${options.exec})\n`);
      if (result.summary.staleBaseline.length > 0) process.stdout.write(`stale baseline entries (listed as failing, but passing or unknown): ${result.summary.staleBaseline.join(', ')}\n`);
      if (unusable !== undefined) process.stderr.write(`sse-conformance vectors: adapter unusable: ${unusable}\n`);
    }
    return exitCode;
  },
};
