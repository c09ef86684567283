/**
 * The `sse-conformance` command line. Each subcommand lives in scripts/commands/<name>.ts and is
 * loaded only when used, so `--help` and `--list` stay instant.
 *
 * Exit codes (shared by every subcommand): 0 success / conformant, 1 failures (or stale baseline
 * entries), 2 target unreachable or result indeterminate, 64 usage error, 70 internal error.
 */
import { readFileSync } from 'node:fs';
import { packageFile } from '../conformance/package-files.ts';

export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Full usage text for `sse-conformance <name> --help`. */
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

/** Thrown for bad command-line input; printed with the usage hint and exit code 64. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type CommandLoader = () => Promise<Command>;

// Keep alphabetical. Each entry loads its module lazily.
const COMMANDS: Record<string, CommandLoader> = {
  browsers: async () => (await import('./commands/browsers.ts')).command,
  check: async () => (await import('./commands/check.ts')).command,
  client: async () => (await import('./commands/client.ts')).command,
  coverage: async () => (await import('./commands/coverage.ts')).command,
  demo: async () => (await import('./commands/demo.ts')).command,
  diff: async () => (await import('./commands/diff.ts')).command,
  parse: async () => (await import('./commands/parse.ts')).command,
  report: async () => (await import('./commands/report.ts')).command,
  serve: async () => (await import('./commands/serve.ts')).command,
  vectors: async () => (await import('./commands/vectors.ts')).command,
};

/** The package version, from the package's own package.json. */
export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    // reported as 0.0.0 below: a version string must never stop a run
  }
  return '0.0.0';
}

async function loadSummaries(): Promise<string> {
  const rows: string[] = [];
  for (const [name, load] of Object.entries(COMMANDS)) rows.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  return rows.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`sse-conformance ${version()}: conformance harness and reference implementation for Server-Sent Events\n\nUsage: sse-conformance <command> [options]\n\nCommands:\n${await loadSummaries()}\n\nRun 'sse-conformance <command> --help' for a command's options.\nExit codes: 0 ok/conformant, 1 failures or stale baseline, 2 target unreachable or indeterminate, 64 usage error, 70 internal error.\n`);
      return name === undefined ? 64 : 0;
    }
    if (name === '--version' || name === '-v') {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    const load = COMMANDS[name];
    if (!load) throw new UsageError(`unknown command "${name}"`);
    const command = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
      return 0;
    }
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`sse-conformance: ${error.message}\nRun 'sse-conformance ${name && COMMANDS[name] ? `${name} ` : ''}--help' for usage.\n`);
      return 64;
    }
    process.stderr.write(`sse-conformance: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 70;
  }
}
