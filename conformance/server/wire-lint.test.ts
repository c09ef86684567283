import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, lintWire, splitLines } from './wire-lint.ts';
import type { Chunk } from './stream-reader.ts';

const enc = new TextEncoder();
function chunks(...parts: (string | Uint8Array)[]): Chunk[] {
  return parts.map((p, i) => ({ at: i, bytes: typeof p === 'string' ? enc.encode(p) : p }));
}
function lint(parts: (string | Uint8Array)[], endedByServer = true) {
  const c = chunks(...parts);
  const body = Buffer.concat(c.map((x) => x.bytes));
  return lintWire(body, c, { endedByServer, endedAt: c.length, pauseMs: 1000 });
}

describe('lintWire: legal variations produce no finding', () => {
  const legal: Record<string, string[]> = {
    'LF': ['data: a\n\n'],
    'CRLF': ['data: a\r\n\r\n'],
    'CR': ['data: a\r\r'],
    'mixed per line': ['id: 1\r\ndata: a\rdata: b\n\n', 'data: c\r\n\r'],
    'CRLF split across chunks': ['data: a\r', '\n\r', '\n'],
    'leading BOM': ['\uFEFFdata: a\n\n'],
    'comments inside and between': [': hi\ndata: a\n:x\n\n: between\n'],
    'no space after colon': ['data:a\nevent:x\nid:7\nretry:100\n\n'],
    'field order': ['data: a\nevent: t\nid: 9\n\n'],
    'empty values and bare names': ['data\nid\nevent\ndata:\n\n'],
    'retry digits and leading zeros': ['retry: 0010\n\n'],
    'BOM inside a value': ['data: \uFEFFx\n\n'],
    'NUL inside data': ['data: a\u0000b\n\n'],
    'only comments, then EOF': [': keepalive\n: again'],
  };
  for (const [name, parts] of Object.entries(legal)) {
    it(name, () => expect(lint(parts).findings).toEqual([]));
  }
  it('any chunking of a legal stream gives no finding (property)', () => {
    const text = '\uFEFFid: 1\r\nevent: t\rdata: x\n\n: c\r\ndata:y\r\r';
    const bytes = enc.encode(text);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), (cuts) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const parts: Uint8Array[] = [];
      let prev = 0;
      for (const c of [...sorted, bytes.length]) {
        parts.push(bytes.subarray(prev, c));
        prev = c;
      }
      expect(lint(parts).findings).toEqual([]);
    }), { seed: 7, numRuns: 100 });
  });
});

describe('lintWire: violations', () => {
  it('an unescaped newline in data reads as an unknown field (FAIL, names the likely cause)', () => {
    const f = lint(['data: line one\nline two\n\n']).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'field-name', severity: 'FAIL' });
    expect(f[0]!.message).toMatch(/unescaped newline/);
  });
  it('case variants of known names FAIL; unknown token fields are NON_STRICT', () => {
    expect(lint(['Data: x\n\n']).findings[0]).toMatchObject({ rule: 'field-name', severity: 'FAIL' });
    expect(lint(['custom: x\ndata: y\n\n']).findings[0]).toMatchObject({ rule: 'field-name', severity: 'NON_STRICT' });
  });
  it('retry values that are not digits', () => {
    for (const v of ['1.5s', '-1', ' 10', '1e3', '']) expect(lint([`retry: ${v}\n\n`]).findings.map((x) => x.rule), v).toEqual(['retry']);
  });
  it('id with NUL', () => expect(lint(['id: a\u0000b\ndata: x\n\n']).findings.map((x) => x.rule)).toEqual(['id']));
  it('BOM at the start of a later line', () => expect(lint(['data: a\n\n\uFEFFdata: b\n\n']).findings.map((x) => x.rule)).toContain('bom'));
  it('invalid UTF-8 with its offset', () => {
    const f = lint([new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xc3, 0x28, 0x0a, 0x0a])]).findings;
    expect(f[0]).toMatchObject({ rule: 'utf8', offset: 5 });
  });
  it('event unterminated at EOF; and left open while the stream is quiet', () => {
    expect(lint(['data: a\n']).findings.map((x) => x.rule)).toEqual(['terminator']);
    const c: Chunk[] = [{ at: 0, bytes: enc.encode('data: a\n') }, { at: 1500, bytes: enc.encode(': hb\n') }];
    expect(lintWire(Buffer.concat(c.map((x) => x.bytes)), c, { endedByServer: false, endedAt: 2000, pauseMs: 1000 }).findings.map((x) => x.rule)).toEqual(['terminator']);
  });
  it('an event still arriving when the harness stops reading is not judged', () => {
    const c: Chunk[] = [{ at: 1900, bytes: enc.encode('data: a\ndata: b') }];
    expect(lintWire(c[0]!.bytes, c, { endedByServer: false, endedAt: 2000, pauseMs: 1000 }).findings).toEqual([]);
  });
});

describe('helpers', () => {
  it('splitLines treats a CR at the end as a line end and CRLF split across chunks as one', () => {
    expect(splitLines(chunks('a\r', '\nb\r')).map((l) => [l.text, l.ending])).toEqual([['a', '\r\n'], ['b', '\r']]);
  });
  it('firstInvalidUtf8 accepts a truncated tail and rejects overlongs and surrogates', () => {
    expect(firstInvalidUtf8(enc.encode('é😀'))).toBe(-1);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xe2, 0x82]))).toBe(-1);
    expect(firstInvalidUtf8(new Uint8Array([0xc0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(new Uint8Array([0xff]))).toBe(0);
  });
});
