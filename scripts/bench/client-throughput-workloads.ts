/**
 * The streams of the client throughput benchmark, built from the parser benchmark's frames so
 * both benchmarks speak of the same text. Each has a fixed number of events (the last one,
 * `data: [DONE]` for token streams, included) and the write pattern the server uses.
 */
import { DONE_FRAME, fixedChunks, frames, randomChunks } from './parser-workloads.ts';

export interface ClientWorkload {
  /** URL-safe id (`/stream/<id>`). */
  readonly id: string;
  readonly name: string;
  /**
   * `bulk`: 64 KiB writes as fast as the socket takes them; `per-event`: one event per write, one
   * write per turn of the server's event loop (the client gets about one event per read, and the
   * server's pace bounds events/s); `per-write`: one event per HTTP chunk (what a server writing
   * each event separately sends), the chunks framed in advance and sent in 64 KiB socket writes as
   * fast as the socket takes them, so the server is never the limit: client-bound, one event per
   * body chunk for the client's event-stream parser; `tiny-chunks`: the same, but the body is cut
   * into seeded random 1-16 byte pieces (UTF-8 sequences and lines cut anywhere), each its own
   * HTTP chunk, so the parser gets 1-16 byte reads.
   */
  readonly pattern: 'bulk' | 'per-event' | 'per-write' | 'tiny-chunks';
  readonly writes: Buffer[];
  readonly events: number;
  readonly bytes: number;
}

/** A workload without its bytes (what the benchmark's own process needs). */
export type ClientWorkloadSpec = Omit<ClientWorkload, 'writes' | 'bytes'> & { readonly frame: (n: number) => string; readonly done: boolean };

function spec(id: string, name: string, pattern: ClientWorkload['pattern'], frame: (n: number) => string, events: number, done: boolean): ClientWorkloadSpec {
  return { id, name, pattern, frame, events, done };
}

/** The bytes of a workload, cut as its pattern says (the server process builds them). */
export function buildWorkload(w: ClientWorkloadSpec): ClientWorkload {
  const parts: string[] = [];
  for (let n = 0; n < w.events - (w.done ? 1 : 0); n++) parts.push(w.frame(n));
  if (w.done) parts.push(DONE_FRAME);
  const writes =
    w.pattern === 'per-event' ? parts.map((p) => Buffer.from(p))
    // Each event its own HTTP/1.1 chunk, framed here and sent in 64 KiB socket writes (chunkedFrames).
    : w.pattern === 'per-write' ? fixedChunks(chunkedFrames(parts.map((p) => Buffer.from(p))), 64 * 1024)
    : w.pattern === 'tiny-chunks' ? fixedChunks(chunkedFrames(randomChunks(Buffer.from(parts.join('')), 1, 16, 0x5e5e)), 64 * 1024)
    : fixedChunks(Buffer.from(parts.join('')), 64 * 1024);
  return { id: w.id, name: w.name, pattern: w.pattern, events: w.events, writes, bytes: writes.reduce((n, x) => n + x.length, 0) };
}

/**
 * The body of a chunked HTTP/1.1 response with one chunk per frame (`<size in hex> CRLF <frame>
 * CRLF`), as a server that writes every event (or piece) separately puts it on the wire: the
 * client's HTTP parser hands each chunk on by itself, so its event-stream parser gets one per read.
 */
export function chunkedFrames(pieces: readonly Buffer[]): Buffer {
  return Buffer.concat(pieces.flatMap((bytes) => [Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]));
}

/** `bulkEvents` events in each 64 KiB-write stream, `perEventEvents` in each paced one-event-per-write stream. */
export function clientWorkloads(bulkEvents = 100_000, perEventEvents = 20_000): ClientWorkloadSpec[] {
  return [
    spec('tokens-bulk', 'LLM tokens, 64 KiB writes', 'bulk', frames.asciiTokens, bulkEvents, true),
    spec('small-bulk', 'small events, 64 KiB writes', 'bulk', frames.small, bulkEvents, false),
    spec('chat-bulk', 'CJK chat, 64 KiB writes', 'bulk', frames.chat, bulkEvents, false),
    spec('mixed-bulk', 'mixed-script multi-line, 64 KiB writes', 'bulk', frames.mixedMultiLine, bulkEvents / 4, false),
    spec('tokens-per-event', 'LLM tokens, one event per write', 'per-event', frames.asciiTokens, perEventEvents, true),
    spec('tokens-non-ascii-per-event', 'LLM tokens non-ASCII, one event per write', 'per-event', frames.nonAsciiTokens, perEventEvents, true),
    spec('tokens-per-write', 'LLM tokens, one event per write, unpaced', 'per-write', frames.asciiTokens, bulkEvents, true),
    spec('tokens-non-ascii-per-write', 'LLM tokens non-ASCII, one event per write, unpaced', 'per-write', frames.nonAsciiTokens, bulkEvents, true),
    // Half the bulk count: a round of 20,000 tiny-chunk events lasted ~0.1 s, too short for steady ratios.
    spec('tokens-non-ascii-tiny', 'LLM tokens non-ASCII, 1-16 B chunks, unpaced', 'tiny-chunks', frames.nonAsciiTokens, bulkEvents / 2, true),
    spec('chat-tiny', 'CJK chat, 1-16 B chunks, unpaced', 'tiny-chunks', frames.chat, bulkEvents / 2, false),
  ];
}
