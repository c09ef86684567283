import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBaseline, renderBaseline, BaselineError, type BaselineEntry } from '../../conformance/baseline.ts';
import type { CaseInfo, RunResult } from '../../conformance/model.ts';
import { render, type ReportFormat } from '../../conformance/report/index.ts';
import { exitCodeFor, isSelected, runCases, type RunOptions, type Selection } from '../../conformance/runner.ts';
import { ProgressLine } from '../../conformance/report/progress.ts';
import { UsageError, version, type Command } from '../cli.ts';
import { parseReporterSpec, positiveInt } from './run-options.ts';
import { browserExecutable, type BrowserName } from '../../conformance/browsers.ts';
import { parseBrowserList } from '../../conformance/server/browser.ts';
import { withLaunchDefaults, type BrowserTlsTrust } from '../../conformance/browsers.ts';
import { createTransport, describeProxy, parsePemCertificates, targetSpkiSha256, withTransport, type Transport } from '../../conformance/server/transport.ts';

export const usage = `Usage: sse-conformance check <url> [options]

Checks an SSE server endpoint against the WHATWG Server-sent events rules (and the practices the
project's mission adds: replay, auth, heartbeats, Base64 binary). <url> is the stream URL; it may
contain {channel}, replaced by a fresh channel name per case (with --publish containing {channel}
too, cases never share a stream).

Target:
  -H, --header "Name: value"      extra request header (repeatable)
  --bearer <token>                send Authorization: Bearer <token> on every request
  --protected-url <url>           a URL that requires credentials: runs the auth cases against it
  --auth-query <name=value>       credential sent as a query parameter on the protected URL
  --publish <url>                 cooperative mode: publish endpoint (POST JSON {event?, data, id?}
                                  or {event?, binary: base64} → 2xx {"id"?}; DELETE closes the channel)
  --publish-header "Name: value"  header for publish requests (repeatable)
  --publish-token <token>         Authorization: Bearer <token> on publish requests
  --base64-events <t1,t2>         event types whose data must be Base64
  --heartbeat <ms>                expected heartbeat interval (gates server.heartbeat.interval)
  --observe <ms>                  how long to observe a stream (default 3000)
  --last-event-id-param <name>    query parameter the server also accepts for Last-Event-ID
  --no-replay                     declare that the server does not replay (replay cases UNSUPPORTED)
  --expect-status <code>=<url>    declare that <url> answers <code> (repeatable), e.g. 204=https://…/closed
  --peer <url>                    another instance of the same deployment (repeatable; may contain
                                  {channel} like <url>): runs the cluster cases (fan-out, resume on
                                  another instance, ids unique across instances, publish during a switch)
  --peer-publish <url>            that peer's publish URL (repeatable, in --peer order)
  --browser <names>               also observe the target through real browsers' EventSource (area browser):
                                  chromium, firefox, webkit (WebKitGTK through WebDriver; plain-HTTP targets only)
  --ca <pem file>                 also trust these CA certificates for HTTPS targets (added to Node's
                                  default roots, not replacing them); browsers trust the target's
                                  certificate for this run only when it chains to them
  --insecure                      skip certificate verification of HTTPS targets (said in the report)
  --http2                         speak HTTP/2 to the target for every request: h2 over TLS (ALPN) for
                                  https:, h2c with prior knowledge for http:; adds the http2 area
  Proxies: HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or lowercase) from the environment are honoured;
  HTTPS targets are reached through a CONNECT tunnel.
Selection:
  --case <glob>                   case ID pattern, * = any run of characters (repeatable, comma-separated)
  --area <name>                   area: response, framing, binary, heartbeat, path, http2, replay, auth, stop, publish, cluster, browser
  --exclude <glob>                leave out matching cases (repeatable)
  --list                          print the cases with their requirement IDs and exit (no network)
Results:
  --reporter <fmt>[=<path>]       text (default), json, junit, html, markdown; repeatable; without a
                                  path the report goes to stdout
  --expected-failures <file>      baseline of known failures (JSON, or lines "case-id[:check]: reason");
                                  listed cases that pass are stale and fail the run
  --write-baseline <file>         write this run's failing cases as a baseline file (reason = the
                                  failure's reason), to adopt the harness on a known-imperfect server
  --strict                        SHOULD-level findings (NON_STRICT) fail the run too
  --expect-cases <n>              case-count guard: fewer than <n> cases run → indeterminate (exit 2)
  --seed <n>                      seed for generated data (printed in every report; replays a run)
  --quiet                         no live progress line on stderr (drawn only when stderr is a terminal)
Limits:
  --header-timeout <ms>           wait for response headers (default 3000)
  --delivery-timeout <ms>         a published event must arrive within this (default 1500)
  --case-timeout <ms>             hard limit per case (default 15000; the property case 40000)
  --run-timeout <ms>              hard limit for the whole run (default 120000)
  --property-runs <n>             fast-check runs of server.publish.property (default 10)
  --property-time <ms>            time budget of the property case, shrinking included (default 20000)
  --concurrency <n>               parallel cases (default 6; timing cases always run alone)

Verdicts: PASS, FAIL (a MUST violated), NON_STRICT (a SHOULD), INFO (the spec leaves it open),
UNSUPPORTED, SKIP (deselected), ERROR (the harness could not run the case), TIMEOUT.
Exit codes: 0 conformant (modulo baseline), 1 failures or stale baseline entries, 2 target
unreachable or result indeterminate (no case reached a verdict), 64 usage error.`;

export interface CheckOptions {
  url?: string | undefined;
  headers: Record<string, string>;
  publishHeaders: Record<string, string>;
  protectedUrl?: string | undefined;
  authQuery?: string | undefined;
  publishUrl?: string | undefined;
  base64Events: string[];
  heartbeatMs?: number | undefined;
  observeMs: number;
  lastEventIdParam?: string | undefined;
  noReplay: boolean;
  expectStatus: { url: string; status: number }[];
  /** `--peer`: other instances of the deployment; `--peer-publish`: their publish URLs, in order. */
  peers: string[];
  peerPublish: string[];
  ids: string[];
  areas: string[];
  exclude: string[];
  list: boolean;
  reporters: { format: ReportFormat; path?: string | undefined }[];
  baselineFile?: string | undefined;
  writeBaseline?: string | undefined;
  expectCases?: number | undefined;
  strict: boolean;
  seed: number;
  headerTimeoutMs: number;
  deliveryMs: number;
  caseTimeoutMs: number;
  runTimeoutMs: number;
  propertyRuns: number;
  propertyTimeMs: number;
  concurrency: number;
  browsers: BrowserName[];
  /** --quiet: no live progress line. */
  quiet?: boolean | undefined;
  /** `--ca`: the file and its PEM text (read while parsing, so an unreadable file is a usage error). */
  ca?: { file: string; pem: string } | undefined;
  /** `--insecure`: no certificate verification. */
  insecure?: boolean | undefined;
  /** `--http2`: every request to the target over HTTP/2. */
  http2?: boolean | undefined;
  /** Where proxy variables are read (default process.env); not a flag: tests pass their own. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}


function header(name: string, value: string | undefined): [string, string] {
  const i = value?.indexOf(':') ?? -1;
  if (value === undefined || i <= 0) throw new UsageError(`${name} needs "Name: value", got ${JSON.stringify(value ?? '')}`);
  return [value.slice(0, i).trim().toLowerCase(), value.slice(i + 1).trim()];
}

function httpUrl(name: string, value: string | undefined): string {
  try {
    const u = new URL((value ?? '').replaceAll('{channel}', 'x'));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(`${name} needs an http(s) URL, got ${JSON.stringify(value ?? '')}`);
  }
  return value!;
}

export function parseCheckArgs(args: readonly string[]): CheckOptions {
  const o: CheckOptions = {
    headers: {}, publishHeaders: {}, base64Events: [], observeMs: 3000, noReplay: false, expectStatus: [], peers: [], peerPublish: [], ids: [], areas: [], exclude: [],
    list: false, reporters: [], strict: false, seed: Math.floor(Math.random() * 2 ** 31), headerTimeoutMs: 3000, deliveryMs: 1500,
    caseTimeoutMs: 15_000, runTimeoutMs: 120_000, propertyRuns: 10, propertyTimeMs: 20_000, concurrency: 6, browsers: [], quiet: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const takesValue = !['--list', '--strict', '--no-replay', '--quiet', '--insecure', '--http2'].includes(flag);
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (!flag.startsWith('-')) {
      if (o.url !== undefined) throw new UsageError(`only one URL is accepted (got ${o.url} and ${arg})`);
      o.url = httpUrl('<url>', arg);
      continue;
    }
    if (!takesValue && eq > 0) throw new UsageError(`${flag} takes no value`);
    switch (flag) {
      case '-H': case '--header': { const [k, v] = header(flag, value()); o.headers[k] = v; break; }
      case '--bearer': o.headers['authorization'] = `Bearer ${value()}`; break;
      case '--protected-url': o.protectedUrl = httpUrl(flag, value()); break;
      case '--auth-query': { const v = value(); if (!/^[^=]+=.*$/.test(v)) throw new UsageError('--auth-query needs name=value'); o.authQuery = v; break; }
      case '--publish': o.publishUrl = httpUrl(flag, value()); break;
      case '--publish-header': { const [k, v] = header(flag, value()); o.publishHeaders[k] = v; break; }
      case '--publish-token': o.publishHeaders['authorization'] = `Bearer ${value()}`; break;
      case '--base64-events': o.base64Events.push(...value().split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--heartbeat': o.heartbeatMs = positiveInt(flag, value()); break;
      case '--observe': o.observeMs = positiveInt(flag, value(), 100); break;
      case '--last-event-id-param': o.lastEventIdParam = value(); break;
      case '--no-replay': o.noReplay = true; break;
      case '--expect-status': {
        const v = value();
        const m = /^([1-5][0-9][0-9])=(.+)$/.exec(v);
        if (!m) throw new UsageError(`--expect-status needs <status>=<url>, got ${JSON.stringify(v)}`);
        o.expectStatus.push({ status: Number(m[1]), url: httpUrl(flag, m[2]) });
        break;
      }
      case '--peer': o.peers.push(httpUrl(flag, value())); break;
      case '--peer-publish': o.peerPublish.push(httpUrl(flag, value())); break;
      case '--case': o.ids.push(...value().split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--area': o.areas.push(...value().split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--exclude': o.exclude.push(...value().split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--list': o.list = true; break;
      case '--reporter': o.reporters.push(parseReporterSpec(value())); break;
      case '--expected-failures': o.baselineFile = value(); break;
      case '--write-baseline': o.writeBaseline = value(); break;
      case '--expect-cases': o.expectCases = positiveInt(flag, value(), 0); break;
      case '--strict': o.strict = true; break;
      case '--seed': o.seed = positiveInt(flag, value(), 0); break;
      case '--quiet': o.quiet = true; break;
      case '--header-timeout': o.headerTimeoutMs = positiveInt(flag, value(), 50); break;
      case '--delivery-timeout': o.deliveryMs = positiveInt(flag, value(), 50); break;
      case '--case-timeout': o.caseTimeoutMs = positiveInt(flag, value(), 100); break;
      case '--run-timeout': o.runTimeoutMs = positiveInt(flag, value(), 100); break;
      case '--property-runs': o.propertyRuns = positiveInt(flag, value(), 1); break;
      case '--property-time': o.propertyTimeMs = positiveInt(flag, value(), 100); break;
      case '--concurrency': o.concurrency = positiveInt(flag, value(), 1); break;
      case '--ca': o.ca = readCa(value()); break;
      case '--insecure': o.insecure = true; break;
      case '--http2': o.http2 = true; break;
      case '--browser': try { o.browsers = parseBrowserList(value()); } catch (error) { throw new UsageError(`--browser: ${(error as Error).message}`); } break;
      default: throw new UsageError(`check: unknown option ${flag}`);
    }
  }
  if (!o.list && o.url === undefined) throw new UsageError('check needs the stream URL');
  if (o.areas.includes('browser') && !o.browsers.length) throw new UsageError('--area browser needs --browser chromium, firefox and/or webkit');
  if (o.publishUrl && o.url && o.url.includes('{channel}') !== o.publishUrl.includes('{channel}')) {
    throw new UsageError('use {channel} in both the stream URL and --publish, or in neither');
  }
  if (o.ca && o.insecure) throw new UsageError('use --ca <pem> or --insecure, not both');
  if (o.peerPublish.length > o.peers.length) throw new UsageError('--peer-publish pairs with a --peer (give the peers first, in the same order)');
  if (o.url && o.peers.some((p) => p.includes('{channel}') !== o.url!.includes('{channel}'))) throw new UsageError('use {channel} in both the stream URL and every --peer, or in none');
  if (!o.reporters.length) o.reporters.push({ format: 'text' });
  return o;
}

function readCa(file: string): { file: string; pem: string } {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    parsePemCertificates(pem);
  } catch (error) {
    throw new UsageError(`--ca: ${file}: ${(error as Error).message}`);
  }
  return { file, pem };
}

export function listCases(cases: readonly CaseInfo[], selection: Selection): string {
  const chosen = cases.filter((c) => isSelected(c, selection));
  const width = Math.max(...chosen.map((c) => c.id.length), 4);
  return `${chosen.map((c) => `${c.id.padEnd(width)}  ${c.requirementIds.join(', ')}\n${' '.repeat(width + 2)}${c.title}`).join('\n')}\n${chosen.length} cases\n`;
}

function redactedOptions(o: CheckOptions): Record<string, unknown> {
  const redact = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, /authorization|cookie/i.test(k) ? '<redacted>' : v]));
  return {
    headers: redact(o.headers), publishHeaders: redact(o.publishHeaders), protectedUrl: o.protectedUrl, authQuery: o.authQuery ? `${o.authQuery.split('=')[0]}=<redacted>` : undefined,
    publishUrl: o.publishUrl, base64Events: o.base64Events, heartbeatMs: o.heartbeatMs, observeMs: o.observeMs, lastEventIdParam: o.lastEventIdParam,
    noReplay: o.noReplay, expectStatus: o.expectStatus, peers: o.peers, peerPublish: o.peerPublish, ids: o.ids, areas: o.areas, exclude: o.exclude, baselineFile: o.baselineFile,
    headerTimeoutMs: o.headerTimeoutMs, deliveryMs: o.deliveryMs, caseTimeoutMs: o.caseTimeoutMs, runTimeoutMs: o.runTimeoutMs, propertyRuns: o.propertyRuns,
    browsers: o.browsers,
    // Which executable each browser case runs (found at run time; the cases' evidence has the version).
    ...(o.browsers.length ? { browserExecutables: Object.fromEntries(o.browsers.map((b) => [b, browserExecutable(b) ?? null])) } : {}),
    ...transportOptions(o),
  };
}

/** What the run's options record about proxy and TLS trust (proxy credentials redacted; --insecure said loudly). */
function transportOptions(o: CheckOptions): Record<string, unknown> {
  const proxy = o.url ? describeProxy(o.url, o.env ?? process.env) : undefined;
  return {
    ...(proxy ? { proxy } : {}),
    ...(o.ca ? { ca: o.ca.file } : {}),
    ...(o.http2 ? { http2: true } : {}),
    ...(o.insecure ? { insecure: true, warnings: ['TLS certificate verification was disabled (--insecure): the target\'s identity was not checked'] } : {}),
  };
}

/** Runs a check with parsed options; returns the result (no output). */
export async function runCheck(o: CheckOptions, baseline: readonly BaselineEntry[] = [], hooks: Pick<RunOptions, 'onProgress'> = {}): Promise<RunResult> {
  const [{ SERVER_RUNNABLE_CASES: base, COOPERATIVE_CASE_IDS, browserCases, closeBrowsers }, { ServerContext }] = await Promise.all([
    import('../../conformance/server/cases.ts'), import('../../conformance/server/context.ts'),
  ]);
  const transport = createTransport({ env: o.env ?? process.env, ca: o.ca?.pem, insecure: o.insecure, http2: o.http2 });
  const ctx = new ServerContext({
    url: o.url!, headers: o.headers, hasCredentials: Object.keys(o.headers).length > 0 || o.authQuery !== undefined, authQuery: o.authQuery,
    protectedUrl: o.protectedUrl, publishUrl: o.publishUrl, publishHeaders: o.publishHeaders, base64Events: o.base64Events, heartbeatMs: o.heartbeatMs,
    observeMs: o.observeMs, lastEventIdParam: o.lastEventIdParam, noReplay: o.noReplay, expectStatus: o.expectStatus, headerTimeoutMs: o.headerTimeoutMs,
    deliveryMs: o.deliveryMs, maxBodyBytes: 4 * 1024 * 1024, maxLineBytes: 256 * 1024, propertyRuns: o.propertyRuns, propertyTimeMs: o.propertyTimeMs,
    transport, peers: o.peers.map((url, i) => ({ url, publishUrl: o.peerPublish[i] })),
  }, o.seed);
  const SERVER_RUNNABLE_CASES = [...base, ...browserCases(o.browsers)];
  // On a stream shared by all cases, publishing cases must not see each other's events out of turn.
  const cases = ctx.channelsTemplated ? SERVER_RUNNABLE_CASES : SERVER_RUNNABLE_CASES.map((c) => (COOPERATIVE_CASE_IDS.has(c.id) && ctx.cooperative ? { ...c, serial: true } : c));
  const selection: Selection = { ids: o.ids, areas: o.areas, exclude: o.exclude };
  const anySelected = cases.some((c) => isSelected(c, selection));
  const pre = anySelected ? await ctx.preflight() : { status: 0, unreachable: undefined };
  const browserTls = pre.unreachable ? undefined : await browserTrust(o, transport, cases.some((c) => c.area === 'browser' && isSelected(c, selection)));
  const options = { ...redactedOptions(o), ...(browserTls ? { browserTls: browserTls.describe } : {}) };
  // browser.ts launches browsers and relays without being handed these: the run's scope carries them.
  return withTransport(transport, () => withLaunchDefaults({ tls: browserTls?.trust }, () => runCases(cases, ctx, {
    mode: 'server', target: { name: o.url!, url: o.url }, harnessVersion: version(), seed: o.seed, strict: o.strict, options,
    selection, baseline, concurrency: o.concurrency, caseTimeoutMs: o.caseTimeoutMs, runTimeoutMs: o.runTimeoutMs, unreachable: pre.unreachable, expectCases: o.expectCases,
    onProgress: hooks.onProgress,
  }))).finally(() => closeBrowsers(ctx));
}

/**
 * With --ca or --insecure, browsers must accept an HTTPS target's certificate for this run only:
 * Chromium gets the SPKI hash of the leaf the harness verified (with --ca) or saw (--insecure);
 * Firefox has no such flag and accepts any certificate for the run (recorded in the options).
 */
async function browserTrust(o: CheckOptions, transport: Transport, browserCasesSelected: boolean): Promise<{ trust: BrowserTlsTrust; describe: string } | undefined> {
  if (!browserCasesSelected || (!o.ca && !o.insecure) || !o.url?.startsWith('https:')) return undefined;
  try {
    const spki = await targetSpkiSha256(o.url, transport, o.headerTimeoutMs);
    const firefox = o.browsers.includes('firefox') ? '; firefox: acceptInsecureCerts (any certificate accepted for this run)' : '';
    return { trust: { spkiSha256: [spki] }, describe: `chromium: accepts the target's key sha256/${spki} for this run${firefox}` };
  } catch (error) {
    // The browser cases then fail on the certificate themselves; the reason goes in the options.
    return { trust: {}, describe: `no browser trust: ${(error as Error).message}` };
  }
}

export function loadBaseline(file: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--expected-failures: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseBaseline(text, file);
  } catch (error) {
    if (error instanceof BaselineError) throw new UsageError(`--expected-failures: ${error.message}`);
    throw error;
  }
}

export function writeReports(result: RunResult, reporters: readonly { format: ReportFormat; path?: string | undefined }[]): string[] {
  const written: string[] = [];
  for (const r of reporters) {
    const text = render(r.format, result);
    if (r.path === undefined || r.path === '-') process.stdout.write(text);
    else {
      mkdirSync(dirname(r.path), { recursive: true });
      writeFileSync(r.path, text);
      written.push(r.path);
    }
  }
  return written;
}

export const command: Command = {
  summary: 'check an SSE server endpoint (cases per spec requirement, reports, CI exit code)',
  usage,
  async run(args) {
    const o = parseCheckArgs(args);
    if (o.list) {
      const { SERVER_CASES, browserCases } = await import('../../conformance/server/cases.ts');
      process.stdout.write(listCases([...SERVER_CASES, ...browserCases(o.browsers)], { ids: o.ids, areas: o.areas, exclude: o.exclude }));
      return 0;
    }
    const baseline = o.baselineFile ? loadBaseline(o.baselineFile) : [];
    process.stderr.write(`sse-conformance check ${o.url} (seed ${o.seed})\n`);
    if (o.insecure) process.stderr.write('sse-conformance: WARNING: --insecure: TLS certificates of the target are not verified\n');
    const progress = ProgressLine.for(process.stderr, { quiet: o.quiet });
    const result = await runCheck(o, baseline, { onProgress: (p) => progress?.update(p) }).finally(() => progress?.end());
    const written = writeReports(result, o.reporters);
    for (const path of written) process.stderr.write(`report written: ${path}\n`);
    if (o.writeBaseline) {
      writeFileSync(o.writeBaseline, renderBaseline(result));
      process.stderr.write(`baseline written: ${o.writeBaseline}\n`);
    }
    return exitCodeFor(result);
  },
};
