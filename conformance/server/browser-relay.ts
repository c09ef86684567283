/**
 * A forwarding HTTP proxy the harness puts between a real browser and the target, so it can end
 * the browser's event streams on demand: the only way to make a browser's EventSource reconnect
 * (and send `Last-Event-ID`) without the target's cooperation. Ending a plain-HTTP stream is a
 * clean end of the response (the browser sees EOF: RECONNECT-ON-EOF); an HTTPS stream runs through
 * a CONNECT tunnel the relay can only cut (a network error, which also reestablishes:
 * RESP-NETWORK-ERROR-RECONNECTS). The relay never changes what it forwards.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { currentTransport, openTunnel, requestTarget, resolveProxy, type Transport } from './transport.ts';

export interface RelayedRequest {
  readonly method: string;
  /** Absolute URL (plain HTTP) or `host:port` (CONNECT tunnel). */
  readonly target: string;
  readonly tunnel: boolean;
  /** Milliseconds since the relay started. */
  readonly at: number;
  /** Request headers as the browser sent them (plain HTTP only: a tunnel hides them). */
  readonly headers: Readonly<Record<string, string>>;
  status?: number;
  /** Response headers as the target sent them (plain HTTP only). */
  responseHeaders?: Readonly<Record<string, string>>;
  /** Body bytes forwarded to the browser so far (still content-coded, as on the wire). */
  bytes: number;
  /** The first {@link KEPT_BODY_BYTES} of those bytes: what the browser was offered, for cases to judge against. */
  readonly body: Buffer[];
}

/** How much of each relayed response body is kept for the cases (an event stream runs for seconds here). */
export const KEPT_BODY_BYTES = 1 << 20;

export interface BrowserRelay {
  /** `http://127.0.0.1:<port>`: the proxy server URL to give the browser context. */
  readonly url: string;
  readonly requests: readonly RelayedRequest[];
  /** Ends every open event stream (and tunnel); returns how many were ended. */
  endStreams(): number;
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are the relay's own business, never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** `transport`: how the relay reaches targets (an upstream proxy from the environment); default the run's ({@link currentTransport}). */
export async function startRelay(options: { headerTimeoutMs: number; transport?: Transport | undefined }): Promise<BrowserRelay> {
  const transport = options.transport ?? currentTransport();
  const started = performance.now();
  const requests: RelayedRequest[] = [];
  const streams = new Set<{ end(): void }>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const record: RelayedRequest = { method: req.method ?? 'GET', target: req.url ?? '', tunnel: false, at: Math.round(performance.now() - started), headers, bytes: 0, body: [] };
    requests.push(record);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('scheme');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('sse-conformance relay: absolute http URL expected\n');
      return;
    }
    let upstream: http.ClientRequest;
    try {
      upstream = requestTarget(target, { method: req.method ?? 'GET', headers: forwardable(req.headers) }, transport).req;
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`sse-conformance relay: ${(error as Error).message}\n`);
      return;
    }
    const timer = setTimeout(() => upstream.destroy(new Error(`no response headers within ${options.headerTimeoutMs} ms`)), options.headerTimeoutMs);
    upstream.on('response', (up) => {
      clearTimeout(timer);
      record.status = up.statusCode ?? 0;
      const responseHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      record.responseHeaders = responseHeaders;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardable(up.headers));
      res.flushHeaders();
      const stream = {
        end() {
          up.destroy();
          res.end();
        },
      };
      if (/^text\/event-stream/i.test(String(up.headers['content-type'] ?? ''))) streams.add(stream);
      up.on('data', (chunk: Buffer) => {
        if (record.bytes < KEPT_BODY_BYTES) record.body.push(chunk.subarray(0, KEPT_BODY_BYTES - record.bytes));
        record.bytes += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => { streams.delete(stream); res.end(); });
      up.on('error', () => { streams.delete(stream); res.destroy(); });
      res.on('close', () => { streams.delete(stream); up.destroy(); });
    });
    upstream.on('error', (error) => {
      clearTimeout(timer);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`sse-conformance relay: ${error.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const tunnels = new Set<{ end(): void }>();
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    requests.push({ method: 'CONNECT', target: req.url ?? '', tunnel: true, at: Math.round(performance.now() - started), headers: {}, bytes: 0, body: [] });
    const [host, port] = [(req.url ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), Number(/:(\d+)$/.exec(req.url ?? '')?.[1] ?? 443)];
    let upstream: net.Socket | undefined;
    let connecting: http.ClientRequest | undefined;
    const tunnel = { end() { connecting?.destroy(); upstream?.destroy(); client.destroy(); } };
    tunnels.add(tunnel);
    const done = () => { tunnels.delete(tunnel); tunnel.end(); };
    const established = (socket: net.Socket) => {
      upstream = socket;
      socket.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) socket.write(head);
      socket.pipe(client);
      client.pipe(socket);
      socket.once('error', done);
      socket.once('close', done);
    };
    client.once('error', done);
    client.once('close', done);
    let choice: ReturnType<typeof resolveProxy> = { kind: 'direct', bypassed: false };
    try {
      choice = resolveProxy(new URL(`https://${req.url ?? ''}`), transport.env);
    } catch {
      // not a host:port: connecting fails below and ends the tunnel
    }
    if (choice.kind === 'proxy') {
      // Chained through the environment's proxy; the CONNECT request is the wait, so it gets the limit.
      const timer = setTimeout(done, options.headerTimeoutMs);
      connecting = openTunnel(choice.proxy, req.url ?? '', (error, socket) => {
        clearTimeout(timer);
        if (error || !socket) return done();
        established(socket);
      });
      return;
    }
    const direct = net.connect({ host, port, timeout: options.headerTimeoutMs });
    upstream = direct;
    direct.once('connect', () => established(direct));
    direct.once('timeout', done);
    direct.once('error', done);
    direct.once('close', done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    endStreams() {
      const all = [...streams, ...tunnels];
      streams.clear();
      tunnels.clear();
      for (const s of all) s.end();
      return all.length;
    },
    async close() {
      for (const s of [...streams, ...tunnels]) s.end();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
