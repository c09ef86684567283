#!/usr/bin/env node
// Client adapter for the `eventsource` npm package (v4 and v5; tested with v5 from the installed package): `--adapter eventsource`,
// or `--exec "node conformance/client/adapters/eventsource.mjs"`.
// Request headers go through its `fetch` option. Protocol: conformance/client/drivers/exec.ts.
import { createRequire } from 'node:module';
import { EventSource } from 'eventsource';

const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: eventsource.mjs <url>\n');
  process.exit(64);
}
const { version } = createRequire(import.meta.url)('eventsource/package.json');
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
print({ kind: 'hello', name: 'eventsource (npm)', version, supports: ['headers', 'close-in-handler', 'ready-state'] });

const closeOn = process.env.SSE_CONFORMANCE_CLOSE_ON;
const types = process.env.SSE_CONFORMANCE_EVENT_TYPES_JSON ? JSON.parse(process.env.SSE_CONFORMANCE_EVENT_TYPES_JSON) : (process.env.SSE_CONFORMANCE_EVENT_TYPES || 'message').split(',');
const extra = process.env.SSE_CONFORMANCE_HEADERS ? JSON.parse(process.env.SSE_CONFORMANCE_HEADERS) : undefined;
const es = new EventSource(url, extra ? {
  fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers ?? {}), ...extra } }),
} : undefined);
let closedReported = false;
const reportClosed = () => {
  if (!closedReported && es.readyState === EventSource.CLOSED) {
    closedReported = true;
    print({ kind: 'closed', readyState: 2 });
  }
};
const maybeClose = (kind) => {
  if (closeOn === kind) {
    es.close();
    reportClosed();
  }
};
const onMessage = (e) => {
  print({ kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId, readyState: es.readyState });
  maybeClose('message');
};
// Listeners (not the on* attributes) see every dispatch; a stream may name its events "open" or
// "error": those arrive as events with data.
es.addEventListener('open', (e) => {
  if (e && typeof e.data === 'string') return onMessage(e);
  print({ kind: 'open', readyState: es.readyState });
  maybeClose('open');
});
es.addEventListener('error', (e) => {
  if (e && typeof e.data === 'string' && e.type === 'error' && 'lastEventId' in e) return onMessage(e);
  print({ kind: 'error', readyState: es.readyState });
  reportClosed();
  maybeClose('error');
});
for (const type of types) if (type !== 'open' && type !== 'error') es.addEventListener(type, onMessage);
// Stay alive until the harness stops us: a client's reconnect timer may be unref'd, and an
// adapter that exits while its client waits to reconnect would hide the reconnection.
const keepAlive = setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  es.close();
  process.exit(0);
});
