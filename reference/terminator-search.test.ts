import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { testSeed } from '../scripts/test-seed.ts';
import { firstTerminator, lastTerminator } from './terminator-search.ts';

const seed = testSeed('reference/terminator-search.test.ts');
const isTerminator = (b: number) => b === 0x0a || b === 0x0d;

// Mostly bytes that are not terminators, so terminators land both inside and beyond the JS-scanned window.
const bytesArb = fc
  .array(fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 1, arbitrary: fc.constantFrom(0x0a, 0x0d) }), { maxLength: 700 })
  .map((values) => Uint8Array.from(values));

describe('terminator search', () => {
  it('finds the first LF or CR at or after a position, and the last one, like a plain scan', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), fc.boolean(), (bytes, rawFrom, asBuffer) => {
        // Buffers take the native memchr path; plain Uint8Arrays the same one through Buffer.prototype.
        const input = asBuffer ? Buffer.from(bytes) : bytes;
        const from = rawFrom % (bytes.length + 1);
        let first = -1;
        for (let i = from; i < bytes.length; i++) if (isTerminator(bytes[i]!)) { first = i; break; }
        let last = -1;
        for (let i = bytes.length - 1; i >= 0; i--) if (isTerminator(bytes[i]!)) { last = i; break; }
        expect(firstTerminator(input, from)).toBe(first);
        expect(lastTerminator(input)).toBe(last);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('looks past the window scanned in JS, for either terminator', () => {
    const long = new Uint8Array(5000).fill(0x78);
    long[4000] = 0x0d;
    long[4500] = 0x0a;
    expect(firstTerminator(long, 0)).toBe(4000);
    expect(firstTerminator(long, 4001)).toBe(4500);
    expect(lastTerminator(long)).toBe(4500);
    long[4500] = 0x78;
    expect(lastTerminator(long)).toBe(4000);
    expect(firstTerminator(long, 4001)).toBe(-1);
  });

  it('gives the same answers without Buffer (a browser bundle: TypedArray searches)', async () => {
    const saved = globalThis.Buffer;
    vi.resetModules();
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      const portable = await import('./terminator-search.ts');
      const bytes = new Uint8Array(1000).fill(0x41);
      bytes[300] = 0x0a;
      bytes[700] = 0x0d;
      expect(portable.firstTerminator(bytes, 0)).toBe(300);
      expect(portable.firstTerminator(bytes, 301)).toBe(700);
      expect(portable.lastTerminator(bytes)).toBe(700);
      expect(portable.lastTerminator(bytes.subarray(0, 299))).toBe(-1);
    } finally {
      globalThis.Buffer = saved;
      vi.resetModules();
    }
  });
});
