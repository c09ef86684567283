/**
 * Finding line terminator bytes (LF 0x0A, CR 0x0D) in raw chunks, so the parser can keep the
 * unterminated tail of a chunk as bytes and decode only up to a terminator (see
 * utf8-decoder.ts for why that cut is exact). Both bytes are ASCII and never occur inside a
 * UTF-8 multi-byte sequence, so a byte search finds exactly the terminators the decoded text has.
 */

const LF = 0x0a;
const CR = 0x0d;

/**
 * Bytes looked at in a JS loop before handing the rest to a native search. A terminator is
 * usually within a line's length of where the search starts, and a native call costs about as
 * much as scanning this many bytes; long lines are left to memchr.
 */
const SCAN_IN_JS = 128;

type ByteSearch = (this: Uint8Array, value: number, byteOffset: number) => number;

// Node's Buffer searches are memchr/memrchr and accept any Uint8Array as `this`; the
// TypedArray methods are a plain loop, about 20x slower on 64 KiB. Both give the same answers.
const bufferPrototype = (globalThis as { Buffer?: { prototype?: { indexOf?: unknown; lastIndexOf?: unknown } } }).Buffer?.prototype;
const nativeIndexOf: ByteSearch =
  typeof bufferPrototype?.indexOf === 'function' ? (bufferPrototype.indexOf as ByteSearch) : (Uint8Array.prototype.indexOf as ByteSearch);
const nativeLastIndexOf: ByteSearch =
  typeof bufferPrototype?.lastIndexOf === 'function'
    ? (bufferPrototype.lastIndexOf as ByteSearch)
    : (Uint8Array.prototype.lastIndexOf as ByteSearch);

/** Index of the first LF or CR in `bytes` at or after `from`, or -1. */
export function firstTerminator(bytes: Uint8Array, from: number): number {
  const length = bytes.length;
  const stop = length - from > SCAN_IN_JS ? from + SCAN_IN_JS : length;
  for (let i = from; i < stop; i++) {
    const c = bytes[i]!;
    if (c <= CR && (c === LF || c === CR)) return i;
  }
  if (stop === length) return -1;
  const lf = nativeIndexOf.call(bytes, LF, stop);
  const cr = nativeIndexOf.call(bytes, CR, stop);
  if (lf === -1) return cr;
  return cr === -1 || lf < cr ? lf : cr;
}

/** Index of the last LF or CR in `bytes`, or -1. */
export function lastTerminator(bytes: Uint8Array): number {
  const length = bytes.length;
  const stop = length > SCAN_IN_JS ? length - SCAN_IN_JS : 0;
  for (let i = length - 1; i >= stop; i--) {
    const c = bytes[i]!;
    if (c <= CR && (c === LF || c === CR)) return i;
  }
  if (stop === 0) return -1;
  const lf = nativeLastIndexOf.call(bytes, LF, stop - 1);
  const cr = nativeLastIndexOf.call(bytes, CR, stop - 1);
  return lf > cr ? lf : cr;
}
