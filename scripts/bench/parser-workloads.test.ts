import { describe, expect, it } from 'vitest';
import { parseStream } from '../../reference/parser.ts';
import { fixedChunks, parserWorkloads, randomChunks } from './parser-workloads.ts';

describe('parser benchmark workloads', () => {
  const workloads = parserWorkloads(200_000);

  it('yield exactly the announced number of events, and cover every byte once', () => {
    expect(workloads.map((w) => w.name)).toHaveLength(6);
    for (const w of workloads) {
      expect(w.chunks.reduce((n, c) => n + c.length, 0), w.name).toBe(w.totalBytes);
      expect(w.totalBytes, w.name).toBeGreaterThanOrEqual(200_000);
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
