/**
 * Event streams the parser benchmark feeds to every contender: each workload is one body as
 * bytes, already cut into the chunks a socket would deliver, plus how many events it must yield.
 * Deterministic (seeded) so runs and machines compare.
 */

/** One benchmark input: a body split into chunks, with the number of events it dispatches. */
export interface ParserWorkload {
  readonly name: string;
  /** Counted in the "small-event" targets (many short lines; per-line overhead dominates). */
  readonly smallEvents: boolean;
  readonly chunks: Buffer[];
  readonly totalBytes: number;
  readonly expectedEvents: number;
}

/** Mulberry32: a tiny seeded PRNG, so the random chunking is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `body` into consecutive chunks of `size` bytes (the last may be shorter). */
export function fixedChunks(body: Uint8Array, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < body.length; start += size) {
    chunks.push(Buffer.from(body.buffer, body.byteOffset + start, Math.min(size, body.length - start)));
  }
  return chunks;
}

/** Cuts `body` into consecutive chunks of a random size in [min, max] bytes (seeded). */
export function randomChunks(body: Uint8Array, min: number, max: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  const chunks: Buffer[] = [];
  for (let start = 0; start < body.length; ) {
    const size = Math.min(min + Math.floor(random() * (max - min + 1)), body.length - start);
    chunks.push(Buffer.from(body.buffer, body.byteOffset + start, size));
    start += size;
  }
  return chunks;
}

/** A JSON-ish payload of about 40-60 characters, like a typical notification. */
function payload(n: number): string {
  return `{"seq":${n},"user":"u${n % 997}","text":"hello from the server"}`;
}

/** Repeats `frame(n)` until the body reaches about `targetBytes`; returns the text and event count. */
function repeat(targetBytes: number, frame: (n: number) => string): { text: string; events: number } {
  const parts: string[] = [];
  let length = 0;
  let n = 0;
  while (length < targetBytes) {
    const f = frame(n++);
    parts.push(f);
    length += f.length; // all frames are ASCII, so characters = bytes
  }
  return { text: parts.join(''), events: n };
}

const smallFrame = (n: number): string => `data: ${payload(n)}\n\n`;
const smallCrlfFrame = (n: number): string => `data: ${payload(n)}\r\n\r\n`;
const idEventDataFrame = (n: number): string => `id: ${n}\nevent: update\ndata: ${payload(n)}\n\n`;
const multiLineFrame = (n: number): string => {
  let frame = '';
  for (let line = 0; line < 8; line++) frame += `data: line ${line} of event ${n}: lorem ipsum dolor sit\n`;
  return frame + '\n';
};
const bigLine = 'x'.repeat(64 * 1024);
const bigLineFrame = (n: number): string => `data: ${n} ${bigLine}\n\n`;

/**
 * The benchmark's workloads, each about `targetBytes` long. Bodies are cut into 64 KiB chunks
 * (a typical socket read) except `random chunks`, which is the id+event+data body cut into
 * seeded random 1-64 byte chunks (a worst case: most lines span several chunks).
 */
export function parserWorkloads(targetBytes = 4 * 1024 * 1024, seed = 0x5e5e): ParserWorkload[] {
  const encoder = new TextEncoder();
  const make = (name: string, smallEvents: boolean, frame: (n: number) => string, chunking?: (body: Uint8Array) => Buffer[]): ParserWorkload => {
    const { text, events } = repeat(targetBytes, frame);
    const body = encoder.encode(text);
    const chunks = chunking ? chunking(body) : fixedChunks(body, 64 * 1024);
    return { name, smallEvents, chunks, totalBytes: body.length, expectedEvents: events };
  };
  return [
    make('small events', true, smallFrame),
    make('64 KiB data lines', false, bigLineFrame),
    make('multi-line data', false, multiLineFrame),
    make('id+event+data', true, idEventDataFrame),
    make('CRLF small events', true, smallCrlfFrame),
    make('random 1-64 B chunks', true, idEventDataFrame, (body) => randomChunks(body, 1, 64, seed)),
  ];
}
