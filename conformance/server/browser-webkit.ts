/**
 * The server browser cases in WebKit (WebKitGTK through WebDriver: conformance/webkit.ts). WebDriver
 * classic has none of what puppeteer gives the Chromium and Firefox sessions (request interception,
 * a proxy per browser context, exposed bindings), so the same session is built another way:
 *
 * - every case gets a fresh WebDriver session (a new MiniBrowser: no cookies or connections from
 *   other cases) whose W3C `proxy` capability points at a small front proxy of this file;
 * - the front proxy answers the harness page at the origin the case chooses (the target's own
 *   origin, or the foreign origin of the cross-origin case), 404s anything else the page asks
 *   for, and passes the stream requests on to the harness relay (browser-relay.ts) unchanged, so
 *   the relay can end streams and shows the `Last-Event-ID` header as in the other engines;
 * - WebKitGTK never sends loopback hosts (127.0.0.0/8, localhost, ::1) through a proxy (observed
 *   with 2.50.6, also with an empty noProxy list). A loopback target is therefore reached under an
 *   alias host of the reserved `.test` domain with the same port (`http://ssec-loopback-0.test:8080`);
 *   the front proxy maps it back before the relay sees the request (`Host`, `Origin` and `Referer`
 *   as the browser would have sent them at the real origin) and the page's reports are mapped
 *   back too (MessageEvent.origin), so the cases judge what they judge in the other engines. The
 *   evidence says so;
 * - the page reports through a queue drained by long-polling `execute/async`;
 * - cookies from the configuration are set through WebDriver while a blank page of the stream's
 *   origin is shown (WebDriver sets cookies only for the current document).
 *
 * HTTPS targets are UNSUPPORTED in WebKit: the relay only tunnels TLS, so nothing can answer the
 * page at an `https:` origin without interception.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebKitLaunchedBrowser } from '../browsers.ts';
import { reportQueueScript, startReportPump, type ReportPump, type WebKitSession } from '../webkit.ts';
import { startRelay } from './browser-relay.ts';
import { BrowserSession, type SessionOptions } from './browser-session.ts';
import { PAGE_PATH, REPORT_BINDING, pageHtml, parseReport } from './browser-page.ts';

/** A case this engine cannot run as asked (the case reports UNSUPPORTED with the reason). */
export class BrowserSessionUnsupportedError extends Error {
  override name = 'BrowserSessionUnsupportedError';
}

const BLANK_PATH = '/__sse_conformance__/blank.html';

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '0.0.0.0';
}

/** Maps loopback origins to `.test` aliases the browser sends through its proxy, and back. */
export class LoopbackAliases {
  private readonly toAlias = new Map<string, string>();
  private readonly toReal = new Map<string, string>();

  /** `http://127.0.0.1:8080/x` → `http://ssec-loopback-0.test:8080/x`; other URLs unchanged. */
  forBrowser(url: string): string {
    const u = new URL(url);
    if (!isLoopback(u.hostname)) return url;
    let alias = this.toAlias.get(u.host);
    if (!alias) {
      alias = `ssec-loopback-${this.toAlias.size}.test${u.port ? `:${u.port}` : ''}`;
      this.toAlias.set(u.host, alias);
      this.toReal.set(alias, u.host);
    }
    u.host = alias;
    return u.href;
  }

  /** The real URL for one the browser asked for. */
  real(url: string): string {
    try {
      const u = new URL(url);
      const real = this.toReal.get(u.host);
      if (!real) return url;
      u.host = real;
      return u.href;
    } catch {
      return url;
    }
  }

  /** Maps an origin (or a URL) string the browser produced back to the real one. */
  realOrigin(value: string): string {
    for (const [alias, real] of this.toReal) {
      for (const scheme of ['http://', 'https://']) {
        if (value === scheme + alias || value.startsWith(`${scheme}${alias}/`)) return scheme + real + value.slice(scheme.length + alias.length);
      }
    }
    return value;
  }

  get used(): boolean {
    return this.toReal.size > 0;
  }

  describe(): string {
    return [...this.toReal].map(([alias, real]) => `${real} as ${alias}`).join(', ');
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); }),
  ]);
}

/** What the front proxy needs from the session it serves. */
interface FrontHooks {
  readonly aliases: LoopbackAliases;
  readonly relayUrl: string;
  readonly headerTimeoutMs: number;
  /** The page (or blank page) to answer for a real URL, or undefined to forward. */
  serve(realUrl: string): string | undefined;
  isStream(realUrl: string): boolean;
  onStreamRequest(headers: Record<string, string>): void;
  onStreamResponse(status: number, headers: Record<string, string>): void;
  /** The last stream response's body ended. */
  onStreamBodyEnd(): void;
  onOther(realUrl: string): void;
}

function flat(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The proxy WebKit is configured with: answers harness pages itself, forwards the stream to the relay. */
async function startFront(hooks: FrontHooks): Promise<{ url: string; close(): Promise<void> }> {
  const relay = new URL(hooks.relayUrl);
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    let asked: URL;
    try {
      asked = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('absolute URL expected\n');
      return;
    }
    const real = hooks.aliases.real(asked.href);
    const page = hooks.serve(real);
    if (page !== undefined) {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
      return;
    }
    const stream = hooks.isStream(real);
    if (!stream) {
      // favicon and the like never reach the target (as with interception in the other engines).
      hooks.onOther(real);
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end();
      return;
    }
    const headers = flat(req.headers);
    // As the browser would have sent them at the real origin.
    headers['host'] = new URL(real).host;
    for (const name of ['origin', 'referer']) if (headers[name]) headers[name] = hooks.aliases.realOrigin(headers[name]);
    delete headers['proxy-connection'];
    hooks.onStreamRequest(headers);
    const upstream = http.request({ host: relay.hostname, port: relay.port, method: req.method, path: real, headers });
    const timer = setTimeout(() => upstream.destroy(new Error('no response headers')), hooks.headerTimeoutMs + 1000);
    upstream.on('response', (up) => {
      clearTimeout(timer);
      const responseHeaders = flat(up.headers);
      hooks.onStreamResponse(up.statusCode ?? 0, responseHeaders);
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      res.flushHeaders();
      up.on('data', (chunk: Buffer) => res.write(chunk));
      up.on('end', () => { hooks.onStreamBodyEnd(); res.end(); });
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `127.0.0.1:${port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface StreamResponseBody {
  readonly status: number;
  readonly challenge: string | undefined;
  ended: boolean;
}

/** Stream responses of WebKit sessions, as the front proxy passed them on. */
const bodies = new WeakMap<BrowserSession, StreamResponseBody[]>();

/**
 * Why a WebKit page neither opened nor failed a refused stream, when the cause is a WebKitGTK
 * limit rather than the target (webkit.md, pitfalls): a challenge the browser answers with its
 * own login dialog (`Basic`, `Digest`, `Negotiate`, `NTLM`), which WebDriver cannot see or
 * dismiss, or a non-200 response whose body had not ended (WebKitGTK fires `error` only once it
 * has). Undefined for other engines and other causes.
 */
export function webkitStall(session: BrowserSession): string | undefined {
  const list = bodies.get(session);
  const refused = list?.find((b) => b.status !== 200);
  if (!refused) return undefined;
  const scheme = /^\s*([A-Za-z-]+)/.exec(refused.challenge ?? '')?.[1];
  if (refused.status === 401 && scheme && /^(basic|digest|negotiate|ntlm)$/i.test(scheme)) {
    return `WebKit cannot finish this case: the 401 carries WWW-Authenticate: ${scheme}, which WebKitGTK answers with its own login dialog that WebDriver cannot see or dismiss, so the EventSource stays CONNECTING (use a Bearer challenge or none to run it in WebKit; Chromium and Firefox fail the connection)`;
  }
  if (!refused.ended) {
    return `WebKit cannot finish this case: the HTTP ${refused.status} response's body had not ended, and WebKitGTK fires error only once a refused response's body is complete, so the EventSource stays CONNECTING (end the body of refusals to run it in WebKit)`;
  }
  return undefined;
}

/** Opens a WebKit session for one case (see the file comment); same contract as openBrowserSession. */
export async function openWebKitSession(options: SessionOptions & { readonly browser: WebKitLaunchedBrowser }): Promise<BrowserSession> {
  const streamUrl = new URL(options.page.streamUrl);
  if (streamUrl.protocol !== 'http:' || !options.pageOrigin.startsWith('http:')) {
    throw new BrowserSessionUnsupportedError(`${options.browser.version}: HTTPS targets cannot be observed in WebKit here: WebDriver has no request interception, so the harness page cannot be answered at an https: origin (the relay only tunnels TLS)`);
  }
  const limit = Math.max(options.headerTimeoutMs, 5000);
  const aliases = new LoopbackAliases();
  const browserStreamUrl = aliases.forBrowser(options.page.streamUrl);
  const browserPageOrigin = new URL(aliases.forBrowser(`${options.pageOrigin}/`)).origin;
  // The page opens the stream at the URL the browser can proxy; its reports are mapped back below.
  const html = pageHtml({ ...options.page, streamUrl: browserStreamUrl }).replace('<script>', `${reportQueueScript(REPORT_BINDING)}<script>`);
  const realPageUrl = `${options.pageOrigin}${PAGE_PATH}`;
  const realBlankUrl = `${streamUrl.origin}${BLANK_PATH}`;
  const relay = await startRelay({ headerTimeoutMs: options.headerTimeoutMs });
  let webdriver: WebKitSession | undefined;
  let pump: ReportPump | undefined;
  let front: Awaited<ReturnType<typeof startFront>> | undefined;
  let session: BrowserSession | undefined;
  const responseBodies: StreamResponseBody[] = [];
  const closeAll = async () => {
    await pump?.stop();
    await webdriver?.close();
    await front?.close();
  };
  try {
    front = await startFront({
      aliases,
      relayUrl: relay.url,
      headerTimeoutMs: options.headerTimeoutMs,
      serve: (real) => (sameUrl(real, realPageUrl) ? html : sameUrl(real, realBlankUrl) ? '<!doctype html><title>blank</title>' : undefined),
      isStream: (real) => sameUrl(real, options.page.streamUrl),
      onStreamRequest: (headers) => {
        if (!session) return;
        session.streamRequests.push({ at: session.now(), interceptedHeaders: headers });
        session.notify();
      },
      onStreamResponse: (status, headers) => {
        responseBodies.push({ status, challenge: headers['www-authenticate'], ended: false });
        if (!session) return;
        const pending = session.streamRequests.find((r) => r.status === undefined);
        if (pending) {
          pending.status = status;
          pending.responseHeaders = headers;
        }
        session.notify();
      },
      onStreamBodyEnd: () => { const last = responseBodies.at(-1); if (last) last.ended = true; },
      onOther: (real) => session?.otherRequests.push(real),
    });
    webdriver = await withTimeout(options.browser.host.openSession({ httpProxy: front.url, timeoutMs: limit + 25_000 }), limit + 30_000, 'starting a WebKit session');
    session = new BrowserSession(options, { close: closeAll }, undefined, relay);
    session.route = `WebDriver session through the harness's proxy${aliases.used ? `; loopback under an alias: ${aliases.describe()} (WebKitGTK sends loopback hosts past any proxy; Host, Origin, Referer and MessageEvent.origin mapped back)` : ''}`;
    bodies.set(session, responseBodies);
    const s = session;
    const wd = webdriver;
    if (options.cookies?.length) {
      await wd.navigate(aliases.forBrowser(realBlankUrl), limit);
      for (const c of options.cookies) await wd.addCookie({ name: c.name, value: c.value }, limit);
    }
    await wd.navigate(aliases.forBrowser(realPageUrl), limit + 500);
    // Only after the navigation: a script WebDriver runs while a navigation replaces the document
    // never answers (observed). Reports made until now wait in the page's queue.
    pump = startReportPump(wd, (texts) => {
      for (const text of texts) {
        const report = parseReport(text);
        if (!report) continue;
        s.reports.push(report.k === 'event' ? { ...report, origin: aliases.realOrigin(report.origin), at: s.now() } : { ...report, at: s.now() });
      }
      s.notify();
    });
    return session;
  } catch (error) {
    await closeAll().catch(() => undefined);
    await relay.close().catch(() => undefined);
    throw error;
  }
}
