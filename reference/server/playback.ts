/**
 * Scenario playback: a standalone HTTP server that answers each request of a scenario with the
 * next scripted response (status, headers, body bytes with exact chunk boundaries and delays,
 * then close, hang or reset) and logs every request it receives (time, method, path, headers
 * such as Last-Event-ID, Accept, Cache-Control). Client checks use it to misbehave on purpose
 * and to observe what a client sends (from the wire, never from the client's own word).
 *
 * Request N of a mounted scenario gets response N, whatever path it asks for under the scenario's
 * prefix, so a redirect target and a reconnection are simply the next steps of the script.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer as createH2TlsServer, createServer as createH2cServer, constants as h2constants } from 'node:http2';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';

/** One write of the body. Exactly one of `text` (UTF-8), `hex` or `base64` gives the bytes. */
export interface PlaybackChunk {
  readonly text?: string | undefined;
  readonly hex?: string | undefined;
  readonly base64?: string | undefined;
  /** Wait this long before writing the chunk (ms). Defaults to the script's `chunkDelayMs`. */
  readonly delayMs?: number | undefined;
}

export interface PlaybackResponse {
  readonly status: number;
  /** Response headers. A `location` starting with `./` is resolved inside the scenario's prefix. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly chunks?: readonly PlaybackChunk[] | undefined;
  /**
   * After the last chunk: `close` ends the response cleanly, `hang` keeps it open (until the client
   * or the server closes it), `reset` destroys the socket (a network error mid-body).
   * @defaultValue 'close'
   */
  readonly end?: 'close' | 'hang' | 'reset' | undefined;
  /** Wait this long after the last chunk before ending (ms). */
  readonly endDelayMs?: number | undefined;
}

export interface PlaybackScript {
  readonly responses: readonly PlaybackResponse[];
  /** Answer for requests beyond the script. @defaultValue a 200 event stream that hangs (so no client loops fast) */
  readonly afterScript?: PlaybackResponse | undefined;
  /** Default delay before each chunk after the first (ms): keeps chunk boundaries visible on the wire. @defaultValue 0 */
  readonly chunkDelayMs?: number | undefined;
}

/** One logged request. Times are `performance.now()` ms on the server's clock. */
export interface LoggedRequest {
  /** Which mounted scenario (its key), or `''` for requests outside any scenario. */
  readonly scenario: string;
  /** 0-based position within its scenario: request N got response N. */
  readonly index: number;
  readonly time: number;
  readonly method: string;
  /** The path after the scenario prefix (e.g. `/` or `/target`), or the full path when unmatched. */
  readonly path: string;
  /** Lower-cased header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** When the scripted response finished (ended, reset, or the client went away). */
  endedAt?: number | undefined;
  /** How the response finished. */
  endedBy?: 'server-close' | 'server-reset' | 'client-gone' | 'server-shutdown' | undefined;
  /** The status sent. */
  status?: number | undefined;
  /** HTTP version of the request (`1.1`, `2.0`). */
  readonly httpVersion?: string | undefined;
}

export interface MountedScenario {
  /** Random key (the URL prefix `/p/<key>`), distinct per mount so runs never share state. */
  readonly key: string;
  /** Absolute URL of the scenario's entry point. */
  readonly url: string;
  /** Requests this scenario received so far, in arrival order (live view). */
  readonly requests: readonly LoggedRequest[];
  /**
   * Stops serving it: later requests get 404 and are logged as unmatched, and responses of this
   * scenario still open (hanging streams) are destroyed, so no connection outlives its scenario
   * (browsers allow only 6 per host).
   */
  unmount(): void;
}

export interface StaticResource {
  readonly contentType: string;
  readonly body: string;
}

export interface PlaybackServer {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  /** Every request received, in arrival order. */
  readonly requests: readonly LoggedRequest[];
  /** Mounts a script under a fresh prefix; `entry` is appended to the URL (default `/`). */
  mount(script: PlaybackScript, entry?: string): MountedScenario;
  /** Serves a fixed resource at `path` (e.g. the browser page). */
  setStatic(path: string, resource: StaticResource): void;
  /** Milliseconds on the server's clock (the same clock as the request log). */
  now(): number;
  /** Stops listening, cancels pending writes and destroys every open connection. */
  close(): Promise<void>;
}

const PREFIX = '/p/';

export const DEFAULT_AFTER_SCRIPT: PlaybackResponse = {
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  chunks: [{ text: ': script exhausted\n\n' }],
  end: 'hang',
};

export function chunkBytes(chunk: PlaybackChunk): Buffer {
  const given = [chunk.text, chunk.hex, chunk.base64].filter((v) => v !== undefined).length;
  if (given !== 1) throw new TypeError('playback chunk needs exactly one of text, hex, base64');
  if (chunk.text !== undefined) return Buffer.from(chunk.text, 'utf8');
  if (chunk.hex !== undefined) {
    const hex = chunk.hex.replace(/\s+/g, '');
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new TypeError(`playback chunk: invalid hex ${JSON.stringify(chunk.hex)}`);
    return Buffer.from(hex, 'hex');
  }
  return Buffer.from(chunk.base64!, 'base64');
}

/** Header fields HTTP/2 forbids (RFC 9113 §8.2.2): a script's HTTP/1.1 habits are dropped over HTTP/2. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export interface PlaybackServerOptions {
  host?: string;
  /** Serve HTTPS with this certificate and key (PEM); the URL then starts with `https:`. */
  tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /**
   * Serve HTTP/2: with `tls`, h2 by ALPN (HTTP/1.1 still offered), without it h2c with prior
   * knowledge. A scripted `reset` then resets that HTTP/2 stream (RST_STREAM INTERNAL_ERROR), the
   * HTTP/2 form of a network error mid-body, and connection-specific headers of a script are dropped.
   */
  http2?: boolean | undefined;
}

export async function createPlaybackServer(options: PlaybackServerOptions = {}): Promise<PlaybackServer> {
  const host = options.host ?? '127.0.0.1';
  const log: LoggedRequest[] = [];
  const scenarios = new Map<string, { script: PlaybackScript; requests: LoggedRequest[]; open: Set<ServerResponse> }>();
  const statics = new Map<string, StaticResource>();
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closing = false;

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => handle(req, res);
  const h2Handler = handler as unknown as Parameters<typeof createH2cServer>[1];
  const server = (options.http2
    ? (options.tls ? createH2TlsServer({ cert: options.tls.cert, key: options.tls.key, allowHTTP1: true }, h2Handler) : createH2cServer({}, h2Handler))
    : options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler)) as unknown as ReturnType<typeof createServer>;
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true); // each write leaves as its own segment: chunk boundaries stay visible
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function headersOf(req: IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
      const value = req.rawHeaders[i + 1] ?? '';
      out[name] = name in out ? `${out[name]}, ${value}` : value;
    }
    return out;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const time = performance.now();
    const url = req.url ?? '/';
    const pathOnly = url.split('?')[0] ?? '/';
    const resource = statics.get(pathOnly);
    if (resource) {
      res.writeHead(200, { 'content-type': resource.contentType, 'cache-control': 'no-store' }).end(resource.body);
      return;
    }
    let key = '';
    let rest = url;
    if (url.startsWith(PREFIX)) {
      const slash = url.indexOf('/', PREFIX.length);
      key = slash === -1 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, slash);
      rest = slash === -1 ? '/' : url.slice(slash);
    }
    const scenario = scenarios.get(key);
    const entry: LoggedRequest = {
      scenario: scenario ? key : '',
      index: scenario ? scenario.requests.length : -1,
      time,
      method: req.method ?? 'GET',
      path: scenario ? rest : url,
      headers: headersOf(req),
      httpVersion: req.httpVersion,
    };
    log.push(entry);
    if (req.method === 'OPTIONS') {
      // A preflight (should a cross-origin client send one): allow it, and answer without consuming the script.
      res.writeHead(204, {
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-allow-methods': 'GET',
      }).end();
      entry.status = 204;
      return;
    }
    if (!scenario) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such scenario\n');
      return;
    }
    scenario.requests.push(entry);
    scenario.open.add(res);
    res.on('close', () => scenario.open.delete(res));
    const step = scenario.script.responses[entry.index] ?? scenario.script.afterScript ?? DEFAULT_AFTER_SCRIPT;
    play(step, scenario.script, key, req, res, entry);
  }

  function play(step: PlaybackResponse, script: PlaybackScript, key: string, req: IncomingMessage, res: ServerResponse, entry: LoggedRequest): void {
    let finished = false;
    const finish = (by: NonNullable<LoggedRequest['endedBy']>): void => {
      if (finished) return;
      finished = true;
      entry.endedAt = performance.now();
      entry.endedBy = by;
    };
    res.on('close', () => finish(closing ? 'server-shutdown' : 'client-gone'));
    const headers: Record<string, string> = { 'cache-control': 'no-store', ...(step.headers ?? {}) };
    for (const [name, value] of Object.entries(headers)) {
      // Relative redirect targets stay inside this scenario's prefix.
      if (name.toLowerCase() === 'location' && value.startsWith('./')) headers[name] = `${PREFIX}${key}/${value.slice(2)}`;
      if (req.httpVersionMajor >= 2 && CONNECTION_SPECIFIC.has(name.toLowerCase())) delete headers[name];
    }
    entry.status = step.status;
    try {
      res.writeHead(step.status, headers);
    } catch (error) {
      res.destroy(error as Error);
      return;
    }
    res.flushHeaders();
    const chunks = step.chunks ?? [];
    const defaultDelay = script.chunkDelayMs ?? 0;
    let i = 0;
    const next = (): void => {
      if (finished || closing) return;
      if (i < chunks.length) {
        const chunk = chunks[i]!;
        const delay = chunk.delayMs ?? (i === 0 ? 0 : defaultDelay);
        i++;
        const write = (): void => {
          if (finished || closing) return;
          res.write(chunkBytes(chunk));
          next();
        };
        if (delay > 0) later(delay, write);
        else write();
        return;
      }
      const end = (): void => {
        if (finished || closing) return;
        const how = step.end ?? 'close';
        if (how === 'close') {
          res.end();
          finish('server-close');
        } else if (how === 'reset') {
          finish('server-reset');
          const h2 = (res as unknown as { stream?: { close(code: number): void } }).stream;
          if (h2) h2.close(h2constants.NGHTTP2_INTERNAL_ERROR);
          else req.socket.resetAndDestroy();
        }
        // 'hang': leave it open; the client or close() ends it.
      };
      if ((step.endDelayMs ?? 0) > 0) later(step.endDelayMs!, end);
      else end();
    };
    next();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const base = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;

  return {
    url: base,
    requests: log,
    now: () => performance.now(),
    mount(script: PlaybackScript, entry = '/'): MountedScenario {
      for (const step of [...script.responses, ...(script.afterScript ? [script.afterScript] : [])]) for (const c of step.chunks ?? []) chunkBytes(c); // validate now, not mid-run
      const key = randomBytes(6).toString('hex');
      const requests: LoggedRequest[] = [];
      const open = new Set<ServerResponse>();
      scenarios.set(key, { script, requests, open });
      const path = entry.startsWith('/') ? entry : `/${entry}`;
      return {
        key,
        url: `${base}${PREFIX}${key}${path}`,
        requests,
        unmount: () => {
          scenarios.delete(key);
          for (const res of open) res.destroy();
          open.clear();
        },
      };
    },
    setStatic(path: string, resource: StaticResource): void {
      statics.set(path, resource);
    },
    async close(): Promise<void> {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
