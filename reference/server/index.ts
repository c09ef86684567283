/**
 * The reference SSE server: channels with publish, replay from a bounded log, heartbeats, auth,
 * CORS, backpressure, and fault switches for testing the harness. In-process:
 *
 *     const srv = await createReferenceServer({ heartbeatMs: 1000 });
 *     srv.publish('news', { event: 'headline', data: 'hello' }); // → { id: '1' }
 *     await srv.close();
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createSecureServer as createH2TlsServer, createServer as createH2cServer, type Http2Server, type Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { ChannelAuth, type AuthOptions } from './auth.ts';
import { CorsPolicy, type CorsOptions } from './cors.ts';
import { parseFaults, type FaultName } from './faults.ts';
import { Hub, type HubStats, type PublishInput } from './hub.ts';
import { InMemoryReplayLog, type ReplayLimits, type ReplayLog } from './replay-log.ts';
import { createRequestHandler, type ServerLogEntry } from './routes.ts';
import type { MessageBridge } from './amqp-bridge.ts';

export { FAULTS, BUFFERING_FAULT_BYTES, isFaultName, parseFaults, UnknownFaultError } from './faults.ts';
export type { FaultInfo, FaultName } from './faults.ts';
export { InMemoryReplayLog, DEFAULT_REPLAY_MAX_AGE_MS, DEFAULT_REPLAY_MAX_EVENTS } from './replay-log.ts';
export type { EventDraft, LiveFeed, LiveHandlers, MaybePromise, ReplayLimits, ReplayLog, ReplayResult, StoredEvent } from './replay-log.ts';
export { RedisReplayLog } from './redis-store.ts';
export { AmqpBridge, AMQP_HEADERS } from './amqp-bridge.ts';
export type { AmqpBridgeOptions, BridgeSink, MessageBridge } from './amqp-bridge.ts';
export type { RedisStoreOptions } from './redis-store.ts';
export { PublishError, REPLAY_GAP_EVENT } from './hub.ts';
export type { HubStats, PublishInput } from './hub.ts';
export type { AuthOptions } from './auth.ts';
export type { CorsOptions } from './cors.ts';
export { EVENT_STREAM_CONTENT_TYPE } from './routes.ts';
export type { ServerLogEntry } from './routes.ts';

export const DEFAULT_RETRY_MS = 3000;
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_MAX_PUBLISH_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

export interface ReferenceServerOptions {
  /** @defaultValue `'127.0.0.1'` */
  host?: string | undefined;
  /** 0 picks a free port. @defaultValue 0 */
  port?: number | undefined;
  /** Sent as `retry:` at the start of every stream. @defaultValue 3000 */
  retryMs?: number | undefined;
  /** Interval of `: heartbeat` comment lines (SRV-COMMENT-KEEPALIVE); 0 disables. @defaultValue 15000 */
  heartbeatMs?: number | undefined;
  /** Bounds of the in-memory replay log. */
  replay?: ReplayLimits | undefined;
  /**
   * The replay store (then `replay` is ignored): e.g. `new RedisReplayLog({ url })`, shared by
   * several instances (cross-instance fan-out and replay). The server does not close it.
   */
  store?: ReplayLog | undefined;
  /** Older name of {@link store}. */
  replayLog?: ReplayLog | undefined;
  /** Message-queue bridges (e.g. `new AmqpBridge({ url, exchange })`): started with the server, closed by `close()`. */
  bridges?: readonly MessageBridge[] | undefined;
  /** Largest publish body; larger answers 413. @defaultValue 1 MiB */
  maxPublishBytes?: number | undefined;
  /** Bytes queued for one stream beyond which it is disconnected (slow consumer). @defaultValue 1 MiB */
  maxBufferedBytes?: number | undefined;
  /** Per-channel stream tokens. */
  auth?: AuthOptions | undefined;
  /** When set, POST and DELETE need `Authorization: Bearer <publishToken>`. */
  publishToken?: string | undefined;
  /** Cross-origin access; without it no CORS headers are sent. */
  cors?: CorsOptions | undefined;
  /** Fault switches on for every request. @defaultValue [] */
  faults?: readonly FaultName[] | undefined;
  /** Let a request turn faults on for itself with `?fault=a,b`. @defaultValue false */
  allowRequestFaults?: boolean | undefined;
  /** Log sink; nothing is logged without it. Tokens are never logged. */
  log?: ((entry: ServerLogEntry) => void) | undefined;
  /** Serve HTTPS with this certificate chain and key (PEM); the URL then starts with `https:`. */
  tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /**
   * Serve HTTP/2 (node:http2, compatibility API): with `tls`, h2 negotiated by ALPN (HTTP/1.1 is
   * still offered to clients without h2); without `tls`, h2c with prior knowledge only.
   */
  http2?: boolean | undefined;
}

export interface ReferenceServer {
  /** `http://host:port` (`https://` with the `tls` option), without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Publishes an event to a channel; throws `PublishError` for bad input or a closed channel. In-memory store only (a shared store: {@link publishAsync}). */
  publish(channel: string, event: PublishInput): { id: string };
  /** Publishes on any store; rejects with `PublishError` (status 400, 410, or 503 when a shared store is unreachable). */
  publishAsync(channel: string, event: PublishInput): Promise<{ id: string }>;
  /** Closes a channel: open streams end, later subscriptions get 204. Returns the streams ended. */
  closeChannel(channel: string): number;
  /** Ends a channel's open streams cleanly but keeps it open, so clients reconnect and resume. Returns the streams ended. */
  endStreams(channel: string): number;
  /** Open streams, on one channel or in total. */
  subscriberCount(channel?: string): number;
  stats(): HubStats & { readonly connections: number };
  /** Ends every stream cleanly, stops listening, and resolves when all connections are gone. */
  close(): Promise<void>;
  /** The underlying Node server (read-only use: addresses, connection counts). */
  readonly server: Server;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/** Time open connections get to finish after `close()` before they are cut. */
const SHUTDOWN_GRACE_MS = 2000;

export async function createReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const host = options.host ?? '127.0.0.1';
  const port = nonNegativeInteger('port', options.port, 0);
  if (port > 65535) throw new RangeError(`port must be at most 65535, got ${port}`);
  const retryMs = nonNegativeInteger('retryMs', options.retryMs, DEFAULT_RETRY_MS);
  const heartbeatMs = nonNegativeInteger('heartbeatMs', options.heartbeatMs, DEFAULT_HEARTBEAT_MS);
  if (heartbeatMs > 0x7fffffff) throw new RangeError(`heartbeatMs must be at most ${0x7fffffff}`);
  const maxPublishBytes = nonNegativeInteger('maxPublishBytes', options.maxPublishBytes, DEFAULT_MAX_PUBLISH_BYTES);
  const maxBufferedBytes = nonNegativeInteger('maxBufferedBytes', options.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES);
  if (options.publishToken !== undefined && (options.publishToken === '' || /\s/.test(options.publishToken))) throw new TypeError('publishToken must be non-empty without whitespace');
  const faults = new Set(parseFaults(options.faults ?? []));
  const log = options.log ?? (() => {});
  const hub = new Hub({
    log: options.store ?? options.replayLog ?? new InMemoryReplayLog(options.replay),
    heartbeatMs,
    faults,
    onStoreError: (detail, channel) => log({ level: 'error', msg: 'replay store error', channel, detail }),
  });

  const handler = createRequestHandler({
    hub,
    retryMs,
    maxPublishBytes,
    maxBufferedBytes,
    auth: options.auth ? new ChannelAuth(options.auth) : undefined,
    publishToken: options.publishToken,
    cors: options.cors ? new CorsPolicy(options.cors) : undefined,
    faults,
    allowRequestFaults: options.allowRequestFaults ?? false,
    log,
  });
  const timeouts = { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5000 };
  // https.Server is an http.Server with TLS underneath: the rest of the server does not differ.
  // HTTP/2 goes through the compatibility API: the same handler serves both (Http2ServerRequest and
  // Http2ServerResponse have the methods it uses); connection-specific headers are never set.
  const h2Handler = handler as unknown as Parameters<typeof createH2cServer>[1];
  const server: Server = options.http2
    ? (options.tls ? createH2TlsServer({ cert: options.tls.cert, key: options.tls.key, allowHTTP1: true }, h2Handler) : createH2cServer({}, h2Handler)) as unknown as Server
    : options.tls ? createTlsServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key }, handler) : createServer(timeouts, handler);
  const sessions = new Set<Http2Session>();
  if (options.http2) {
    (server as unknown as Http2Server).on('session', (session: Http2Session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
  }
  const sockets = new Set<Socket>();
  // One shared listener rather than a closure (and a once() wrapper) per socket: about 200 bytes
  // less per idle connection (npm run bench fanout). 'close' fires once per socket anyway.
  function untrack(this: Socket): void {
    sockets.delete(this);
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', untrack);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Malformed requests (e.g. a huge Last-Event-ID header → 431) get an answer, never a crash.
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bridges = options.bridges ?? [];
  try {
    for (const bridge of bridges) await bridge.start({ publish: (channel, input) => hub.publishAsync(channel, input) });
  } catch (error) {
    await Promise.all(bridges.map((b) => b.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost}:${address.port}`;
  log({ level: 'info', msg: `listening on ${url}` });

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host: address.address,
    server,
    publish: (channel, event) => ({ id: hub.publish(channel, event).id }),
    publishAsync: async (channel, event) => ({ id: (await hub.publishAsync(channel, event)).id }),
    closeChannel: (channel) => hub.close(channel),
    endStreams: (channel) => hub.endStreams(channel),
    subscriberCount: (channel) => hub.subscriberCount(channel),
    stats: () => ({ ...hub.stats(), connections: sockets.size }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Bridges stop consuming first: unacknowledged messages go back to the broker.
        void Promise.all(bridges.map((b) => b.close().catch(() => undefined)));
        hub.endAll();
        // An HTTP/2 server has no idle-connection helpers: its sessions are closed (GOAWAY, open
        // streams finish) and whatever is left is cut after the grace time.
        const closeAll = () => (options.http2 ? sockets.forEach((s) => s.destroy()) : server.closeAllConnections());
        const closeIdle = () => (options.http2 ? sessions.forEach((s) => s.close()) : server.closeIdleConnections());
        const cut = setTimeout(closeAll, SHUTDOWN_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          log({ level: 'info', msg: 'closed' });
          resolve();
        });
        closeIdle();
        // Streams just ended become idle once their last chunk is flushed.
        setImmediate(closeIdle);
      });
      return closing;
    },
  };
}
