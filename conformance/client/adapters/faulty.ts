// A deliberately faulty client, for proving the harness: our reference EventSource behind a lying
// fetch that injects five classic bugs. In npm test it must fail exactly the scenarios covering
// these rules, while the reference client passes them all:
//   1. reconnects early: every `retry: N` reaches the client as N/10;
//   2. ignores Last-Event-ID: the header is never sent;
//   3. retries after 401: a 401 is turned into a network error (so the client reconnects);
//   4. treats a CRLF split across chunks as two lines: an LF that starts a chunk right after a CR
//      that ended the previous one is doubled (an extra blank line);
//   5. keeps an empty id: `id` lines with an empty value are dropped.
// With SSEC_FAULTY=no-colon in its environment it plants one other bug instead, and only that one
// (the `eventsource` package before 3.x, whose line parser only handles a field when the line has a
// colon: EventSource/eventsource lib/eventsource.js, parseEventStreamLine, `else if (fieldLength > 0)`):
// a field line without a colon (`id`, `data`, `event`) is ignored, while the same field with a colon works. A bare `retry` is left alone: ignoring it is
// what the spec asks anyway (an empty value is not digits).
// `--exec "node --import tsx conformance/client/adapters/faulty.ts"`.
import { fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../../../reference/client.ts';
import { runAdapter } from './run-adapter.ts';

function shortenRetries(text: string): string {
  return text.replace(/(^|[\r\n])retry: ?(\d+)(?=[\r\n])/g, (_m, start: string, n: string) => `${start}retry: ${Math.floor(Number(n) / 10)}`);
}

function dropEmptyIds(text: string): string {
  // Remove whole lines "id" / "id:" / "id: " including their terminator.
  return text.replace(/(^|\r\n|\r|\n)id:? ?(\r\n|\r|\n)/g, '$1');
}

function dropNoColonFields(text: string): string {
  // Whole lines "id" / "data" / "event" with their terminator; "id:" and friends stay.
  return text.replace(/(?<=^|[\r\n])(?:id|data|event)(?:\r\n|\r|\n)/g, '');
}

/**
 * The response with every body chunk passed through `rewrite`. Pull-based (not pipeThrough), so a
 * reset of the source errors this stream at once.
 */
function rewrittenResponse(response: Response, rewrite: (chunk: Uint8Array) => Uint8Array): Response {
  if (!response.body) return response;
  const source = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await source.read();
      } catch (error) {
        controller.error(error);
        return;
      }
      if (next.done) controller.close();
      else controller.enqueue(rewrite(next.value));
    },
    cancel(reason) {
      return source.cancel(reason);
    },
  });
  const faulty = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(faulty, 'url', { value: response.url });
  return faulty;
}

/** A chunk rewriter for whole-line text faults (scenarios send the lines each fault touches inside one chunk). */
function textRewriter(rewrite: (text: string) => string): (bytes: Uint8Array) => Uint8Array {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const encoder = new TextEncoder();
  return (bytes) => {
    const text = decoder.decode(bytes, { stream: true });
    const rewritten = rewrite(text);
    return rewritten === text ? bytes : encoder.encode(rewritten);
  };
}

/** The no-colon bug alone: everything else (headers, statuses, chunking) passes through untouched. */
const noColonFetch: FetchLike = async (input, init) => {
  const response = await (undiciFetch as unknown as FetchLike)(input, init);
  return rewrittenResponse(response, textRewriter(dropNoColonFields));
};

const faultyFetch: FetchLike = async (input, init) => {
  const headers = { ...init.headers };
  delete headers['Last-Event-ID']; // fault 2
  const response = await (undiciFetch as unknown as FetchLike)(input, { ...init, headers });
  if (response.status === 401) {
    await response.body?.cancel();
    throw new TypeError('faulty: 401 treated as a network error'); // fault 3
  }
  const rewriteLines = textRewriter((text) => dropEmptyIds(shortenRetries(text))); // faults 1 and 5
  let previousEndedWithCR = false;
  return rewrittenResponse(response, (chunk) => {
    let bytes = chunk;
    if (previousEndedWithCR && bytes[0] === 0x0a) bytes = new Uint8Array([0x0a, ...bytes]); // fault 4
    if (bytes.length) previousEndedWithCR = bytes[bytes.length - 1] === 0x0d;
    return rewriteLines(bytes);
  });
};

if (process.env['SSEC_FAULTY'] === 'no-colon') runAdapter('faulty client (no-colon field lines ignored)', () => noColonFetch);
else runAdapter('faulty client (deliberate bugs)', () => faultyFetch);
