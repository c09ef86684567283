/**
 * Streaming UTF-8 decoding (PARSE-UTF8-DECODE, PARSE-STREAMING-DECODE) with the output of
 * `new TextDecoder('utf-8', { ignoreBOM: true })` used with `{ stream: true }`, but several times
 * faster: Node's streaming TextDecoder goes through ICU (about 1 GB/s on ASCII), while a
 * one-shot `decode()` takes a SIMD fast path (several GB/s) and yields compact one-byte strings.
 *
 * So each chunk is decoded one-shot, except that a multi-byte sequence cut off by the end of the
 * chunk is held back and decoded with the next chunk. That is exact: the WHATWG UTF-8 decoder
 * (https://encoding.spec.whatwg.org/#utf-8-decoder) has no state other than an unfinished
 * sequence, and an unfinished sequence that is still valid so far is the only thing whose
 * decoding depends on bytes not seen yet. Anything invalid is already final (U+FFFD).
 */

/** One stateless decoder for all streams; it keeps the BOM so the parser strips exactly one itself. */
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * How many bytes at the end of `bytes` form a valid but unfinished UTF-8 sequence (0-3), per the
 * byte ranges of the WHATWG UTF-8 decoder (E0 needs A0-BF next, ED 80-9F, F0 90-BF, F4 80-8F).
 */
export function unfinishedSequenceLength(bytes: Uint8Array): number {
  const length = bytes.length;
  // Fast exit: the common case ends in ASCII.
  if (length === 0 || bytes[length - 1]! < 0x80) return 0;
  // Find the last byte that is not a continuation byte (80-BF), at most 3 back.
  let lead = length - 1;
  while (lead > length - 4 && lead > 0 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const first = bytes[lead]!;
  const present = length - lead;
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

/** Decodes a byte stream chunk by chunk; see the module comment. */
export class Utf8StreamDecoder {
  /** The held-back unfinished sequence (1-3 bytes), if any. */
  #pending: Uint8Array | undefined;

  /** Decodes `chunk`, holding back an unfinished sequence at its end for the next call. */
  decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.#pending !== undefined) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
      this.#pending = undefined;
    }
    const held = unfinishedSequenceLength(bytes);
    if (held === 0) return utf8.decode(bytes);
    this.#pending = bytes.slice(bytes.length - held);
    return utf8.decode(bytes.subarray(0, bytes.length - held));
  }

  /** Ends the stream: a held-back unfinished sequence becomes one U+FFFD, as at end of input. */
  flush(): string {
    if (this.#pending === undefined) return '';
    this.#pending = undefined;
    return '\ufffd';
  }
}
