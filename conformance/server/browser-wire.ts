/**
 * What the wire offered a browser: the body bytes the relay forwarded on one of the browser's
 * stream requests, decoded the way the browser decodes them (its Content-Encoding first) and
 * parsed. Browser cases judge the server against this, not against what the harness meant to
 * happen: a server may send a burst the harness did not wait for, or a compressing layer may hold
 * back bytes the harness's own (uncompressed) connection gets at once.
 */
import * as zlib from 'node:zlib';
import { parseStream, type SseEvent } from '../../reference/parser.ts';
import { KEPT_BODY_BYTES, type RelayedRequest } from './browser-relay.ts';

export interface Offered {
  /** Body bytes forwarded to the browser, as on the wire (content-coded). */
  readonly bytes: number;
  /** The response's Content-Encoding, lower-cased (undefined: identity). */
  readonly encoding: string | undefined;
  /** Bytes after undoing the content coding; undefined when the coding is unknown or broken. */
  readonly decodedBytes: number | undefined;
  /** Complete events in the decoded bytes (an event cut off by the end is never dispatched). */
  readonly events: readonly SseEvent[];
  /** The last event ID string after those bytes: what a conforming client sends on reconnecting. */
  readonly lastEventId: string;
  /** True when the events and id above describe everything offered (decoded, nothing cut off by the keep limit). */
  readonly complete: boolean;
}

// Partial streams decode up to their last complete block: a held-back stream is unfinished by nature.
function decode(encoding: string | undefined, body: Buffer): Buffer | undefined {
  if (!body.length) return body;
  try {
    switch (encoding) {
      case undefined:
      case 'identity':
        return body;
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      case 'deflate':
        // HTTP "deflate" is zlib-wrapped, but servers send raw deflate too.
        try {
          return zlib.inflateSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        } catch {
          return zlib.inflateRawSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        }
      case 'br':
        return zlib.brotliDecompressSync(body, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Decodes and parses what the relay forwarded on one stream request. */
export function offeredTo(request: RelayedRequest): Offered {
  const raw = request.responseHeaders?.['content-encoding']?.trim().toLowerCase();
  const encoding = raw === '' || raw === 'identity' ? undefined : raw;
  const decoded = decode(encoding, Buffer.concat(request.body));
  const parsed = decoded ? parseStream([decoded]) : undefined;
  return {
    bytes: request.bytes,
    encoding,
    decodedBytes: decoded?.length,
    events: parsed?.events ?? [],
    lastEventId: parsed?.lastEventId ?? '',
    complete: decoded !== undefined && request.bytes <= KEPT_BODY_BYTES,
  };
}

/** One line for evidence: bytes, coding, what they decode to. */
export function describeOffered(o: Offered): string {
  const coding = o.encoding ? `Content-Encoding: ${o.encoding}` : 'no Content-Encoding';
  if (o.decodedBytes === undefined) return `${o.bytes} bytes (${coding}; not decodable by the harness)`;
  const decoded = o.encoding ? `, ${o.decodedBytes} bytes decoded` : '';
  return `${o.bytes} bytes (${coding}${decoded}): ${o.events.length} complete event(s), last event ID ${JSON.stringify(o.lastEventId)}${o.complete ? '' : ` (only the first ${KEPT_BODY_BYTES} bytes kept)`}`;
}
