import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testSeed } from '../scripts/test-seed.ts';
import { decodeUtf8, decodeWithTextDecoder, TRANSCODE_MIN_BYTES, unfinishedSequenceLength } from './utf8-decoder.ts';

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

// Long ranges take the transcoding path (TRANSCODE_MIN_BYTES and up): non-ASCII text of every
// width, ASCII runs, and stretches of arbitrary bytes (invalid sequences, truncated ones, a BOM).
const longSegment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((t) => new TextEncoder().encode(t)) },
  { weight: 2, arbitrary: fc.constantFrom('今天的会议改到下午三点，', 'Crème brûlée ', 'Съешь же ещё ', '🚀🎉✅ ', 'plain ASCII text ').map((t) => new TextEncoder().encode(t.repeat(8))) },
  { weight: 1, arbitrary: bytesArb },
);
const longBytesArb = fc.array(longSegment, { minLength: 1, maxLength: 60 }).map((parts) => {
  const filler = new TextEncoder().encode('数据'.repeat(Math.ceil(TRANSCODE_MIN_BYTES / 6)));
  const total = parts.reduce((n, p) => n + p.length, 0) + filler.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of [...parts, filler]) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
});

describe('decodeUtf8 on long ranges (the transcoding path)', () => {
  it('decodes any long range, valid or not, exactly like a one-shot TextDecoder', () => {
    fc.assert(
      fc.property(longBytesArb, fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = Math.min(a, b) % (bytes.length + 1);
        const end = start + (Math.max(a, b) % (bytes.length - start + 1));
        const expected = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(start, end));
        expect(decodeUtf8(bytes, start, end)).toBe(expected);
        // and the whole of it, which is always long
        expect(decodeUtf8(bytes, 0, bytes.length)).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('cut at every byte inside a multi-byte sequence, the two sides decode like the streaming decoder', () => {
    const text = '今天的会议改到下午三点，Привет, naïve café 🚀🎉 '.repeat(40);
    const bytes = new TextEncoder().encode(text);
    expect(bytes.length).toBeGreaterThan(2 * TRANSCODE_MIN_BYTES);
    let cuts = 0;
    for (let p = 1; p < bytes.length; p++) {
      if ((bytes[p]! & 0xc0) !== 0x80) continue; // only cuts that fall inside a sequence
      cuts++;
      const held = unfinishedSequenceLength(bytes, p);
      expect(held).toBeGreaterThan(0);
      expect(decodeUtf8(bytes, 0, p - held) + decodeUtf8(bytes, p - held, bytes.length)).toBe(text);
      // Decoding right up to the cut gives U+FFFD for the cut sequence, as a one-shot TextDecoder does.
      expect(decodeUtf8(bytes, 0, p)).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(0, p)));
    }
    expect(cuts).toBeGreaterThan(1000);
  });

  it('keeps a BOM, and gives a one-byte string for a long ASCII range', () => {
    const long = new TextEncoder().encode('\ufeff' + 'é'.repeat(TRANSCODE_MIN_BYTES));
    expect(decodeUtf8(long, 0, long.length)).toBe('\ufeff' + 'é'.repeat(TRANSCODE_MIN_BYTES));
    const ascii = new TextEncoder().encode('a'.repeat(TRANSCODE_MIN_BYTES * 2));
    expect(decodeUtf8(ascii, 0, ascii.length)).toBe('a'.repeat(TRANSCODE_MIN_BYTES * 2));
  });
});
