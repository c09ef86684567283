/**
 * The in-process driver: our reference EventSource (reference/client.ts) on undici's fetch. It is
 * the client every scenario is proven against, and needs no process or browser.
 */
import { EventSource, type FetchLike } from '../../../reference/client.ts';
import type { ClientDriver, DriverOutcome, DriverRun } from '../driver.ts';
import { version } from '../../../scripts/cli.ts';

export function referenceDriver(options: { parallel?: number; fetch?: FetchLike | undefined } = {}): ClientDriver {
  return {
    name: 'reference',
    version: `sse-conformance ${version()}`,
    parallel: options.parallel ?? 8,
    async run(run: DriverRun): Promise<DriverOutcome> {
      const es = new EventSource(run.url, { headers: run.headers ? { ...run.headers } : undefined, ...(options.fetch ? { fetch: options.fetch } : {}) });
      let closed = false;
      const reportClosed = (): void => {
        if (!closed && es.readyState === EventSource.CLOSED) {
          closed = true;
          run.observe({ kind: 'closed', readyState: 2 });
        }
      };
      const maybeClose = (kind: 'open' | 'message' | 'error'): void => {
        if (run.closeOn === kind) {
          es.close();
          reportClosed();
        }
      };
      const onMessage = (event: Event): void => {
        const e = event as MessageEvent;
        run.observe({ kind: 'event', type: e.type, data: String(e.data), lastEventId: e.lastEventId, origin: e.origin, readyState: es.readyState });
        maybeClose('message');
      };
      // A stream may name its events "open" or "error": those arrive as MessageEvents.
      es.addEventListener('open', (event) => {
        if (event instanceof MessageEvent) return onMessage(event);
        run.observe({ kind: 'open', readyState: es.readyState });
        maybeClose('open');
      });
      es.addEventListener('error', (event) => {
        if (event instanceof MessageEvent) return onMessage(event);
        run.observe({ kind: 'error', readyState: es.readyState });
        reportClosed();
        maybeClose('error');
      });
      for (const type of run.eventTypes) if (type !== 'open' && type !== 'error') es.addEventListener(type, onMessage);
      await new Promise<void>((resolve) => {
        if (run.signal.aborted) resolve();
        else run.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      es.close();
      return { status: 'ok' };
    },
    async close() {},
  };
}
