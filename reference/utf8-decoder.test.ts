import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unfinishedSequenceLength, Utf8StreamDecoder } from './utf8-decoder.ts';

/** What the parser must match: the streaming WHATWG decoder (PARSE-UTF8-DECODE, PARSE-STREAMING-DECODE). */
function referenceDecode(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

// Bytes at every boundary of the UTF-8 decoder's ranges, so short arrays hit the interesting cases.
const interestingByte = fc.constantFrom(
  0x00, 0x0a, 0x0d, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbb, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
  0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xfe, 0xff,
);

/** Splits `bytes` at the given cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe('Utf8StreamDecoder', () => {
  it('decodes any bytes, split anywhere, exactly like the streaming TextDecoder', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(interestingByte, fc.integer({ min: 0, max: 255 })), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (values, cuts) => {
          const chunks = split(Uint8Array.from(values), cuts);
          const decoder = new Utf8StreamDecoder();
          const ours = chunks.map((c) => decoder.decode(c)).join('') + decoder.flush();
          expect(ours).toBe(referenceDecode(chunks));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('holds back only valid unfinished sequences', () => {
    const held = (...b: number[]): number => unfinishedSequenceLength(Uint8Array.from(b));
    expect(held()).toBe(0);
    expect(held(0x41, 0xe2, 0x82)).toBe(2);
    expect(held(0xe2, 0x82, 0xac)).toBe(0);
    expect(held(0xf0, 0x9f, 0x98)).toBe(3);
    expect(held(0xf0, 0x8f)).toBe(0); // F0 needs 90-BF next: already an error
    expect(held(0xed, 0xa0)).toBe(0); // surrogate range: already an error
    expect(held(0xc0)).toBe(0);
    expect(held(0x80, 0x80, 0x80)).toBe(0);
  });

  it('keeps a BOM and ends an unfinished sequence as one U+FFFD', () => {
    const decoder = new Utf8StreamDecoder();
    expect(decoder.decode(Uint8Array.of(0xef, 0xbb))).toBe('');
    expect(decoder.decode(Uint8Array.of(0xbf, 0x41, 0xf0, 0x9f))).toBe('\ufeffA');
    expect(decoder.flush()).toBe('\ufffd');
    expect(decoder.flush()).toBe('');
  });
});
