/**
 * Client scenarios in WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver: conformance/webkit.ts).
 * The page is the one Chromium and Firefox run (./browser.ts PAGE), served by the playback server
 * at its own origin, with a report queue in front of it instead of puppeteer's exposed binding;
 * a long-polling `execute/async` loop brings each report to the harness within milliseconds,
 * where it is timestamped on arrival as in the other engines.
 *
 * One WebDriver session per parallel worker (a driver takes one session): sessions are kept for
 * the next scenario after the page is left for about:blank, which ends its EventSource.
 */
import { launchBrowser, type WebKitLaunchedBrowser } from '../../browsers.ts';
import { reportQueueScript, startReportPump, type ReportPump, type WebKitSession } from '../../webkit.ts';
import type { PlaybackServer } from '../../../reference/server/playback.ts';
import type { ClientDriver, DriverOutcome, DriverRun, ObservationInput } from '../driver.ts';
import { PAGE } from './browser.ts';

export const WEBKIT_PAGE_PATH = '/__sse-conformance/client-webkit.html';

export interface WebKitDriverOptions {
  readonly browser: 'webkit';
  readonly server: PlaybackServer;
  readonly parallel?: number | undefined;
}

export interface WebKitClientDriver extends ClientDriver {
  readonly launched: WebKitLaunchedBrowser;
}

/** Starts the display and the first driver; `close()` deletes every session and stops every process. */
export async function webkitDriver(options: WebKitDriverOptions): Promise<WebKitClientDriver> {
  const launched = await launchBrowser('webkit');
  options.server.setStatic(WEBKIT_PAGE_PATH, { contentType: 'text/html; charset=utf-8', body: PAGE.replace('<script>', `${reportQueueScript('ssecReport')}<script>`) });
  const parallel = options.parallel ?? 4;
  // A pool of at most `parallel` sessions, all opened up front: starting MiniBrowsers while
  // scenarios run would eat into their time windows on a loaded machine.
  const idle: WebKitSession[] = [];
  const all = new Set<WebKitSession>();
  const waiting: ((s: WebKitSession) => void)[] = [];
  const recycling = new Set<Promise<void>>();
  let closed = false;
  const open = async (): Promise<WebKitSession> => {
    const fresh = await launched.host.openSession({ timeoutMs: 30_000 });
    all.add(fresh);
    return fresh;
  };
  const release = (s: WebKitSession) => {
    const next = waiting.shift();
    if (next) next(s);
    else idle.push(s);
  };
  const acquire = async (): Promise<WebKitSession> => {
    const s = idle.pop();
    if (s) return s;
    if (all.size < parallel) return open();
    return new Promise((resolve) => waiting.push(resolve));
  };
  /** Leaves the page for about:blank (ending anything it still had open), then back into the pool; a session that fails is replaced. */
  const recycle = (s: WebKitSession, healthy: boolean) => {
    const done = (async () => {
      if (healthy) healthy = await s.navigate('about:blank', 10_000).then(() => true, () => false);
      if (closed) return;
      if (healthy) return release(s);
      all.delete(s);
      await s.close();
      if (!closed && waiting.length) await open().then(release, () => undefined);
    })();
    recycling.add(done);
    void done.finally(() => recycling.delete(done));
  };
  try {
    const warm = await Promise.all(Array.from({ length: parallel }, () => open()));
    for (const s of warm) idle.push(s);
  } catch (error) {
    await Promise.all([...all].map((s) => s.close()));
    await launched.close();
    throw error;
  }
  return {
    name: launched.version,
    version: launched.version,
    executablePath: launched.executablePath,
    launched,
    // ~140 MB per session (webkit.md); 4 keep two cores responsive.
    parallel,
    async run(run: DriverRun): Promise<DriverOutcome> {
      if (run.requires.includes('headers')) {
        return { status: 'unsupported', feature: 'headers', reason: 'browser EventSource cannot send custom request headers' };
      }
      let session: WebKitSession;
      try {
        session = await acquire();
      } catch (error) {
        return { status: 'error', reason: `WebKit session failed: ${(error as Error).message}` };
      }
      let healthy = true;
      let pump: ReportPump | undefined;
      const deliver = (texts: string[]) => {
        for (const text of texts) {
          try {
            run.observe(JSON.parse(text) as ObservationInput);
          } catch {
            // a malformed report from our own page: ignore rather than crash the run
          }
        }
      };
      try {
        if (run.signal.aborted) return { status: 'error', reason: 'aborted before the page was loaded' };
        const config = { url: run.url, eventTypes: run.eventTypes, closeOn: run.closeOn ?? null };
        await session.navigate(`${options.server.url}${WEBKIT_PAGE_PATH}#${encodeURIComponent(JSON.stringify(config))}`, 15_000);
        // Only now: a script WebDriver runs while a navigation replaces the document never answers
        // (observed: the request hangs until the script timeout). Reports made until now wait in the page's queue.
        pump = startReportPump(session, deliver);
        await new Promise<void>((resolve) => {
          if (run.signal.aborted) resolve();
          else run.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        return { status: 'ok' };
      } catch (error) {
        healthy = false;
        return { status: 'error', reason: `WebKit page failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
      } finally {
        await pump?.stop();
        // The client stops here; leaving the page happens after the run resolved.
        if (healthy) healthy = await session.execute('window.__ssecSource && window.__ssecSource.close()', [], 5000).then(() => true, () => false);
        recycle(session, healthy);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...recycling]);
      idle.length = 0;
      await Promise.all([...all].map((s) => s.close()));
      await launched.close();
    },
  };
}
