/**
 * The HTTP surface: `GET /channels/:name` subscribes, `POST` publishes, `DELETE` closes,
 * `OPTIONS` answers CORS preflights. Everything else is 404 (unknown path) or 405 (method).
 * Error answers are JSON `{"error": "..."}` naming what was wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { base64ToBytes, encodeEvent, isBase64 } from '../encoder.ts';
import { checkPublishToken, type ChannelAuth } from './auth.ts';
import type { CorsPolicy } from './cors.ts';
import { parseFaults, UnknownFaultError, type FaultName } from './faults.ts';
import { isValidChannelName, PublishError, type Hub, type PublishInput } from './hub.ts';
import { Subscriber } from './subscriber.ts';

/** One structured log line. Tokens and credentials never appear in it. */
export interface ServerLogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly method?: string | undefined;
  readonly channel?: string | undefined;
  readonly status?: number | undefined;
  readonly detail?: string | undefined;
}

export interface RouteContext {
  readonly hub: Hub;
  readonly retryMs: number;
  readonly maxPublishBytes: number;
  readonly maxBufferedBytes: number;
  readonly auth: ChannelAuth | undefined;
  readonly publishToken: string | undefined;
  readonly cors: CorsPolicy | undefined;
  readonly faults: ReadonlySet<FaultName>;
  readonly allowRequestFaults: boolean;
  readonly log: (entry: ServerLogEntry) => void;
}

/** Content type of every healthy stream (SRV-CONTENT-TYPE, SRV-UTF8). */
export const EVENT_STREAM_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
const ALLOW = 'GET, POST, DELETE, OPTIONS';
/** A body this many times over the limit is not buffered: the 413 goes out at once and the rest is discarded while lingering. */
const DRAIN_FACTOR = 8;
/**
 * Lingering close (as nginx's lingering_time / lingering_timeout): after an answer given before a
 * request body was read to its end (413, 401, 400, 404…), the server keeps reading and discarding
 * the body so the client can read the answer instead of getting a reset (closing a socket with
 * unread bytes makes the kernel send RST, and the client may lose the answer with it). It stops
 * after this long in all, or this long without a byte, and then cuts the connection.
 */
export const LINGER_MS = 10_000;
export const LINGER_IDLE_MS = 2_000;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message }, headers);
}

const PUBLISH_FIELDS = new Set(['event', 'data', 'binary', 'id']);

/** Validates a parsed publish body; returns the input or an error message. */
export function publishInputFromJson(body: unknown): PublishInput | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object like {"event"?: string, "data": string, "id"?: string} or {"event"?: string, "binary": "<base64>"}';
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!PUBLISH_FIELDS.has(key)) return `unknown field ${JSON.stringify(key)}; allowed: event, data, binary, id`;
  const { event, data, binary, id } = record;
  if (event !== undefined && typeof event !== 'string') return '"event" must be a string';
  if (data !== undefined && typeof data !== 'string') return '"data" must be a string';
  if (id !== undefined && typeof id !== 'string') return '"id" must be a string';
  if (binary !== undefined && typeof binary !== 'string') return '"binary" must be a Base64 string';
  if (typeof binary === 'string' && !isBase64(binary)) return '"binary" is not canonical padded Base64 (RFC 4648, standard alphabet, no whitespace)';
  return {
    event,
    data,
    id,
    binary: typeof binary === 'string' ? base64ToBytes(binary) : undefined,
  };
}

/** Reads a request body up to `limit` bytes; resolves `null` when it is larger (after draining a bounded amount). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > limit;
    if (over && declared > limit * DRAIN_FACTOR) {
      resolve(null);
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (over) {
        chunks.length = 0;
        if (size > limit * DRAIN_FACTOR) {
          req.removeAllListeners('data');
          req.pause();
          resolve(null);
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads and discards what is left of a request body after an early answer, for a bounded time (see LINGER_MS). */
function linger(req: IncomingMessage): void {
  // HTTP/2 ends a stream with RST_STREAM, never the connection: nothing to linger for (and the
  // socket is the whole session).
  if (req.complete || req.destroyed || req.httpVersionMajor >= 2) return;
  const socket = req.socket;
  let idle: NodeJS.Timeout | undefined;
  const cleanup = () => {
    clearTimeout(total);
    clearTimeout(idle);
  };
  const cut = () => {
    cleanup();
    socket.destroy();
  };
  const total = setTimeout(cut, LINGER_MS);
  const bump = () => {
    clearTimeout(idle);
    idle = setTimeout(cut, LINGER_IDLE_MS);
  };
  total.unref();
  req.removeAllListeners('data');
  req.on('data', bump);
  req.once('end', cleanup);
  req.once('close', cleanup);
  req.on('error', cleanup);
  bump();
  idle?.unref();
  req.resume();
}

export function createRequestHandler(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Every answer given before the request body was read to its end lingers (no reset).
    res.once('finish', () => linger(req));
    handle(ctx, req, res).catch((error: unknown) => {
      ctx.log({ level: 'error', msg: 'internal error', method: req.method, detail: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendError(res, 500, 'internal server error');
      else res.destroy();
    });
  };
}

async function handle(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://reference.invalid');
  } catch {
    sendError(res, 400, 'malformed request target');
    return;
  }
  const match = /^\/channels\/([^/]+)$/.exec(url.pathname);
  if (!match) {
    sendError(res, 404, `no route for ${req.method ?? '?'} ${url.pathname.slice(0, 100)}; use /channels/<name>`);
    return;
  }
  let channel: string;
  try {
    channel = decodeURIComponent(match[1]!);
  } catch {
    sendError(res, 400, 'channel name is not valid percent-encoding');
    return;
  }
  if (!isValidChannelName(channel)) {
    sendError(res, 400, 'invalid channel name: use 1-200 characters from A-Z a-z 0-9 . _ ~ -');
    return;
  }

  let faults = ctx.faults;
  const requested = url.searchParams.getAll('fault');
  if (requested.length > 0) {
    if (!ctx.allowRequestFaults) {
      sendError(res, 400, 'per-request faults are disabled on this server (start it with allowRequestFaults / --allow-request-faults)');
      return;
    }
    try {
      faults = new Set([...ctx.faults, ...parseFaults(requested.join(','))]);
    } catch (error) {
      if (error instanceof UnknownFaultError) {
        sendError(res, 400, error.message);
        return;
      }
      throw error;
    }
  }

  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    if (ctx.cors) ctx.cors.preflight(req, res);
    else {
      res.writeHead(204, { Allow: ALLOW, 'Cache-Control': 'no-store' });
      res.end();
    }
    return;
  }
  ctx.cors?.apply(req, res);
  if (method === 'GET') return subscribe(ctx, req, res, url, channel, faults);
  if (method === 'POST') return publish(ctx, req, res, channel);
  if (method === 'DELETE') {
    if (!checkPublishToken(req, ctx.publishToken)) {
      unauthorizedPublisher(ctx, res, channel, method);
      return;
    }
    let ended: number;
    try {
      ended = await ctx.hub.closeAsync(channel);
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      ctx.log({ level: 'error', msg: 'close failed: replay store unavailable', method, channel, status: error.status, detail: error.message });
      sendError(res, error.status, error.message, { 'Retry-After': '1' });
      return;
    }
    ctx.log({ level: 'info', msg: 'channel closed', method, channel, status: 204, detail: `${ended} stream(s) ended` });
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  sendError(res, 405, `method ${method} not allowed on /channels/<name>`, { Allow: ALLOW });
}

function unauthorizedPublisher(ctx: RouteContext, res: ServerResponse, channel: string, method: string): void {
  ctx.log({ level: 'warn', msg: 'publisher rejected: missing or invalid publish token', method, channel, status: 401 });
  sendError(res, 401, 'publishing requires Authorization: Bearer <publish token>', { 'WWW-Authenticate': 'Bearer realm="sse-conformance-publish"' });
}

async function subscribe(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL, channel: string, faults: ReadonlySet<FaultName>): Promise<void> {
  if (ctx.auth && !faults.has('auth-bypass')) {
    const decision = ctx.auth.check(channel, req, url);
    if (decision.status === 401) {
      ctx.log({ level: 'warn', msg: `subscriber rejected: ${decision.reason} credentials`, method: 'GET', channel, status: 401 });
      const headers: Record<string, string> = faults.has('no-www-authenticate') ? {} : { 'WWW-Authenticate': decision.challenge };
      sendError(res, 401, decision.reason === 'missing' ? 'this channel requires a token (Authorization: Bearer, cookie, or query parameter)' : 'invalid token', headers);
      return;
    }
    if (decision.status === 403) {
      ctx.log({ level: 'warn', msg: 'subscriber rejected: token is for another channel', method: 'GET', channel, status: 403 });
      sendError(res, 403, 'this token does not grant access to this channel');
      return;
    }
  }
  // A shared store: watch the channel's live feed before the headers go out, so every event
  // published after the client saw them reaches it. Unreachable: the stream opens and ends at once
  // (a non-200 would stop an EventSource for good); the client retries and resumes.
  let storeDown: string | undefined;
  if (ctx.hub.shared) {
    try {
      await ctx.hub.prepare(channel);
    } catch (error) {
      storeDown = error instanceof Error ? error.message : String(error);
    }
    if (res.destroyed) return;
  }
  if (ctx.hub.isClosed(channel) && !faults.has('ignore-204')) {
    // SRV-STOP-204: tells EventSource not to reconnect (RECONNECT-204-STOPS).
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  // The header wins over the query parameter: it is what a reconnecting EventSource sends (LAST-EVENT-ID-HEADER).
  const header = req.headers['last-event-id'];
  const lastEventId = typeof header === 'string' ? header : (url.searchParams.get('lastEventId') ?? undefined);

  const headers: Record<string, string> = {
    'Cache-Control': 'no-store', // SRV-NO-CACHE
    'X-Accel-Buffering': 'no', // SRV-CHUNKING-CAUTION: ask nginx-style proxies not to buffer
    // HTTP/1.x only: HTTP/2 forbids connection-specific header fields (H2-NO-CONNECTION-HEADERS).
    ...(req.httpVersionMajor >= 2 ? {} : { Connection: 'keep-alive' }),
  };
  if (faults.has('content-type-wrong')) headers['Content-Type'] = 'text/plain; charset=utf-8';
  else if (!faults.has('content-type-missing')) headers['Content-Type'] = EVENT_STREAM_CONTENT_TYPE;
  // Never compressed, whatever Accept-Encoding says: a compressor holds bytes back (unless the
  // compression-unflushed fault plants exactly that).
  const gzipUnflushed = faults.has('compression-unflushed') && acceptsGzip(req.headers['accept-encoding']);
  if (gzipUnflushed) {
    headers['Content-Encoding'] = 'gzip';
    headers['Vary'] = 'Accept-Encoding';
  }
  res.writeHead(200, headers);
  res.flushHeaders();
  req.socket.setNoDelay(true);

  const sub = new Subscriber({
    channel,
    res,
    faults,
    maxBufferedBytes: ctx.maxBufferedBytes,
    gzipUnflushed,
    onSlow: (_s, buffered) => ctx.log({ level: 'warn', msg: 'slow consumer disconnected', channel, detail: `${buffered} bytes buffered > ${ctx.maxBufferedBytes}` }),
  });
  res.on('close', () => ctx.hub.unsubscribe(sub));
  sub.write(faults.has('bad-retry') ? 'retry: 1.5s\n\n' : encodeEvent({ retry: ctx.retryMs }));
  if (storeDown !== undefined) {
    ctx.log({ level: 'error', msg: 'replay store unavailable: stream ended, the client will retry', method: 'GET', channel, status: 200, detail: storeDown });
    sub.end();
    return;
  }
  if (ctx.hub.shared) void ctx.hub.subscribeAsync(sub, lastEventId);
  else ctx.hub.subscribe(sub, lastEventId);
  ctx.log({ level: 'info', msg: 'subscribed', method: 'GET', channel, status: 200, detail: lastEventId === undefined ? undefined : `resuming after ${JSON.stringify(lastEventId.slice(0, 64))}` });
}

async function publish(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, channel: string): Promise<void> {
  if (!checkPublishToken(req, ctx.publishToken)) {
    unauthorizedPublisher(ctx, res, channel, 'POST');
    return;
  }
  const body = await readBody(req, ctx.maxPublishBytes);
  if (body === null) {
    ctx.log({ level: 'warn', msg: 'publish rejected: body too large', method: 'POST', channel, status: 413 });
    // No Connection: close: the rest of the body is read and discarded (linger), then the connection is reusable.
    sendError(res, 413, `publish body exceeds ${ctx.maxPublishBytes} bytes`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    sendError(res, 400, `malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const input = publishInputFromJson(parsed);
  if (typeof input === 'string') {
    sendError(res, 400, input);
    return;
  }
  // Idempotency-Key: a publisher retrying after an unknown outcome (503, a cut connection) gets the
  // stored event again instead of a second one, for as long as the event is retained.
  const key = req.headers['idempotency-key'];
  if (typeof key === 'string') {
    if (key === '' || key.length > 200 || /[\r\n\0]/.test(key)) {
      sendError(res, 400, 'Idempotency-Key must be 1-200 characters');
      return;
    }
    input.dedupeKey = key;
  }
  try {
    const stored = await ctx.hub.publishAsync(channel, input);
    sendJson(res, 201, { id: stored.id });
  } catch (error) {
    if (error instanceof PublishError) {
      if (error.status === 503) ctx.log({ level: 'error', msg: 'publish failed: replay store unavailable', method: 'POST', channel, status: 503, detail: error.message });
      sendError(res, error.status, error.message, error.status === 503 ? { 'Retry-After': '1' } : {});
      return;
    }
    throw error;
  }
}

/** Whether an Accept-Encoding value accepts gzip (a `gzip` coding without `q=0`). */
function acceptsGzip(value: string | string[] | undefined): boolean {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    return (coding === 'gzip' || coding === 'x-gzip') && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}
