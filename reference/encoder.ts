/**
 * The reference encoder for servers: event objects to wire text that every conforming parser
 * reads back exactly (SRV-ABNF, SRV-DATA-MULTILINE, SRV-VALUE-LEADING-SPACE, SRV-ID-CHARS,
 * SRV-RETRY-FORMAT, SRV-EVENT-TERMINATOR), plus Base64 helpers for binary payloads.
 *
 * Strings are written as Unicode scalar values; a lone surrogate cannot be sent as UTF-8 and
 * becomes U+FFFD on the wire (TextEncoder's rule), so it does not round-trip.
 */

export interface EncodableEvent {
  /** Event type; omitted or `''` dispatches as `message`. Must not contain CR or LF. */
  event?: string | undefined;
  /** Payload. Any CR, LF or CRLF inside starts a new `data:` line (SRV-DATA-MULTILINE). Omitted: no `data` line, so no event is dispatched (only `id`/`retry` take effect). */
  data?: string | undefined;
  /** Event ID. `''` writes an empty `id` that resets the client's last event ID. Must not contain CR, LF or NUL. */
  id?: string | undefined;
  /** Reconnection time in ms: a non-negative safe integer. */
  retry?: number | undefined;
  /** Comment written before the fields (one `:` line per line). */
  comment?: string | undefined;
}

export interface EncodeOptions {
  /** Line terminator to write; all three are legal (SRV-LINE-ENDINGS). @defaultValue `'\n'` */
  lineEnding?: '\n' | '\r\n' | '\r' | undefined;
  /**
   * Write `name: value` (true) or `name:value` (false). With false, a value that itself starts
   * with a space still gets the separating space, or the client would eat the value's own space
   * (SRV-VALUE-LEADING-SPACE). @defaultValue `true`
   */
  spaceAfterColon?: boolean | undefined;
}

export type SseEncodeErrorCode = 'SSEC_ERR_INVALID_ID' | 'SSEC_ERR_INVALID_EVENT_TYPE' | 'SSEC_ERR_INVALID_RETRY' | 'SSEC_ERR_INVALID_BASE64';

/** Thrown instead of emitting a frame that a client would read differently from what was meant. */
export class SseEncodeError extends Error {
  readonly code: SseEncodeErrorCode;
  constructor(code: SseEncodeErrorCode, message: string) {
    super(message);
    this.name = 'SseEncodeError';
    this.code = code;
  }
}

const NEWLINE = /\r\n|\r|\n/;

function describe(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function field(name: string, value: string, space: boolean): string {
  if (value === '') return `${name}:`; // `name:` rather than a bare name: kinder to lax parsers, same meaning
  return space || value.charCodeAt(0) === 0x20 ? `${name}: ${value}` : `${name}:${value}`;
}

/** Checks an id the way a conforming client will read it; throws `SseEncodeError` when it cannot be sent intact. */
export function assertValidId(id: string): void {
  if (/[\r\n]/.test(id)) throw new SseEncodeError('SSEC_ERR_INVALID_ID', `event id ${describe(id)} contains CR or LF, which would end the field early (SRV-ID-CHARS)`);
  if (id.includes('\0')) throw new SseEncodeError('SSEC_ERR_INVALID_ID', `event id ${describe(id)} contains NUL; clients ignore such ids (FIELD-ID-NUL-IGNORED)`);
}

/** Encodes one event, terminated by a blank line. */
export function encodeEvent(event: EncodableEvent, options: EncodeOptions = {}): string {
  const eol = options.lineEnding ?? '\n';
  const space = options.spaceAfterColon ?? true;
  const lines: string[] = [];
  if (event.comment !== undefined) for (const line of event.comment.split(NEWLINE)) lines.push(`:${line === '' ? '' : ` ${line}`}`);
  if (event.retry !== undefined) {
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) {
      throw new SseEncodeError('SSEC_ERR_INVALID_RETRY', `retry must be a non-negative integer number of milliseconds, got ${String(event.retry)} (SRV-RETRY-FORMAT)`);
    }
    lines.push(`retry${space ? ': ' : ':'}${event.retry}`);
  }
  if (event.id !== undefined) {
    assertValidId(event.id);
    lines.push(field('id', event.id, space));
  }
  if (event.event !== undefined && event.event !== '') {
    if (/[\r\n]/.test(event.event)) throw new SseEncodeError('SSEC_ERR_INVALID_EVENT_TYPE', `event type ${describe(event.event)} contains CR or LF`);
    lines.push(field('event', event.event, space));
  }
  if (event.data !== undefined) for (const line of event.data.split(NEWLINE)) lines.push(field('data', line, space));
  return lines.join(eol) + eol + eol;
}

/** Encodes a comment (heartbeat) without a blank line: it does not touch the pending event. */
export function encodeComment(text = '', options: EncodeOptions = {}): string {
  const eol = options.lineEnding ?? '\n';
  return text.split(NEWLINE).map((line) => `:${line === '' ? '' : ` ${line}`}`).join(eol) + eol;
}

/** Encodes a sequence of events. */
export function encodeEvents(events: Iterable<EncodableEvent>, options: EncodeOptions = {}): string {
  let out = '';
  for (const event of events) out += encodeEvent(event, options);
  return out;
}

// Base64 (RFC 4648 §4, standard alphabet with padding): the mission's "binary payloads as Base64".

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True when `text` is canonical padded Base64 (standard alphabet, no whitespace). */
export function isBase64(text: string): boolean {
  if (!BASE64.test(text)) return false;
  // Canonical: the unused bits of the last group are zero, so the text re-encodes to itself.
  return Buffer.from(text, 'base64').toString('base64') === text;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes strict Base64; throws `SseEncodeError` naming the problem instead of guessing. */
export function base64ToBytes(text: string): Uint8Array {
  if (!isBase64(text)) {
    throw new SseEncodeError('SSEC_ERR_INVALID_BASE64', `not canonical padded Base64: ${describe(text)}`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Encodes binary data as an event whose data is one Base64 line. */
export function encodeBinaryEvent(bytes: Uint8Array, event: Omit<EncodableEvent, 'data'> = {}, options: EncodeOptions = {}): string {
  return encodeEvent({ ...event, data: bytesToBase64(bytes) }, options);
}

/** Recovers the bytes of an event written by {@link encodeBinaryEvent}. */
export function decodeBinaryEvent(event: { readonly data: string }): Uint8Array {
  return base64ToBytes(event.data);
}
