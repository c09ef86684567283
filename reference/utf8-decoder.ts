/**
 * UTF-8 decoding for the parser (PARSE-UTF8-DECODE, PARSE-STREAMING-DECODE): byte ranges decoded
 * one-shot with replacement, the BOM kept (the parser strips exactly one itself).
 *
 * The parser never decodes across a cut where the WHATWG UTF-8 decoder
 * (https://encoding.spec.whatwg.org/#utf-8-decoder) could be holding a partial sequence: it
 * decodes up to and including a line terminator byte (ASCII, so the decoder is back in its
 * initial state after it), or up to the end of a complete sequence for length checks
 * ({@link unfinishedSequenceLength}). One-shot decoding of consecutive such ranges is therefore
 * exactly the streaming decode, and one-shot is the fast path: Node's streaming TextDecoder goes
 * through ICU (about 1 GB/s on ASCII), the one-shot path through V8's SIMD decoder.
 */

import { isAscii, transcode } from 'node:buffer';

/** One stateless decoder for all streams; it keeps the BOM. */
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;

/**
 * Node's `Buffer#utf8Slice` decodes a byte range of any Uint8Array without creating a view. It
 * is the same V8 decoder (String::NewFromUtf8) that Node's one-shot `TextDecoder.decode` calls
 * for UTF-8, but skips that method's option handling and the `subarray` a range would need,
 * which is most of the cost of decoding a 30-byte socket read. Where there is no Buffer
 * (a browser bundle), TextDecoder is used; `utf8-decoder.test.ts` checks the two agree.
 */
const bufferUtf8Slice = (globalThis as { Buffer?: { prototype?: { utf8Slice?: unknown } } }).Buffer?.prototype?.utf8Slice;
const utf8Slice: Utf8Slice | undefined = typeof bufferUtf8Slice === 'function' ? (bufferUtf8Slice as Utf8Slice) : undefined;

type Ucs2Slice = (this: Uint8Array, start: number, end: number) => string;
const bufferUcs2Slice = (globalThis as { Buffer?: { prototype?: { ucs2Slice?: unknown } } }).Buffer?.prototype?.ucs2Slice;
const ucs2Slice: Ucs2Slice | undefined = typeof bufferUcs2Slice === 'function' ? (bufferUcs2Slice as Ucs2Slice) : undefined;
/** For a range known to be ASCII, Latin-1 decoding gives the same string and skips UTF-8 checks (about 1.5x faster on 64 KiB). */
const bufferLatin1Slice = (globalThis as { Buffer?: { prototype?: { latin1Slice?: unknown } } }).Buffer?.prototype?.latin1Slice;
const latin1Slice: Utf8Slice | undefined = typeof bufferLatin1Slice === 'function' ? (bufferLatin1Slice as Utf8Slice) : undefined;

/**
 * From this many bytes on, a range that is not all ASCII is decoded through `buffer.transcode`
 * to UTF-16 (simdutf in Node 20+, several times V8's scalar decoder on CJK or mixed text; a
 * fixed call cost makes it slower on short ranges). Transcoding refuses invalid UTF-8 (it throws),
 * and then the range goes through the replacing decoder: for valid input both give the one
 * possible decoding, so only invalid input takes the slower path.
 */
export const TRANSCODE_MIN_BYTES = 1024;

/** Decodes `bytes[start, end)` as UTF-8 with replacement, keeping a BOM. */
export const decodeUtf8: (bytes: Uint8Array, start: number, end: number) => string = utf8Slice
  ? (bytes, start, end) => {
    if (end - start < TRANSCODE_MIN_BYTES || ucs2Slice === undefined) return start === end ? '' : utf8Slice.call(bytes, start, end);
    // Long ranges: simdutf checks for ASCII (about 1 µs per 64 KiB), then the fastest exact decoder.
    return decodeLongRange(bytes, start, end);
  }
  : decodeWithTextDecoder;

function decodeLongRange(bytes: Uint8Array, start: number, end: number): string {
  const range = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  if (isAscii(range)) return (latin1Slice ?? utf8Slice!).call(bytes, start, end); // ASCII: a one-byte string, no UTF-8 decoding needed
  let utf16: Uint8Array;
  try {
    utf16 = transcode(range, 'utf8', 'utf16le');
  } catch {
    return utf8Slice!.call(bytes, start, end); // invalid UTF-8: replacement decoding
  }
  return ucs2Slice!.call(utf16, 0, utf16.length);
}

/** The portable decoder behind {@link decodeUtf8}; exported so tests can compare the two. */
export function decodeWithTextDecoder(bytes: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  return utf8.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
}

/**
 * How many bytes at the end of `bytes[start, end)` form a valid but unfinished UTF-8 sequence (0-3),
 * per the byte ranges of the WHATWG UTF-8 decoder (E0 needs A0-BF next, ED 80-9F, F0 90-BF,
 * F4 80-8F). Decoding everything before them is final whatever bytes come next.
 */
export function unfinishedSequenceLength(bytes: Uint8Array, end = bytes.length, start = 0): number {
  // Fast exit: the common case ends in ASCII.
  if (end <= start || bytes[end - 1]! < 0x80) return 0;
  // Find the last byte that is not a continuation byte (80-BF), at most 3 back.
  let lead = end - 1;
  while (lead > end - 4 && lead > start && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const first = bytes[lead]!;
  const present = end - lead;
  let needed: number;
  if (first >= 0xc2 && first <= 0xdf) needed = 2;
  else if (first >= 0xe0 && first <= 0xef) needed = 3;
  else if (first >= 0xf0 && first <= 0xf4) needed = 4;
  else return 0; // ASCII, a stray continuation byte, or a byte that never starts a sequence
  if (present >= needed) return 0;
  if (present >= 2) {
    const second = bytes[lead + 1]!;
    const low = first === 0xe0 ? 0xa0 : first === 0xf0 ? 0x90 : 0x80;
    const high = first === 0xed ? 0x9f : first === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return 0; // already an error: decoded now
  }
  // Bytes after the second were checked to be 80-BF by the scan above.
  return present;
}
