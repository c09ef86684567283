import { describe, expect, it } from 'vitest';
import { parseStream } from '../../reference/parser.ts';
import { fixedChunks, parserWorkloads, randomChunks } from './parser-workloads.ts';

describe('parser benchmark workloads', () => {
  const workloads = parserWorkloads(200_000);

  it('yield exactly the announced number of events, and cover every byte once', () => {
    expect(workloads.map((w) => w.name)).toHaveLength(15);
    for (const w of workloads) {
      expect(w.chunks.reduce((n, c) => n + c.length, 0), w.name).toBe(w.totalBytes);
      expect(w.totalBytes, w.name).toBeGreaterThanOrEqual(w.name.includes('1-16 B') ? 50_000 : 200_000);
      expect(parseStream(w.chunks).events.length, w.name).toBe(w.expectedEvents);
    }
  });

  it('use the line shapes their names promise', () => {
    const text = (name: string): string => Buffer.concat(workloads.find((w) => w.name === name)!.chunks).toString('latin1');
    expect(text('CRLF small events')).toMatch(/^data: [^\r\n]+\r\n\r\ndata: /);
    expect(text('small events')).not.toContain('\r');
    expect(text('id+event+data')).toMatch(/^id: 0\nevent: update\ndata: [^\n]+\n\nid: 1\n/);
    expect(parseStream([text('64 KiB data lines')]).events[0]!.data.length).toBeGreaterThan(65_536);
    expect(parseStream([text('multi-line data')]).events[0]!.data.split('\n')).toHaveLength(8);
  });

  it('non-ASCII workloads carry the scripts they name, split inside sequences; token streams give one event per read and end with [DONE]', () => {
    const w = (name: string) => workloads.find((x) => x.name === name)!;
    const text = (name: string): string => Buffer.concat(w(name).chunks).toString('utf8');
    expect(text('CJK chat')).toMatch(/[\u4e00-\u9fff]/);
    expect(text('mixed-script multi-line')).toMatch(/[\u0400-\u04ff].*\n.*/);
    expect(text('mixed-script multi-line')).toMatch(/\u{1F680}/u);
    expect(Buffer.concat(w('CJK chat').chunks).length).toBeGreaterThan(Buffer.concat(w('CJK chat').chunks).toString('utf8').length);
    // 64 KiB reads of multi-byte text end inside a sequence somewhere.
    expect(w('CJK chat').chunks.some((c) => (c[c.length - 1]! & 0xc0) === 0x80 || c[c.length - 1]! >= 0xc0)).toBe(true);
    for (const name of ['LLM tokens, one event per read', 'LLM tokens non-ASCII, one event per read']) {
      const events = w(name).chunks.map((c) => parseStream([c]).events.length);
      expect(events.every((n) => n === 1), name).toBe(true);
      expect(parseStream(w(name).chunks).events.at(-1)!.data).toBe('[DONE]');
      expect(JSON.parse(parseStream(w(name).chunks).events[0]!.data).object).toBe('chat.completion.chunk');
    }
    for (const name of ['CJK chat, 1-16 B reads', 'LLM tokens non-ASCII, 1-16 B reads']) {
      expect(Math.max(...w(name).chunks.map((c) => c.length)), name).toBeLessThanOrEqual(16);
    }
  });

  it('cut random chunks of 1-64 bytes, the same for the same seed', () => {
    const body = new Uint8Array(10_000).fill(0x61);
    const a = randomChunks(body, 1, 64, 7).map((c) => c.length);
    expect(a.reduce((n, l) => n + l, 0)).toBe(10_000);
    expect(Math.min(...a)).toBe(1);
    expect(Math.max(...a)).toBe(64);
    expect(randomChunks(body, 1, 64, 7).map((c) => c.length)).toEqual(a);
    expect(randomChunks(body, 1, 64, 8).map((c) => c.length)).not.toEqual(a);
    expect(fixedChunks(body, 4096).map((c) => c.length)).toEqual([4096, 4096, 1808]);
  });
});
