import { readFileSync } from 'node:fs';
import { diffRuns, renderDiff } from '../../conformance/report/diff.ts';
import { parseRunResult, ResultFileError } from '../../conformance/report/json.ts';
import { UsageError, type Command } from '../cli.ts';

const usage = `Usage: sse-conformance diff <before.json> <after.json> [--json]

Compares two result files written by \`check --reporter json=<file>\` (or a client run) by stable
case ID and lists regressions (not failing before, failing now), new passes (failing before,
PASS now), other verdict changes, and cases present in only one file.

Options:
  --json   print the comparison as JSON
Exit codes: 0 no regressions, 1 regressions, 2 a file cannot be read or is not a result file, 64 usage error.`;

export const command: Command = {
  summary: 'compare two result files: regressions and new passes',
  usage,
  async run(args) {
    const json = args.includes('--json');
    const files = args.filter((a) => a !== '--json');
    const unknown = files.find((f) => f.startsWith('-'));
    if (unknown) throw new UsageError(`diff: unknown option ${unknown}`);
    if (files.length !== 2) throw new UsageError('diff needs exactly two result files');
    const results = [];
    for (const file of files) {
      try {
        results.push(parseRunResult(readFileSync(file, 'utf8'), file));
      } catch (error) {
        const message = error instanceof ResultFileError ? error.message : `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        process.stderr.write(`sse-conformance diff: ${message}\n`);
        return 2;
      }
    }
    const d = diffRuns(results[0]!, results[1]!);
    process.stdout.write(json ? `${JSON.stringify(d, null, 2)}\n` : renderDiff(d, files[0]!, files[1]!));
    return d.regressions.length ? 1 : 0;
  },
};
