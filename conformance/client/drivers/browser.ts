/**
 * Real browsers through puppeteer-core (conformance/browsers.ts launchBrowser; WebKit through
 * WebDriver: ./webkit.ts, same page and reports): one shared launch
 * per run, one page per scenario, served by the playback server (same origin as the stream). The
 * page opens a native EventSource and reports every observation through an exposed binding; the
 * harness timestamps them on arrival. Browsers cannot set request headers on EventSource, so
 * scenarios that need `headers` are UNSUPPORTED.
 */
import type { Page } from 'puppeteer-core';
import { launchBrowser, type BrowserName, type LaunchedBrowser } from '../../browsers.ts';
import type { PlaybackServer } from '../../../reference/server/playback.ts';
import type { ClientDriver, DriverOutcome, DriverRun, ObservationInput } from '../driver.ts';
import { webkitDriver } from './webkit.ts';

export const PAGE_PATH = '/__sse-conformance/client.html';

// The page-side reporter is `send`, never `ssecReport` itself (a page function with the binding's
// name silently stops the script; see shared/reference/browsers.md).
export const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sse-conformance client page</title>
<script>
(() => {
  const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const send = (o) => { try { window.ssecReport(JSON.stringify(o)); } catch (e) {} };
  const es = new EventSource(cfg.url);
  window.__ssecSource = es;
  let closedSent = false;
  const reportClosed = () => { if (!closedSent && es.readyState === 2) { closedSent = true; send({ kind: 'closed', readyState: 2 }); } };
  const maybeClose = (kind) => { if (cfg.closeOn === kind) { es.close(); reportClosed(); } };
  const onMessage = (e) => { send({ kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin, readyState: es.readyState }); maybeClose('message'); };
  // A stream may name its events "open" or "error": those arrive as MessageEvents.
  es.addEventListener('open', (e) => { if (e instanceof MessageEvent) return onMessage(e); send({ kind: 'open', readyState: es.readyState }); maybeClose('open'); });
  es.addEventListener('error', (e) => { if (e instanceof MessageEvent) return onMessage(e); send({ kind: 'error', readyState: es.readyState }); reportClosed(); maybeClose('error'); });
  for (const type of cfg.eventTypes) if (type !== 'open' && type !== 'error') es.addEventListener(type, onMessage);
})();
</script>`;

export interface BrowserDriverOptions {
  readonly browser: BrowserName;
  /** The playback server the runner uses: it also serves the page. */
  readonly server: PlaybackServer;
  readonly parallel?: number | undefined;
}

export interface BrowserDriver extends ClientDriver {
  readonly launched: LaunchedBrowser;
}

/** Launches the browser once; `close()` closes it. Throws BrowserUnavailableError when it is not installed. */
export async function browserDriver(options: BrowserDriverOptions): Promise<BrowserDriver> {
  if (options.browser === 'webkit') return webkitDriver({ ...options, browser: 'webkit' });
  const launched = await launchBrowser(options.browser);
  options.server.setStatic(PAGE_PATH, { contentType: 'text/html; charset=utf-8', body: PAGE });
  return {
    name: launched.version,
    version: launched.version,
    executablePath: launched.executablePath,
    launched,
    parallel: options.parallel ?? (options.browser === 'chromium' ? 6 : 4),
    async run(run: DriverRun): Promise<DriverOutcome> {
      if (run.requires.includes('headers')) {
        return { status: 'unsupported', feature: 'headers', reason: 'browser EventSource cannot send custom request headers' };
      }
      let page: Page | undefined;
      try {
        // Firefox's BiDi sometimes discards a browsing context being created while others close: retry that step only
        // (nothing has been requested yet, so the scenario's request log stays clean).
        for (let attempt = 1; ; attempt++) {
          try {
            page = await launched.browser.newPage();
            break;
          } catch (error) {
            if (attempt >= 3 || run.signal.aborted) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
          }
        }
        if (run.timing) await page.bringToFront().catch(() => {}); // background tabs get throttled timers
        await page.exposeFunction('ssecReport', (message: string) => {
          try {
            run.observe(JSON.parse(message) as ObservationInput);
          } catch {
            // a malformed report from our own page: ignore rather than crash the run
          }
        });
        const config = { url: run.url, eventTypes: run.eventTypes, closeOn: run.closeOn ?? null };
        await page.goto(`${options.server.url}${PAGE_PATH}#${encodeURIComponent(JSON.stringify(config))}`, { waitUntil: 'load', timeout: 15_000 });
        await new Promise<void>((resolve) => {
          if (run.signal.aborted) resolve();
          else run.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        await page.evaluate('window.__ssecSource && window.__ssecSource.close()').catch(() => {});
        return { status: 'ok' };
      } catch (error) {
        return { status: 'error', reason: `browser page failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
      } finally {
        await page?.close().catch(() => {});
      }
    },
    async close() {
      await launched.close();
    },
  };
}
