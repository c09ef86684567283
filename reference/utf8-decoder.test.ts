import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testSeed } from '../scripts/test-seed.ts';
import { decodeUtf8, decodeWithTextDecoder, unfinishedSequenceLength } from './utf8-decoder.ts';

const seed = testSeed('reference/utf8-decoder.test.ts');

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

/**
 * Decodes `bytes` one-shot in consecutive pieces: after each chunk, up to where `cutAt` puts the
 * end of what was seen so far (never before the previous cut), then the rest at the end.
 */
function decodeInPieces(bytes: Uint8Array, chunks: Uint8Array[], cutAt: (seen: number, done: number) => number): string {
  let done = 0;
  let seen = 0;
  let text = '';
  for (const chunk of chunks) {
    seen += chunk.length;
    const cut = cutAt(seen, done);
    expect(cut).toBeGreaterThanOrEqual(done);
    text += decodeUtf8(bytes, done, cut);
    done = cut;
  }
  return text + decodeUtf8(bytes, done, bytes.length);
}

const bytesArb = fc.array(fc.oneof(interestingByte, fc.integer({ min: 0, max: 255 })), { maxLength: 40 }).map((v) => Uint8Array.from(v));

describe('decodeUtf8', () => {
  it('decodes any byte range exactly like a one-shot TextDecoder, on the fast path and the portable one', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = Math.min(a, b) % (bytes.length + 1);
        const end = start + (Math.max(a, b) % (bytes.length - start + 1));
        const expected = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(start, end));
        expect(decodeUtf8(bytes, start, end)).toBe(expected);
        expect(decodeWithTextDecoder(bytes, start, end)).toBe(expected);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('gives the streaming decode when cut right after an ASCII byte (how the parser cuts at line terminators)', () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const chunks = split(bytes, cuts);
        // Every cut moved back to just after the last ASCII byte before it, as the parser does.
        const ours = decodeInPieces(bytes, chunks, (seen, done) => {
          let cut = seen;
          while (cut > done && bytes[cut - 1]! >= 0x80) cut--;
          return cut;
        });
        expect(ours).toBe(referenceDecode(chunks));
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('gives the streaming decode when each growing prefix is decoded up to its unfinished sequence (the maxLineLength count)', () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const chunks = split(bytes, cuts);
        const ours = decodeInPieces(bytes, chunks, (seen) => seen - unfinishedSequenceLength(bytes, seen));
        expect(ours).toBe(referenceDecode(chunks));
      }),
      { seed, numRuns: 3000 },
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
    expect(unfinishedSequenceLength(Uint8Array.of(0x41, 0xe2, 0x82, 0x41), 3)).toBe(2); // only bytes before `end` count
  });

  it('keeps a BOM and makes an unfinished sequence at the end one U+FFFD', () => {
    expect(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), 0, 4)).toBe('\ufeffA');
    expect(decodeUtf8(Uint8Array.of(0x41, 0xf0, 0x9f), 0, 3)).toBe('A\ufffd');
    expect(decodeUtf8(Uint8Array.of(0x41), 1, 1)).toBe('');
  });
});
