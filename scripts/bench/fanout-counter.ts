/**
 * The fan-out benchmark's client-side scanner: reads one raw HTTP/1.1 event-stream response
 * (chunked or not) and counts benchmark events, cheaply enough that 10,000 of them in one
 * process do not become the bottleneck. It is not an SSE parser: it only looks for the
 * benchmark's own data lines, `data: <seq> <sendTimeMs> <padding>` (the space after the colon is
 * optional, as better-sse omits it). A server writes each frame whole, so chunk-size lines never fall
 * inside a data line; a read may end anywhere, so an unfinished line is carried over.
 */

/** The data every benchmark event carries: sequence number, send time (ms, epoch-based), padding. */
export function benchmarkData(seq: number, sendTimeMs: number, size = 100): string {
  const head = `${seq} ${sendTimeMs.toFixed(3)} `;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

/** High-resolution wall-clock milliseconds, comparable between processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class EventCounter {
  /** HTTP status of the response, 0 until its head has arrived. */
  status = 0;
  /** Benchmark events seen. */
  received = 0;
  /** Events that did not carry the next sequence number (lost, duplicated or reordered). */
  outOfOrder = 0;
  #nextSeq: number;
  #carry = '';

  /** @param firstSeq the sequence number the first event must carry */
  constructor(firstSeq = 1) {
    this.#nextSeq = firstSeq;
  }

  get headersDone(): boolean {
    return this.status !== 0;
  }

  /** Scans one read; pushes `now - sendTime` of each event to `latencies` when given. */
  push(chunk: Buffer, now: number, latencies?: number[]): void {
    const text = this.#carry.length === 0 ? chunk.toString('latin1') : this.#carry + chunk.toString('latin1');
    this.#carry = '';
    let position = 0;
    if (this.status === 0) {
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) {
        this.#carry = text;
        return;
      }
      this.status = Number(text.slice(9, 12)) || -1; // "HTTP/1.1 200 OK"
      position = end + 4;
    }
    for (;;) {
      const start = text.indexOf('data:', position);
      if (start === -1) {
        // Keep a possible beginning of "data:" for the next read.
        this.#carry = text.slice(Math.max(position, text.length - 4));
        return;
      }
      const end = text.indexOf('\n', start);
      if (end === -1) {
        this.#carry = text.slice(start);
        return;
      }
      let i = start + 5;
      if (text.charCodeAt(i) === 0x20) i++;
      const space = text.indexOf(' ', i);
      const seq = Number(text.slice(i, space));
      if (seq !== this.#nextSeq) this.outOfOrder++;
      this.#nextSeq = seq + 1;
      this.received++;
      if (latencies) latencies.push(now - Number(text.slice(space + 1, text.indexOf(' ', space + 1))));
      position = end + 1;
    }
  }
}
