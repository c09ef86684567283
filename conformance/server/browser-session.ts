/**
 * One real-browser observation of a target: a fresh browser context (no cookies from other cases)
 * whose traffic runs through the harness relay, a page answered by request interception at the
 * origin the case chooses, and the page's EventSource reports. Request interception lets every
 * request of the page's EventSource through unchanged (`continue()`); it does not buffer the
 * stream (measured: events reach the page within milliseconds of being published) and it is how
 * the harness counts the browser's stream requests.
 */
import type { BrowserContext, HTTPRequest, HTTPResponse, Page } from 'puppeteer-core';
import type { LaunchedBrowser } from '../browsers.ts';
import { startRelay, type BrowserRelay, type RelayedRequest } from './browser-relay.ts';
import { openWebKitSession } from './browser-webkit.ts';
import { PAGE_PATH, REPORT_BINDING, pageHtml, parseReport, type PageConfig, type PageReport } from './browser-page.ts';

export interface SessionOptions {
  readonly browser: LaunchedBrowser;
  /** Origin the page is served at (`http://host:port`). */
  readonly pageOrigin: string;
  readonly page: PageConfig;
  /** Limit for the relay's wait for response headers and for loading the page. */
  readonly headerTimeoutMs: number;
  /** Cookies to set for the stream URL before the page loads (from a configured Cookie header). */
  readonly cookies?: readonly { readonly name: string; readonly value: string }[] | undefined;
}

/** A report with the harness time (ms since the session started) it arrived at. */
export type TimedReport = PageReport & { readonly at: number };

/** One request the browser made for the stream URL. */
export interface StreamRequest {
  /** Harness time (ms since the session started). */
  readonly at: number;
  /** Response status, once known. */
  status?: number | undefined;
  /** Request headers as intercepted (Chromium's interception omits `Last-Event-ID`; Firefox's shows it). */
  readonly interceptedHeaders: Readonly<Record<string, string>>;
  /** Response headers as the browser got them (also for HTTPS, which the relay only tunnels). */
  responseHeaders?: Readonly<Record<string, string>> | undefined;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

export class BrowserSession {
  readonly reports: TimedReport[] = [];
  readonly streamRequests: StreamRequest[] = [];
  /** Chromium only: headers of the stream requests as sent on the wire (CDP requestWillBeSentExtraInfo), in request order. */
  readonly sentHeaders: Record<string, string>[] = [];
  /** Requests the page made to anything but its own page and the stream (should be none). */
  readonly otherRequests: string[] = [];
  readonly pageUrl: string;
  /** How the browser reached page and stream when not as named (WebKit: loopback under a `.test` alias); shown in the evidence. */
  route: string | undefined;
  private readonly started = performance.now();
  private waiters = new Set<() => void>();

  constructor(
    readonly options: SessionOptions,
    /** What to close with the session: a puppeteer browser context, or WebKit's WebDriver session (browser-webkit.ts). */
    private readonly context: { close(): Promise<unknown> },
    /** The puppeteer page; undefined in WebKit (WebDriver). */
    readonly page: Page | undefined,
    private readonly relay: BrowserRelay,
  ) {
    this.pageUrl = `${options.pageOrigin}${PAGE_PATH}`;
  }

  now(): number {
    return Math.round(performance.now() - this.started);
  }

  /** @internal */
  notify(): void {
    for (const w of this.waiters) w();
  }

  events(): Extract<TimedReport, { k: 'event' }>[] {
    return this.reports.filter((r): r is Extract<TimedReport, { k: 'event' }> => r.k === 'event');
  }

  /** Resolves true once `predicate` holds, false when `timeoutMs` passed or `signal` aborted first. */
  waitFor(predicate: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const check = () => { if (predicate()) finish(true); };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(predicate()), timeoutMs);
      this.waiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waits `ms` (or until aborted). */
  pause(ms: number, signal: AbortSignal): Promise<boolean> {
    return this.waitFor(() => false, ms, signal);
  }

  /**
   * The `Last-Event-ID` header of the n-th stream request as sent: from the relay for plain HTTP
   * (it sees the request itself), else from Chromium's wire-level request headers (CDP) or
   * Firefox's interception; `null` when none of them saw the request.
   */
  lastEventIdHeader(n: number): string | undefined | null {
    return this.lastEventIdSeen(n)?.value ?? null;
  }

  /** As {@link lastEventIdHeader}, with where the header was seen. */
  lastEventIdSeen(n: number): { value: string | undefined; source: 'relay' | 'cdp' | 'interception' } | undefined {
    const viaRelay = this.relayed(n);
    if (viaRelay) return { value: viaRelay.headers['last-event-id'], source: 'relay' };
    const sent = this.sentHeaders[n];
    if (sent) return { value: headerValue(sent, 'last-event-id'), source: 'cdp' };
    const intercepted = this.streamRequests[n];
    if (intercepted && this.options.browser.name === 'firefox') return { value: intercepted.interceptedHeaders['last-event-id'], source: 'interception' };
    return undefined;
  }

  /**
   * The n-th stream request as the relay forwarded it (plain HTTP only; undefined for HTTPS): its
   * headers both ways and the body bytes the browser was offered, still content-coded.
   */
  relayed(n: number): RelayedRequest | undefined {
    return this.relay.requests.filter((r) => !r.tunnel && sameUrl(r.target, this.options.page.streamUrl))[n];
  }

  /** Ends the browser's open streams at the relay (the browser then reconnects). */
  endStreams(): number {
    return this.relay.endStreams();
  }

  async close(): Promise<void> {
    for (const w of this.waiters) w();
    await this.context.close().catch(() => undefined);
    await this.relay.close().catch(() => undefined);
  }
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); }),
  ]);
}

/**
 * Opens a context, serves the page at `pageOrigin` and loads it: the page's EventSource starts at
 * once. Throws (with a message naming the step) when the browser cannot do that in time; the
 * caller owns `close()` of the returned session.
 */
export async function openBrowserSession(options: SessionOptions): Promise<BrowserSession> {
  // WebKit has no interception or exposed bindings over WebDriver: the same session, built another way.
  if (options.browser.name === 'webkit') return openWebKitSession({ ...options, browser: options.browser });
  const relay = await startRelay({ headerTimeoutMs: options.headerTimeoutMs });
  const limit = Math.max(options.headerTimeoutMs, 5000);
  let context: BrowserContext | undefined;
  try {
    const proxyServer = relay.url.replace(/^http:\/\//, '');
    // Chromium skips proxies for loopback unless told otherwise; Firefox is launched with
    // network.proxy.allow_hijacking_localhost (conformance/browsers.ts).
    context = await withTimeout(options.browser.browser.createBrowserContext(
      options.browser.name === 'chromium' ? { proxyServer, proxyBypassList: ['<-loopback>'] } : { proxyServer },
    ), limit, 'creating a browser context');
    const page = await withTimeout(context.newPage(), limit, 'opening a page');
    const session = new BrowserSession(options, context, page, relay);
    const pageUrl = session.pageUrl;
    const html = pageHtml(options.page);
    await withTimeout(page.exposeFunction(REPORT_BINDING, (text: string) => {
      const report = parseReport(String(text));
      if (report) {
        session.reports.push({ ...report, at: session.now() });
        session.notify();
      }
    }), limit, 'exposing the report binding');
    if (options.browser.name === 'chromium') {
      // Chromium's interception omits headers added below Blink (Last-Event-ID among them); the
      // extra-info event carries the headers as sent, which also covers HTTPS (the relay only tunnels it).
      const cdp = await withTimeout(page.createCDPSession(), limit, 'opening a CDP session');
      const streamIds = new Set<string>();
      const early = new Map<string, Record<string, string>>();
      cdp.on('Network.requestWillBeSent', (e) => {
        if (!sameUrl(e.request.url, options.page.streamUrl) || streamIds.has(e.requestId)) return;
        streamIds.add(e.requestId);
        const h = early.get(e.requestId);
        if (h) { session.sentHeaders.push(h); session.notify(); }
      });
      cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
        const headers = { ...e.headers } as Record<string, string>;
        if (streamIds.has(e.requestId)) { session.sentHeaders.push(headers); session.notify(); } else early.set(e.requestId, headers);
      });
      await withTimeout(cdp.send('Network.enable'), limit, 'enabling CDP network events');
    }
    await withTimeout(page.setRequestInterception(true), limit, 'enabling request interception');
    page.on('request', (req: HTTPRequest) => {
      if (req.isInterceptResolutionHandled()) return;
      const url = req.url();
      if (sameUrl(url, pageUrl)) {
        void req.respond({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'cache-control': 'no-store' }, body: html }).catch(() => undefined);
      } else if (sameUrl(url, options.page.streamUrl)) {
        session.streamRequests.push({ at: session.now(), interceptedHeaders: { ...req.headers() } });
        session.notify();
        void req.continue().catch(() => undefined);
      } else {
        // favicon and the like never reach the target.
        session.otherRequests.push(url);
        void req.respond({ status: 404, contentType: 'text/plain', body: '' }).catch(() => undefined);
      }
    });
    page.on('response', (res: HTTPResponse) => {
      if (!sameUrl(res.url(), options.page.streamUrl)) return;
      const pending = session.streamRequests.find((r) => r.status === undefined);
      if (pending) {
        pending.status = res.status();
        pending.responseHeaders = { ...res.headers() };
      }
      session.notify();
    });
    if (options.cookies?.length) {
      // A page on another site only sends SameSite=None cookies, which browsers accept only as Secure (HTTPS).
      const crossSite = new URL(options.page.streamUrl).origin !== options.pageOrigin && new URL(options.page.streamUrl).protocol === 'https:';
      await withTimeout(page.setCookie(...options.cookies.map((c) => ({ name: c.name, value: c.value, url: options.page.streamUrl, ...(crossSite ? { sameSite: 'None' as const, secure: true } : {}) }))), limit, 'setting cookies');
    }
    await withTimeout(page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: limit }), limit + 500, 'loading the harness page');
    return session;
  } catch (error) {
    await context?.close().catch(() => undefined);
    await relay.close().catch(() => undefined);
    throw error;
  }
}
