import { readFileSync, writeFileSync } from 'node:fs';
import {
  computeCoverage, coverageMarkdown, coverageText, SPEC_README, uncoveredRequirementIds, unknownRequirementIds, withCoverageTable,
} from '../../spec/coverage.ts';
import { UsageError, type Command } from '../cli.ts';

const usage = `Usage: sse-conformance coverage [--markdown | --json] [--write | --check]

Prints which requirement IDs (spec/catalog.ts) are exercised by parser vectors
(fixtures/vectors), client scenarios (fixtures/scenarios) and server-check cases
(conformance/server/cases.ts), which are declared untestable (spec/untestable.ts, with reasons),
and which are not covered yet.

Options:
  --markdown  print the Markdown table (as committed in spec/README.md)
  --json      print the coverage as JSON
  --write     rewrite the table in spec/README.md between its markers
  --check     exit 1 if the table in spec/README.md is stale

Exit codes: 0 ok, 1 an unknown requirement ID is cited or (--check) the table is stale, 64 usage error.`;

export const command: Command = {
  summary: 'requirement coverage by vectors, scenarios and server cases',
  usage,
  async run(args) {
    let format: 'text' | 'markdown' | 'json' = 'text';
    let action: 'print' | 'write' | 'check' = 'print';
    for (const arg of args) {
      if (arg === '--markdown') format = 'markdown';
      else if (arg === '--json') format = 'json';
      else if (arg === '--write') action = 'write';
      else if (arg === '--check') action = 'check';
      else throw new UsageError(`coverage: unknown argument ${arg}`);
    }
    const coverage = await computeCoverage();
    const unknown = unknownRequirementIds(coverage);
    if (unknown.length > 0) {
      process.stderr.write(`sse-conformance coverage: requirement IDs not in spec/catalog.ts:\n${unknown.map((u) => `  ${u}\n`).join('')}`);
      return 1;
    }
    if (action !== 'print') {
      const current = readFileSync(SPEC_README, 'utf8');
      const fresh = withCoverageTable(current, coverageMarkdown(coverage));
      if (action === 'check') {
        if (fresh === current) {
          process.stdout.write('spec/README.md coverage table is current\n');
          return 0;
        }
        process.stderr.write('sse-conformance coverage: the table in spec/README.md is stale; run `sse-conformance coverage --write`\n');
        return 1;
      }
      if (fresh !== current) writeFileSync(SPEC_README, fresh);
      process.stdout.write(`${fresh === current ? 'unchanged' : 'updated'}: ${SPEC_README}\n`);
      return 0;
    }
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify({
        sources: coverage.sources,
        uncovered: uncoveredRequirementIds(coverage),
        rows: coverage.rows.map((r) => ({ id: r.requirement.id, level: r.requirement.levelText, binds: r.requirement.binds, vectors: r.vectors, scenarios: r.scenarios, serverCases: r.serverCases, untestable: r.untestable ?? null })),
      }, null, 2)}\n`);
    } else {
      process.stdout.write(format === 'markdown' ? coverageMarkdown(coverage) : coverageText(coverage));
    }
    return 0;
  },
};
