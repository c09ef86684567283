import type { RunResult } from '../../conformance/model.ts';
import type { ReportFormat } from '../../conformance/report/index.ts';
import { exitCodeFor, type RunProgress, type Selection } from '../../conformance/runner.ts';
import { ProgressLine } from '../../conformance/report/progress.ts';
import type { BrowserName } from '../../conformance/browsers.ts';
import type { ClientDriver } from '../../conformance/client/driver.ts';
import { UsageError, version, type Command } from '../cli.ts';
import { parseReporterSpec, positiveInt } from './run-options.ts';
import { listCases, loadBaseline, writeReports } from './check.ts';
import { builtinAdapterCommand } from '../../conformance/client/adapters/builtin.ts';

export const usage = `Usage: sse-conformance client <target>... [options]

Runs the client scenarios (fixtures/scenarios: a scripted server that misbehaves on purpose:
chunk splits, drops, 204/401/5xx, redirects, wrong content types) against a client and reports
what it showed (events, open/error order, readyState) and what it sent (the server's request log).

Targets (one or more; each gets its own result):
  --reference                     our reference EventSource (reference/client.ts), in-process
  --exec "<cmd>"                  any client through an adapter command: the scenario URL is appended,
                                  the adapter prints one JSON line per observation (README: "Client
                                  conformance"); repeatable
  --adapter <name>                an adapter shipped in the package, by name: reference (our EventSource in
                                  its own process), undici (undici's EventSource), eventsource (the npm
                                  package \`eventsource\` as installed in your project); same as --exec
  --name <name>                   report name for the preceding --exec/--adapter (default: its hello name)
  --browser <names>               real browsers: chromium, firefox (puppeteer-core), webkit (WebKitGTK's
                                  WebDriver + MiniBrowser under a private Xvfb) (comma-separated)
Selection:
  --case <glob>                   scenario ID pattern, * = any run of characters (repeatable, comma-separated)
  --area <name>                   parse, reconnect, last-event-id, status, content-type, redirect, request, lifecycle, vectors
  --exclude <glob>                leave out matching scenarios (repeatable)
  --list                          print the scenarios with their requirement IDs and exit
Results:
  --reporter <fmt>[=<path>]       text (default), json, junit, html, markdown; repeatable; with several
                                  targets, "-<target>" is inserted before the path's extension
  --expected-failures <file>      baseline of known failures ("scenario-id[:check]: reason" lines or JSON)
  --strict                        NON_STRICT findings (SHOULD / our readings of gaps) fail the run too
  --seed <n>                      seed of the generated scenario (printed in every report)
  --quiet                         no live progress line on stderr (drawn only when stderr is a terminal)
Generated scenario (client.parse.generated-streams):
  --property-runs <n>             generated streams per target (default 10)
  --property-time <ms>            shrinking budget after a failure (default 20000)
  --no-property                   leave it out
Parser vectors over the wire (client.vectors.<file>):
  --vectors                       also serve every parser vector (fixtures/vectors) on its own connection,
                                  split after every CR and inside every multi-byte character (~400
                                  connections: about 10 s in-process, a minute or more per browser)
Transport:
  --http2                         play the scenarios over HTTP/2: a throw-away CA for this run, the
                                  playback server on h2 over TLS (HTTP/1.1 still offered by ALPN);
                                  the reference client speaks h2 trusting it, adapters get
                                  NODE_EXTRA_CA_CERTS, Chromium/Firefox accept its key for this run
Limits:
  --concurrency <n>               scenarios at once (default: per driver; timing scenarios run alone)
  --timeout-multiplier <x>        scale every scenario's time limit (slow machines)
  --epsilon <ms>                  tolerance of lower-bound timing gates (default 30)

Verdicts: PASS, FAIL (a MUST violated), NON_STRICT (SHOULD or our reading of a spec gap), INFO
(implementation-defined, measured only), UNSUPPORTED (the client cannot do what the scenario needs,
e.g. custom headers in a browser), SKIP, ERROR (adapter crash, garbage output, harness fault), TIMEOUT.
Exit codes: 0 conformant (modulo baseline), 1 failures or stale baseline entries, 2 a target could
not run (browser missing, nothing could run), 64 usage error.`;

type Target = { kind: 'reference' } | { kind: 'exec'; command: string; name?: string | undefined } | { kind: 'browser'; browser: BrowserName };

export interface ClientOptions {
  targets: Target[];
  ids: string[];
  areas: string[];
  exclude: string[];
  list: boolean;
  reporters: { format: ReportFormat; path?: string | undefined }[];
  baselineFile?: string | undefined;
  strict: boolean;
  seed: number;
  propertyRuns: number;
  propertyTimeMs: number;
  property: boolean;
  vectors: boolean;
  concurrency?: number | undefined;
  timeoutMultiplier: number;
  epsilonMs: number;
  /** --quiet: no live progress line. */
  quiet?: boolean | undefined;
  /** --http2: scenarios over HTTP/2 (h2 over TLS with a throw-away CA for the run). */
  http2?: boolean | undefined;
}


export function parseClientArgs(args: readonly string[]): ClientOptions {
  const o: ClientOptions = {
    targets: [], ids: [], areas: [], exclude: [], list: false, reporters: [], strict: false,
    seed: Math.floor(Math.random() * 2 ** 31), propertyRuns: 10, propertyTimeMs: 20_000, property: true, vectors: false, timeoutMultiplier: 1, epsilonMs: 30, quiet: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const list = (): string[] => value().split(',').map((s) => s.trim()).filter(Boolean);
    switch (flag) {
      case '--reference': o.targets.push({ kind: 'reference' }); break;
      case '--exec': {
        const command = value();
        if (!command.trim()) throw new UsageError('--exec needs a command');
        o.targets.push({ kind: 'exec', command });
        break;
      }
      case '--adapter': o.targets.push({ kind: 'exec', command: builtinAdapterCommand(value()) }); break;
      case '--name': {
        const last = o.targets.at(-1);
        if (last?.kind !== 'exec') throw new UsageError('--name must follow an --exec target');
        last.name = value();
        break;
      }
      case '--browser':
        for (const b of list()) {
          if (b !== 'chromium' && b !== 'firefox' && b !== 'webkit') throw new UsageError(`--browser: unknown browser ${JSON.stringify(b)} (chromium, firefox, webkit)`);
          o.targets.push({ kind: 'browser', browser: b });
        }
        break;
      case '--case': o.ids.push(...list()); break;
      case '--area': o.areas.push(...list()); break;
      case '--exclude': o.exclude.push(...list()); break;
      case '--list': o.list = true; break;
      case '--reporter': o.reporters.push(parseReporterSpec(value())); break;
      case '--expected-failures': o.baselineFile = value(); break;
      case '--strict': o.strict = true; break;
      case '--seed': o.seed = positiveInt(flag, value(), 0); break;
      case '--quiet': o.quiet = true; break;
      case '--property-runs': o.propertyRuns = positiveInt(flag, value(), 1); break;
      case '--property-time': o.propertyTimeMs = positiveInt(flag, value(), 100); break;
      case '--no-property': o.property = false; break;
      case '--vectors': o.vectors = true; break;
      case '--http2': o.http2 = true; break;
      case '--concurrency': o.concurrency = positiveInt(flag, value(), 1); break;
      case '--timeout-multiplier': {
        const v = Number(value());
        if (!(v >= 0.1 && v <= 100)) throw new UsageError('--timeout-multiplier needs a number between 0.1 and 100');
        o.timeoutMultiplier = v;
        break;
      }
      case '--epsilon': o.epsilonMs = positiveInt(flag, value(), 0); break;
      default: throw new UsageError(`client: unknown ${flag.startsWith('-') ? 'option' : 'argument'} ${flag}`);
    }
  }
  if (!o.list && o.targets.length === 0) throw new UsageError('client needs a target: --reference, --exec "<cmd>" or --browser chromium,firefox');
  if (!o.reporters.length) o.reporters.push({ format: 'text' });
  return o;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'target';
}

/** `reports/client.json` + `chromium` → `reports/client-chromium.json`. */
export function pathFor(path: string, target: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? `${path.slice(0, dot)}-${target}${path.slice(dot)}` : `${path}-${target}`;
}

function targetKey(t: Target): string {
  return t.kind === 'reference' ? 'reference' : t.kind === 'browser' ? t.browser : slug(t.name ?? t.command.split(/[\s/]+/).filter(Boolean).at(-1) ?? 'exec');
}

/** Runs every target; returns one RunResult per target that could start, and the problems of those that could not. */
export async function runClientTargets(
  o: ClientOptions, onProblem: (message: string) => void = () => {}, onProgress?: (target: string, progress: RunProgress) => void,
): Promise<{ results: { key: string; result: RunResult }[]; failedToStart: number }> {
  const [{ loadScenarios }, { runClientSuite }, { createPlaybackServer }] = await Promise.all([
    import('../../conformance/client/scenario.ts'), import('../../conformance/client/suite.ts'), import('../../reference/server/playback.ts'),
  ]);
  const scenarios = loadScenarios();
  const baseline = o.baselineFile ? loadBaseline(o.baselineFile) : [];
  const selection: Selection = { ids: o.ids, areas: o.areas, exclude: o.exclude };
  const results: { key: string; result: RunResult }[] = [];
  let failedToStart = 0;
  const h2 = o.http2 ? await (await import('../../conformance/client/http2.ts')).startHttp2ClientRun() : undefined;
  try {
  for (const target of o.targets) {
    const server = await createPlaybackServer(h2 ? h2.playback : {});
    let driver: ClientDriver | undefined;
    try {
      if (target.kind === 'reference') {
        const { referenceDriver } = await import('../../conformance/client/drivers/reference.ts');
        driver = referenceDriver(h2 ? { fetch: h2.fetch } : {});
      } else if (target.kind === 'exec') {
        const { execDriver } = await import('../../conformance/client/drivers/exec.ts');
        driver = execDriver({ command: target.command, name: target.name, ...(h2 ? { env: h2.env } : {}) });
      } else {
        const { browserDriver } = await import('../../conformance/client/drivers/browser.ts');
        const { withLaunchDefaults } = await import('../../conformance/browsers.ts');
        try {
          if (h2 && target.browser === 'webkit') throw new Error('--http2 needs TLS, and WebKit (WebDriver) cannot be told to trust the run\'s certificate');
          driver = await withLaunchDefaults({ tls: h2 ? { spkiSha256: [h2.spkiSha256] } : undefined }, () => browserDriver({ browser: target.browser, server }));
        } catch (error) {
          failedToStart++;
          onProblem(`${target.browser}: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
      }
      const result = await runClientSuite({
        context: { driver, server, epsilonMs: o.epsilonMs, timeoutMultiplier: o.timeoutMultiplier },
        scenarios,
        property: o.property ? { seed: o.seed, numRuns: o.propertyRuns, shrinkBudgetMs: o.propertyTimeMs } : undefined,
        vectors: o.vectors,
        target: { name: driver.name, version: driver.version },
        harnessVersion: version(),
        seed: o.seed,
        strict: o.strict,
        options: {
          target: target.kind, command: target.kind === 'exec' ? target.command : undefined, executable: driver.executablePath, ids: o.ids, areas: o.areas, exclude: o.exclude,
          baselineFile: o.baselineFile, propertyRuns: o.property ? o.propertyRuns : 0, vectors: o.vectors, epsilonMs: o.epsilonMs, timeoutMultiplier: o.timeoutMultiplier,
          ...(h2 ? { http2: true } : {}),
        },
        selection,
        baseline,
        concurrency: o.concurrency,
        onProgress: onProgress && ((p) => onProgress(targetKey(target), p)),
      });
      // An adapter names itself in its hello line; a name given with --name wins.
      const learned = driver.identity?.();
      const name = target.kind === 'exec' ? (target.name ?? learned?.name ?? driver.name) : driver.name;
      const version_ = target.kind === 'exec' ? learned?.version : driver.version;
      results.push({ key: targetKey(target.kind === 'exec' && !target.name && learned?.name ? { ...target, name: learned.name } : target), result: { ...result, target: { name, version: version_ },
        // Under --http2: the HTTP versions the client actually used (from the playback server's log).
        ...(h2 ? { options: { ...result.options, httpVersions: [...new Set(server.requests.map((r) => r.httpVersion ?? '?'))].sort() } } : {}) } });
    } finally {
      await driver?.close().catch(() => {});
      await server.close();
    }
  }
  } finally {
    await h2?.close();
  }
  return { results, failedToStart };
}

export const command: Command = {
  summary: 'run the client scenarios against browsers, any client (--exec) or the reference EventSource',
  usage,
  async run(args) {
    const o = parseClientArgs(args);
    if (o.list) {
      const [{ loadScenarios }, { PROPERTY_CASE_INFO }] = await Promise.all([import('../../conformance/client/scenario.ts'), import('../../conformance/client/suite.ts')]);
      const { vectorCases } = await import('../../conformance/client/wire-vectors.ts');
      process.stdout.write(listCases([...loadScenarios(), PROPERTY_CASE_INFO, ...(o.vectors ? vectorCases() : [])], { ids: o.ids, areas: o.areas, exclude: o.exclude }));
      return 0;
    }
    process.stderr.write(`sse-conformance client (seed ${o.seed})\n`);
    const progress = ProgressLine.for(process.stderr, { quiet: o.quiet });
    const { results, failedToStart } = await runClientTargets(o, (m) => {
      progress?.clear();
      process.stderr.write(`sse-conformance client: cannot run ${m}\n`);
    }, progress && ((target, p) => {
      if (o.targets.length > 1) progress.setLabel(target);
      progress.update(p);
    })).finally(() => progress?.end());
    let exit = failedToStart ? 2 : 0;
    for (const { key, result } of results) {
      const reporters = results.length > 1 ? o.reporters.map((r) => ({ ...r, path: r.path && r.path !== '-' ? pathFor(r.path, key) : r.path })) : o.reporters;
      for (const path of writeReports(result, reporters)) process.stderr.write(`report written: ${path}\n`);
      const code = exitCodeFor(result);
      exit = Math.max(exit, code === 2 ? 2 : code);
    }
    return exit;
  },
};
