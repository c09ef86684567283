/**
 * HTTP/2 for the harness's reads (`check --http2`): h2 over TLS negotiated with ALPN for https:
 * targets, h2c with prior knowledge for http: targets. One session per request, like the HTTP/1.1
 * path's `agent: false`.
 *
 * node:http2 rather than undici: the stream reader needs what undici abstracts away: the raw bytes
 * as each DATA frame arrives, the response header fields exactly as received, and how the stream
 * ended (END_STREAM, or RST_STREAM with which error code), which is what the HTTP/2 cases judge.
 *
 * The request is adapted to the shape the stream reader already drives (a ClientRequest emitting
 * `response` with a readable response carrying `statusCode` and `rawHeaders`), so every server
 * case runs unchanged over HTTP/2.
 */
import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import type * as http from 'node:http';
import { PassThrough } from 'node:stream';

/** How an HTTP/2 response went: negotiated protocol and how its stream ended. */
export interface Http2Info {
  /** `h2` (TLS, ALPN) or `h2c` (cleartext, prior knowledge). */
  readonly protocol: 'h2' | 'h2c';
  /** Set once the stream closed: true when it ended with END_STREAM (RST_STREAM code NO_ERROR or none). */
  endStream?: boolean;
  /** RST_STREAM error code when the stream was reset (0 = NO_ERROR). */
  rstCode?: number;
  /** Bytes of body received before the stream closed. */
  bytes: number;
}

/** `CANCEL (8)` for an RST_STREAM code. */
export function rstName(code: number): string {
  const names = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
  return `${names[code] ?? 'UNKNOWN'} (${code})`;
}

/** The response object handed to the stream reader: a readable body with HTTP/1-style fields. */
export interface Http2Response extends PassThrough {
  statusCode: number;
  statusMessage: string;
  rawHeaders: string[];
  /** Lower-cased names, repeated fields joined with `, ` (what node:http's `headers` holds, set-cookie aside). */
  headers: Record<string, string>;
  httpVersion: string;
  sseHttp2: Http2Info;
}

export interface Http2TargetRequest {
  readonly req: http.ClientRequest;
  readonly via: undefined;
  destroy(): void;
}

/**
 * Starts an HTTP/2 request. Errors (connect, TLS, ALPN without h2, stream errors before the
 * response) are emitted as `error` on the returned request, with the underlying code.
 */
export function requestHttp2(target: URL, options: { method: string; headers: http.OutgoingHttpHeaders }, tlsOptions: { rejectUnauthorized?: boolean | undefined; secureContext?: import('node:tls').SecureContext | undefined }): Http2TargetRequest {
  const req = new EventEmitter() as EventEmitter & { end(body?: string | Uint8Array): void; destroy(): void };
  const secure = target.protocol === 'https:';
  const info: Http2Info = { protocol: secure ? 'h2' : 'h2c', bytes: 0 };
  let session: http2.ClientHttp2Session | undefined;
  let stream: http2.ClientHttp2Stream | undefined;
  let destroyed = false;
  let responded = false;
  let failed = false;
  const fail = (error: NodeJS.ErrnoException) => {
    if (destroyed || responded || failed) return;
    failed = true;
    // A TLS server without h2 in its ALPN list answers the handshake with alert 120.
    const text = `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`;
    if (/no application protocol/i.test(text)) error = Object.assign(new Error('the server did not negotiate HTTP/2 (TLS alert no_application_protocol: h2 is not among its ALPN protocols)'), { code: 'ERR_HTTP2_NOT_NEGOTIATED' });
    req.emit('error', error);
  };
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    stream?.close(http2.constants.NGHTTP2_CANCEL);
    session?.destroy();
  };
  req.destroy = destroy;
  req.end = (body?: string | Uint8Array) => {
    if (destroyed) return;
    const origin = `${target.protocol}//${target.host}`;
    session = http2.connect(origin, secure ? { ...tlsOptions, ALPNProtocols: ['h2'], servername: /^[\d.]+$|:/.test(target.hostname) ? undefined : target.hostname } : {});
    session.on('error', (error: NodeJS.ErrnoException) => fail(error));
    session.on('connect', (_s, socket) => {
      const alpn = (socket as import('node:tls').TLSSocket).alpnProtocol;
      if (secure && alpn !== 'h2') fail(Object.assign(new Error(`the server did not negotiate HTTP/2 (ALPN: ${alpn || 'none'})`), { code: 'ERR_HTTP2_NOT_NEGOTIATED' }));
    });
    const headers: http2.OutgoingHttpHeaders = {
      ':method': options.method, ':path': `${target.pathname}${target.search}`, ':scheme': target.protocol.slice(0, -1), ':authority': target.host,
    };
    // Connection-specific fields are not allowed in HTTP/2 (RFC 9113 §8.2.2); Host becomes :authority.
    for (const [k, v] of Object.entries(options.headers)) {
      if (v === undefined || ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host'].includes(k.toLowerCase())) continue;
      headers[k.toLowerCase()] = v as string;
    }
    stream = session.request(headers, { endStream: body === undefined });
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (!responded) fail(error);
    });
    stream.on('response', (h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, _flags: number, raw?: string[]) => {
      if (destroyed) return;
      responded = true;
      const res = new PassThrough() as Http2Response;
      res.statusCode = Number(h[':status'] ?? 0);
      res.httpVersion = '2.0';
      res.sseHttp2 = info;
      const rawHeaders: string[] = [];
      if (raw) {
        for (let i = 0; i + 1 < raw.length; i += 2) if (!raw[i]!.startsWith(':')) rawHeaders.push(raw[i]!, raw[i + 1]!);
      } else {
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) for (const one of Array.isArray(v) ? v : [v]) rawHeaders.push(k, String(one));
      }
      res.rawHeaders = rawHeaders;
      res.statusMessage = '';
      res.headers = {};
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const k = rawHeaders[i]!.toLowerCase();
        res.headers[k] = res.headers[k] === undefined ? rawHeaders[i + 1]! : `${res.headers[k]}, ${rawHeaders[i + 1]!}`;
      }
      const s = stream!;
      s.on('data', (d: Buffer) => {
        info.bytes += d.byteLength;
        res.write(d);
      });
      // node:http2 ends the readable side on RST_STREAM too: how the stream ended is known at 'close'.
      s.on('close', () => {
        const code = s.rstCode ?? 0;
        info.rstCode = code;
        info.endStream = code === http2.constants.NGHTTP2_NO_ERROR;
        session?.close();
        if (destroyed) return;
        if (info.endStream) res.end();
        else res.destroy(Object.assign(new Error(`the server reset the HTTP/2 stream: RST_STREAM ${rstName(code)}`), { code: 'ERR_HTTP2_STREAM_RESET' }));
      });
      res.on('close', () => { if (!s.closed) destroy(); });
      req.emit('response', res);
    });
    if (body !== undefined) stream.end(body);
  };
  return { req: req as unknown as http.ClientRequest, via: undefined, destroy };
}
