// The adapter side of the exec protocol (conformance/client/drivers/exec.ts) around our reference
// EventSource; the reference and the faulty adapters both use it.
import { EventSource, type FetchLike } from '../../../reference/client.ts';
import { version } from '../../../scripts/cli.ts';

/** Runs the adapter protocol around our EventSource; `makeFetch` lets the faulty adapter lie. */
export function runAdapter(name: string, makeFetch?: () => FetchLike): void {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write(`usage: ${name} <url>\n`);
    process.exit(64);
  }
  const print = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
  print({ kind: 'hello', name, version: version(), supports: ['headers', 'close-in-handler', 'ready-state'] });
  const closeOn = process.env['SSE_CONFORMANCE_CLOSE_ON'];
  const types = process.env['SSE_CONFORMANCE_EVENT_TYPES_JSON'] ? (JSON.parse(process.env['SSE_CONFORMANCE_EVENT_TYPES_JSON']) as string[]) : (process.env['SSE_CONFORMANCE_EVENT_TYPES'] || 'message').split(',');
  const headers = process.env['SSE_CONFORMANCE_HEADERS'] ? (JSON.parse(process.env['SSE_CONFORMANCE_HEADERS']) as Record<string, string>) : undefined;
  const es = new EventSource(url, { headers, fetch: makeFetch?.() });
  let closedReported = false;
  const reportClosed = (): void => {
    if (!closedReported && es.readyState === EventSource.CLOSED) {
      closedReported = true;
      print({ kind: 'closed', readyState: 2 });
    }
  };
  const maybeClose = (kind: string): void => {
    if (closeOn === kind) {
      es.close();
      reportClosed();
    }
  };
  const onMessage = (event: Event): void => {
    const e = event as MessageEvent;
    print({ kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId, readyState: es.readyState });
    maybeClose('message');
  };
  // A stream may name its events "open" or "error": those arrive as MessageEvents.
  es.addEventListener('open', (event) => {
    if (event instanceof MessageEvent) return onMessage(event);
    print({ kind: 'open', readyState: es.readyState });
    maybeClose('open');
  });
  es.addEventListener('error', (event) => {
    if (event instanceof MessageEvent) return onMessage(event);
    print({ kind: 'error', readyState: es.readyState });
    reportClosed();
    maybeClose('error');
  });
  for (const type of types) if (type !== 'open' && type !== 'error') es.addEventListener(type, onMessage);
  // Stay alive until the harness stops us (a reconnect timer must not be the only thing running).
  const keepAlive = setInterval(() => {}, 1 << 30);
  process.on('SIGTERM', () => {
    clearInterval(keepAlive);
    es.close();
    process.exit(0);
  });
}

