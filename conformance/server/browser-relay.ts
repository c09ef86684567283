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
}

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

export async function startRelay(options: { headerTimeoutMs: number }): Promise<BrowserRelay> {
  const started = performance.now();
  const requests: RelayedRequest[] = [];
  const streams = new Set<{ end(): void }>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const record: RelayedRequest = { method: req.method ?? 'GET', target: req.url ?? '', tunnel: false, at: Math.round(performance.now() - started), headers };
    requests.push(record);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('scheme');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('sse-conformance relay: absolute http URL expected\n');
      return;
    }
    const upstream = http.request(target, { method: req.method, headers: forwardable(req.headers) });
    const timer = setTimeout(() => upstream.destroy(new Error(`no response headers within ${options.headerTimeoutMs} ms`)), options.headerTimeoutMs);
    upstream.on('response', (up) => {
      clearTimeout(timer);
      record.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardable(up.headers));
      res.flushHeaders();
      const stream = {
        end() {
          up.destroy();
          res.end();
        },
      };
      if (/^text\/event-stream/i.test(String(up.headers['content-type'] ?? ''))) streams.add(stream);
      up.on('data', (chunk: Buffer) => res.write(chunk));
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
    requests.push({ method: 'CONNECT', target: req.url ?? '', tunnel: true, at: Math.round(performance.now() - started), headers: {} });
    const [host, port] = [(req.url ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), Number(/:(\d+)$/.exec(req.url ?? '')?.[1] ?? 443)];
    const upstream = net.connect({ host, port, timeout: options.headerTimeoutMs });
    const tunnel = { end() { upstream.destroy(); client.destroy(); } };
    tunnels.add(tunnel);
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const done = () => { tunnels.delete(tunnel); tunnel.end(); };
    upstream.once('timeout', done);
    upstream.once('error', done);
    upstream.once('close', done);
    client.once('error', done);
    client.once('close', done);
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
