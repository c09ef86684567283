// Client adapters shipped in the package, runnable by name (`client --adapter undici`) so a user
// need not know where npm put them. Each is an `--exec` command: node on the adapter file.
import { UsageError } from '../../../scripts/cli.ts';
import { packageFile, type RuntimeFile } from '../../package-files.ts';

// `what` is for readers of this table; the usage text of `client` says the same.
const BUILTIN: Readonly<Record<string, { file: RuntimeFile; what: string }>> = {
  reference: { file: 'dist/conformance/client/adapters/reference.js', what: "this package's reference EventSource, in its own process" },
  undici: { file: 'conformance/client/adapters/undici.mjs', what: "undici's EventSource (the undici this package depends on)" },
  eventsource: { file: 'conformance/client/adapters/eventsource.mjs', what: 'the `eventsource` npm package, as installed in your project (npm install eventsource)' },
};

export const BUILTIN_ADAPTERS: readonly string[] = Object.keys(BUILTIN);

/** `node '<path of the shipped adapter>'`, for the exec driver (run with sh -c). */
export function builtinAdapterCommand(name: string): string {
  const adapter = BUILTIN[name];
  if (!adapter) throw new UsageError(`--adapter: unknown adapter ${JSON.stringify(name)} (shipped: ${BUILTIN_ADAPTERS.join(', ')}; any other client: --exec "<cmd>")`);
  return `node '${packageFile(adapter.file).replace(/'/g, `'\\''`)}'`;
}
