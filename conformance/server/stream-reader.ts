/**
 * Bounded, timed HTTP reading of one response from a target under test. Every wait is capped:
 * time to response headers, total time, body bytes and line length, so a hostile target (endless
 * line, never-ending headers, gigabytes of data, slow drip, redirect loop, reset) ends the read
 * with a named reason instead of a hang or an out-of-memory. Chunk arrival times are recorded:
 * they are the evidence for buffering and heartbeat cases.
 *
 * Uses node:http(s) directly rather than fetch: the harness needs the raw bytes exactly as sent
 * (no transparent decompression unless asked), chunk boundaries and timings, and hard control over
 * the socket.
 */
import type * as http from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { createParser, type SseEvent } from '../../reference/parser.ts';
import { requestTarget, type TargetRequest, type Transport } from './transport.ts';
import type { Http2Info } from './h2-client.ts';

export interface ReadRequest {
  readonly url: string;
  readonly method?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Uint8Array | undefined;
  /** Time allowed until the response headers arrive. */
  readonly headerTimeoutMs: number;
  /** Total time the read may take, headers included; reaching it ends the read as `time-up` (not an error for streams). */
  readonly totalTimeMs: number;
  /** When set, the read ends (as `time-up`) this long after the response headers arrived. */
  readonly bodyTimeMs?: number | undefined;
  /** Body byte cap (after decompression when `decompress` is set). Default 4 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /** Longest line (bytes, terminator excluded) before the read stops as `line-cap`. Default 256 KiB. */
  readonly maxLineBytes?: number | undefined;
  /** Follow up to this many redirects (EventSource follows them: REDIRECT-FOLLOW). Default 5. */
  readonly maxRedirects?: number | undefined;
  /** Stop the read once this returns true (checked after every chunk). */
  readonly stopWhen?: ((progress: ReadProgress) => boolean) | undefined;
  /** Decode Content-Encoding gzip/deflate/br incrementally (the raw bytes are kept too). */
  readonly decompress?: boolean | undefined;
  /** `Last-Event-ID` the parser starts with (what the events report before an id arrives). */
  readonly initialLastEventId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called once headers arrive (e.g. to publish while the stream is open). */
  readonly onHeaders?: ((info: { status: number; at: number }) => void) | undefined;
  /** Proxy and TLS trust (transport.ts). Default: direct, Node's default trust. */
  readonly transport?: Transport | undefined;
}

export interface TimedEvent extends SseEvent {
  /** Milliseconds since the request started when the blank line that dispatched it arrived. */
  readonly at: number;
}

export interface ReadProgress {
  readonly status: number;
  readonly bodyBytes: number;
  readonly events: readonly TimedEvent[];
  readonly comments: number;
  readonly elapsedMs: number;
}

/** Why a read ended. Only `eof`, `time-up` and `stopped` mean the response itself was read cleanly. */
export type ReadEnd =
  | 'eof' | 'time-up' | 'stopped' | 'byte-cap' | 'line-cap' | 'header-timeout' | 'header-overflow'
  | 'reset' | 'unreachable' | 'redirect-loop' | 'too-many-redirects' | 'bad-url' | 'aborted' | 'decode-error';

export interface Chunk {
  readonly at: number;
  readonly bytes: Uint8Array;
}

export interface ReadResult {
  readonly requestedUrl: string;
  /** The URL that answered (after redirects). */
  readonly url: string;
  readonly redirects: readonly { readonly status: number; readonly location: string }[];
  /** 0 when no response arrived. */
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw header lines as received (name, value pairs). */
  readonly rawHeaders: readonly string[];
  readonly headersAt: number | undefined;
  /** Body chunks (decompressed when `decompress` was set), with arrival times. */
  readonly chunks: readonly Chunk[];
  readonly body: Uint8Array;
  readonly events: readonly TimedEvent[];
  readonly comments: readonly { readonly at: number; readonly text: string }[];
  readonly retries: readonly number[];
  readonly end: ReadEnd;
  /** Human-readable detail for abnormal ends (error code and message). */
  readonly endDetail: string;
  readonly elapsedMs: number;
  /** Only when a decoder ran (`decompress` and a known Content-Encoding): each encoded chunk as it arrived (time, size). */
  readonly encodedChunks?: readonly { readonly at: number; readonly bytes: number }[] | undefined;
  /** HTTP version of the response (`1.1`, `1.0`, `2.0`). */
  readonly httpVersion?: string | undefined;
  /** Over HTTP/2 (`check --http2`): protocol and how the stream ended (END_STREAM or RST_STREAM). */
  readonly http2?: Http2Info | undefined;
}

/** Ends that say the target could not be reached at all (exit code 2 territory). */
export function isUnreachable(result: ReadResult): boolean {
  return result.end === 'unreachable' || result.end === 'bad-url';
}

/** Reads one response, following redirects, within the request's caps. Never rejects. */
export async function readResponse(request: ReadRequest): Promise<ReadResult> {
  const started = performance.now();
  const redirects: { status: number; location: string }[] = [];
  const seen = new Set<string>();
  let url = request.url;
  const maxRedirects = request.maxRedirects ?? 5;
  for (;;) {
    const remaining = request.totalTimeMs - (performance.now() - started);
    const result = await readOnce(request, url, started, remaining, redirects);
    const location = result.status >= 300 && result.status < 400 ? result.headers['location'] : undefined;
    if (location === undefined || ![301, 302, 303, 307, 308].includes(result.status)) return result;
    let next: string;
    try {
      next = new URL(location, url).href;
    } catch {
      return { ...result, end: 'bad-url', endDetail: `redirect Location is not a URL: ${JSON.stringify(location)}` };
    }
    redirects.push({ status: result.status, location: next });
    seen.add(url);
    if (seen.has(next)) return { ...result, end: 'redirect-loop', endDetail: `redirect loop: ${[...seen, next].join(' -> ')}` };
    if (redirects.length > maxRedirects) return { ...result, end: 'too-many-redirects', endDetail: `more than ${maxRedirects} redirects` };
    url = next;
  }
}

function readOnce(
  request: ReadRequest,
  url: string,
  started: number,
  remainingMs: number,
  redirects: readonly { status: number; location: string }[],
): Promise<ReadResult> {
  const maxBody = request.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxLine = request.maxLineBytes ?? 256 * 1024;
  const now = () => Math.round((performance.now() - started) * 10) / 10;
  const chunks: Chunk[] = [];
  const events: TimedEvent[] = [];
  const comments: { at: number; text: string }[] = [];
  const retries: number[] = [];
  let status = 0;
  let headers: Record<string, string> = {};
  let rawHeaders: string[] = [];
  let headersAt: number | undefined;
  let bodyBytes = 0;
  let lineBytes = 0;
  let chunkAt = 0;
  let encodedChunks: { at: number; bytes: number }[] | undefined;
  const parser = createParser(
    {
      onEvent: (e) => events.push({ ...e, at: chunkAt }),
      onComment: (text) => comments.push({ at: chunkAt, text: text.length > 200 ? `${text.slice(0, 200)}…` : text }),
      onRetry: (ms) => retries.push(ms),
    },
    { initialLastEventId: request.initialLastEventId ?? '' },
  );

  return new Promise<ReadResult>((resolve) => {
    let done = false;
    let req: http.ClientRequest | undefined;
    let outgoing: TargetRequest | undefined;
    let res: http.IncomingMessage | undefined;
    let decoder: Transform | undefined;
    const timers: NodeJS.Timeout[] = [];
    const finish = (end: ReadEnd, endDetail = '') => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      request.signal?.removeEventListener('abort', onAbort);
      if (end === 'eof') {
        try {
          parser.end();
        } catch {
          // parser errors are not possible without maxLineLength; keep the read result regardless
        }
      }
      decoder?.destroy();
      res?.destroy();
      outgoing?.destroy();
      resolve({
        requestedUrl: request.url, url, redirects: [...redirects], status, headers, rawHeaders, headersAt,
        chunks, body: concat(chunks), events, comments, retries, end, endDetail, elapsedMs: now(),
        ...(encodedChunks ? { encodedChunks } : {}),
        ...(res?.httpVersion ? { httpVersion: res.httpVersion } : {}),
        ...(res && 'sseHttp2' in res ? { http2: { ...(res as unknown as { sseHttp2: Http2Info }).sseHttp2 } } : {}),
      });
    };
    const onAbort = () => finish('aborted', 'aborted by the harness (case or run time limit)');
    if (request.signal?.aborted) return finish('aborted', 'aborted before start');
    request.signal?.addEventListener('abort', onAbort);

    let target: URL;
    try {
      target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`unsupported scheme ${target.protocol}`);
    } catch (error) {
      return finish('bad-url', `not an http(s) URL: ${url} (${(error as Error).message})`);
    }
    if (remainingMs <= 0) return finish('time-up', 'no time left for the request');
    timers.push(setTimeout(() => finish(status ? 'time-up' : 'header-timeout', status ? '' : `no response headers within ${Math.round(Math.min(remainingMs, request.headerTimeoutMs))} ms`), remainingMs));
    timers.push(setTimeout(() => { if (!status) finish('header-timeout', `no response headers within ${request.headerTimeoutMs} ms`); }, Math.min(remainingMs, request.headerTimeoutMs)));

    try {
      outgoing = requestTarget(target, {
        method: request.method ?? 'GET',
        headers: { ...request.headers },
        // node's own header cap (16 KiB) turns never-ending headers into HPE_HEADER_OVERFLOW.
        maxHeaderSize: 16 * 1024,
      }, request.transport);
      req = outgoing.req;
    } catch (error) {
      return finish('bad-url', `cannot request ${url}: ${(error as Error).message}`);
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      const via = outgoing?.via && !error.message.includes('via proxy') ? ` (via proxy ${outgoing.via})` : '';
      if (status) return finish('reset', `connection ended abnormally after headers: ${code} ${error.message}`.trim());
      if (code === 'HPE_HEADER_OVERFLOW') return finish('header-overflow', 'response headers exceed 16 KiB (never-ending headers?)');
      const tlsReason = certificateReason(error);
      if (tlsReason) return finish('unreachable', tlsReason);
      if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_PROXY_CONNECT', 'ERR_HTTP2_NOT_NEGOTIATED'].includes(code)) {
        return finish('unreachable', `${code}: ${error.message}${via}`);
      }
      if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return finish('reset', `connection reset before response headers (${code})${via}`);
      return finish('reset', `request failed: ${code} ${error.message}`.trim() + via);
    });
    req.on('response', (response) => {
      res = response;
      status = response.statusCode ?? 0;
      headersAt = now();
      rawHeaders = response.rawHeaders;
      headers = {};
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]!.toLowerCase();
        headers[name] = headers[name] === undefined ? rawHeaders[i + 1]! : `${headers[name]}, ${rawHeaders[i + 1]!}`;
      }
      request.onHeaders?.({ status, at: headersAt });
      if (request.bodyTimeMs !== undefined) timers.push(setTimeout(() => finish('time-up'), request.bodyTimeMs));
      let source: NodeJS.ReadableStream = response;
      const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
      if (request.decompress && encoding && encoding !== 'identity') {
        decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
        if (decoder) {
          const arrivals: { at: number; bytes: number }[] = [];
          encodedChunks = arrivals;
          response.on('data', (d: Buffer) => { arrivals.push({ at: now(), bytes: d.byteLength }); });
          decoder.on('error', (error: Error) => finish('decode-error', `cannot decode Content-Encoding ${encoding}: ${error.message}`));
          response.pipe(decoder);
          source = decoder;
        }
      }
      source.on('data', (data: Buffer) => {
        if (done) return;
        chunkAt = now();
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const room = maxBody - bodyBytes;
        const kept = bytes.byteLength > room ? bytes.subarray(0, room) : bytes;
        // Line-length cap, counted on raw bytes before the parser sees them.
        for (let i = 0; i < kept.byteLength; i++) {
          const b = kept[i]!;
          if (b === 0x0a || b === 0x0d) lineBytes = 0;
          else if (++lineBytes > maxLine) {
            const upTo = kept.subarray(0, i);
            if (upTo.byteLength) chunks.push({ at: chunkAt, bytes: upTo.slice() });
            bodyBytes += upTo.byteLength;
            parser.feed(upTo);
            return finish('line-cap', `a line exceeded ${maxLine} bytes without a line ending`);
          }
        }
        chunks.push({ at: chunkAt, bytes: kept.slice() });
        bodyBytes += kept.byteLength;
        parser.feed(kept);
        if (kept !== bytes) return finish('byte-cap', `body exceeded ${maxBody} bytes`);
        if (request.stopWhen?.({ status, bodyBytes, events, comments: comments.length, elapsedMs: chunkAt })) finish('stopped');
      });
      source.on('end', () => finish('eof'));
      response.on('aborted', () => finish('reset', 'connection closed in the middle of the body (aborted)'));
      response.on('error', (error: NodeJS.ErrnoException) => finish('reset', `body read failed: ${error.code ?? ''} ${error.message}`.trim()));
    });
    if (request.body !== undefined) req.end(request.body);
    else req.end();
  });
}

/** OpenSSL verification codes that mean "this chain does not lead to a trusted root". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'CERT_SIGNATURE_FAILURE',
]);

/** A named reason for a certificate verification failure (exit 2 territory), or undefined for other errors. */
export function certificateReason(error: NodeJS.ErrnoException): string | undefined {
  const code = error.code ?? '';
  if (UNTRUSTED.has(code)) return `certificate not trusted: ${code}; pass --ca <pem> or --insecure`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `certificate ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'}: ${code}; pass --insecure to skip verification`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `certificate does not name the host: ${code}: ${error.message}; pass --insecure to skip verification`;
  return undefined;
}

function concat(chunks: readonly Chunk[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.bytes.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c.bytes, offset);
    offset += c.bytes.byteLength;
  }
  return out;
}

/** Header names whose values are secrets and must not appear in evidence. */
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'set-cookie']);

/** Request headers as evidence text, secrets redacted. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? `<redacted ${v.length} chars>` : v;
  return out;
}

/** Response headers as evidence text (one `Name: value` per line, as received). */
export function headersText(result: ReadResult): string {
  const lines = [`HTTP ${result.status || '(no response)'}`];
  for (let i = 0; i + 1 < result.rawHeaders.length; i += 2) lines.push(`${result.rawHeaders[i]!}: ${result.rawHeaders[i + 1]!}`);
  return lines.join('\n');
}

/** A short printable excerpt of bytes: escapes control characters, shows CR/LF explicitly. */
export function bytesExcerpt(bytes: Uint8Array, max = 600): string {
  const slice = bytes.subarray(0, max);
  let out = '';
  for (const b of slice) {
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n\n';
    else if (b === 0x5c) out += '\\\\';
    else if (b < 0x20 || b === 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else if (b >= 0x80) out += `\\x${b.toString(16)}`;
    else out += String.fromCharCode(b);
  }
  if (bytes.byteLength > max) out += `… (${bytes.byteLength - max} more bytes)`;
  return out;
}
