import { loadVectors, type Vector } from '../../fixtures/vectors/load.ts';
import { runVectorsThroughAdapter, type VectorResult, type VectorVerdict } from '../../conformance/vectors/adapter-runner.ts';
import { UsageError, version, type Command } from '../cli.ts';

const usage = `Usage: sse-conformance vectors [--exec "<cmd>"] [--filter <pattern>] [--json]
                               [--timeout <ms>] [--per-vector]

Without --exec, lists the parser test vectors (fixtures/vectors/*.json).
With --exec, runs them against another parser through an adapter command and prints which
vectors fail, with expected and actual values. The adapter protocol (one JSON request line per
vector on the adapter's stdin, one JSON answer line on its stdout) is in fixtures/vectors/README.md.

Options:
  --exec "<cmd>"      adapter command line, run with sh -c
  --filter <pattern>  only vector IDs matching <pattern> ("*" = any characters; without "*",
                      a substring match), e.g. --filter 'bom.*' or --filter crlf
  --timeout <ms>      per-vector time limit, adapter start-up included (default 5000)
  --per-vector        start a fresh adapter process for every vector
  --json              print JSON instead of text

Exit codes: 0 all selected vectors passed (or listed), 1 some FAIL/ERROR/TIMEOUT,
2 adapter unusable (cannot start, or no valid answer), 64 usage error.`;

interface VectorsArgs {
  exec?: string | undefined;
  filter?: string | undefined;
  json: boolean;
  timeoutMs: number;
  perVector: boolean;
}

function parseArgs(args: string[]): VectorsArgs {
  const parsed: VectorsArgs = { json: false, timeoutMs: 5000, perVector: false };
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
    else if (arg === '--timeout') {
      const text = value();
      const ms = Number(text);
      if (!/^\d+$/.test(text) || ms < 1) throw new UsageError(`vectors: --timeout must be a positive integer number of milliseconds, got "${text}"`);
      parsed.timeoutMs = ms;
    } else throw new UsageError(`vectors: unknown argument ${arg}`);
  }
  if (parsed.perVector && parsed.exec === undefined) throw new UsageError('vectors: --per-vector needs --exec');
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

function textLine(result: VectorResult): string {
  return `${result.verdict.padEnd(7)} ${result.id}  [${result.requirements.join(', ')}]\n${indent(result.problems.join('\n'), '        ')}\n`;
}

export const command: Command = {
  summary: 'list the parser test vectors, or run them against any parser via an adapter',
  usage,
  async run(args) {
    const options = parseArgs(args);
    let vectors: Vector[] = loadVectors();
    if (options.filter !== undefined) {
      const matches = vectorFilter(options.filter);
      vectors = vectors.filter((v) => matches(v.id));
      if (vectors.length === 0) throw new UsageError(`vectors: no vector ID matches --filter "${options.filter}"`);
    }

    if (options.exec === undefined) {
      if (options.json) process.stdout.write(`${JSON.stringify(vectors, null, 2)}\n`);
      else {
        const width = Math.max(...vectors.map((v) => v.id.length));
        process.stdout.write(vectors.map((v) => `${v.id.padEnd(width)}  ${v.requirements.join(', ')}\n`).join(''));
        process.stdout.write(`${vectors.length} vectors (fixtures/vectors/*.json; format and adapter protocol in fixtures/vectors/README.md)\n`);
      }
      return 0;
    }

    const started = new Date();
    const run = await runVectorsThroughAdapter(vectors, {
      command: options.exec,
      timeoutMs: options.timeoutMs,
      perVector: options.perVector,
      onResult: options.json ? undefined : (r) => {
        if (r.verdict !== 'PASS') process.stdout.write(textLine(r));
      },
    });
    const counts: Record<VectorVerdict, number> = { PASS: 0, FAIL: 0, ERROR: 0, TIMEOUT: 0 };
    for (const r of run.results) counts[r.verdict]++;
    const exitCode = run.unusable !== undefined ? 2 : counts.PASS === run.results.length ? 0 : 1;

    if (options.json) {
      process.stdout.write(`${JSON.stringify({
        tool: 'sse-conformance vectors',
        version: version(),
        adapter: options.exec,
        filter: options.filter ?? null,
        startedAt: started.toISOString(),
        endedAt: new Date().toISOString(),
        selected: vectors.length,
        summary: counts,
        unusable: run.unusable ?? null,
        exitCode,
        results: run.results,
      }, null, 2)}\n`);
    } else {
      const summary = `${run.results.length} vectors: ${counts.PASS} PASS, ${counts.FAIL} FAIL, ${counts.ERROR} ERROR, ${counts.TIMEOUT} TIMEOUT (adapter: ${options.exec})\n`;
      process.stdout.write(summary);
      if (run.unusable !== undefined) process.stderr.write(`sse-conformance vectors: adapter unusable: ${run.unusable}\n`);
    }
    return exitCode;
  },
};
