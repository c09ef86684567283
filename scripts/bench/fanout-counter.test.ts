import { describe, expect, it } from 'vitest';
import { benchmarkData, EventCounter } from './fanout-counter.ts';

/** A chunked HTTP response carrying the given frames, one chunk per frame, as a server writes them. */
function chunkedResponse(frames: string[]): Buffer {
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
  const body = frames.map((f) => `${Buffer.byteLength(f).toString(16)}\r\n${f}\r\n`).join('');
  return Buffer.from(head + body, 'latin1');
}

describe('fan-out benchmark event counter', () => {
  const frames = ['retry: 3000\n\n', ...[1, 2, 3, 4, 5].map((seq) => `id: ${seq}\ndata: ${benchmarkData(seq, 1000 + seq)}\n\n`), ': heartbeat\n'];
  const wire = chunkedResponse(frames);

  it('counts every event and its latency, however the reads are split', () => {
    for (const size of [1, 2, 3, 7, 64, wire.length]) {
      const counter = new EventCounter();
      const latencies: number[] = [];
      for (let i = 0; i < wire.length; i += size) counter.push(wire.subarray(i, i + size), 2000, latencies);
      expect({ size, status: counter.status, received: counter.received, outOfOrder: counter.outOfOrder }).toEqual({ size, status: 200, received: 5, outOfOrder: 0 });
      expect(latencies).toEqual([999, 998, 997, 996, 995]);
    }
  });

  it('reads data lines without a space after the colon (better-sse) and flags lost or repeated events', () => {
    const counter = new EventCounter();
    counter.push(chunkedResponse([1, 3, 3].map((seq) => `event:message\nid:x\ndata:${benchmarkData(seq, 5)}\n\n`)), 10);
    expect(counter.received).toBe(3);
    expect(counter.outOfOrder).toBe(2);
  });

  it('pads data to the requested size', () => {
    expect(benchmarkData(12, 3.5, 100)).toHaveLength(100);
    expect(benchmarkData(12, 3.5, 100).startsWith('12 3.500 ')).toBe(true);
  });
});
