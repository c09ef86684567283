/**
 * Property-based suite for the parser and encoder. Every run prints its fast-check seed;
 * replay a failure exactly with `SSEC_SEED=<seed> npx vitest run reference/parser.property.test.ts`
 * (fast-check also prints the shrunk counterexample and its path).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testSeed } from '../scripts/test-seed.ts';
import {
  base64ToBytes, bytesToBase64, decodeBinaryEvent, encodeBinaryEvent, encodeComment, encodeEvent, isBase64, SseEncodeError,
  type EncodableEvent, type EncodeOptions,
} from './encoder.ts';
import { naiveParse } from './naive-parser.ts';
import { unfinishedSequenceLength } from './utf8-decoder.ts';
import { createParser, parseStream, type ParseResult, type SseEvent } from './parser.ts';

const seed = testSeed('reference/parser.property.test.ts');
const encoder = new TextEncoder();

/** Cuts `bytes` at split points drawn as arbitrary naturals (mapped into range, sorted; repeats = empty chunks). */
function cut(bytes: Uint8Array, rawPoints: readonly number[]): Uint8Array[] {
  const points = rawPoints.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const splitPoints = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 16 });

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// Any Unicode text (astral included), with every kind of newline mixed in.
const anyText = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 6 }) },
    { weight: 2, arbitrary: fc.constantFrom('\n', '\r', '\r\n', '\n\r', '\r\r\n') },
    { weight: 1, arbitrary: fc.constantFrom(' ', ':', '\u0000', '\ufeff', '\u0085', '\u2028', '\u2029', 'data: x', '') },
  ),
  { maxLength: 8 },
).map((parts) => parts.join(''));

const noCrLf = (s: string) => s.replace(/[\r\n]/g, '');
const eventArb: fc.Arbitrary<EncodableEvent> = fc.record(
  {
    data: anyText,
    event: fc.oneof(fc.constant(''), fc.constantFrom('message', 'user-joined', 'error', ' spaced '), anyText.map(noCrLf)),
    id: fc.oneof(fc.constantFrom('', '1', '\u2026'), anyText.map((s) => noCrLf(s).replace(/\u0000/g, ''))),
    retry: fc.nat({ max: 2 ** 31 }),
    comment: anyText,
  },
  { requiredKeys: [] },
);
const optionsArb: fc.Arbitrary<EncodeOptions> = fc.record({
  lineEnding: fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const),
  spaceAfterColon: fc.boolean(),
});

/** What a conforming client must see for these events (the spec's rules, stated independently). */
function expectedFor(events: readonly EncodableEvent[]): { events: SseEvent[]; retries: number[]; lastEventId: string } {
  let lastEventId = '';
  const out: SseEvent[] = [];
  const retries: number[] = [];
  for (const e of events) {
    if (e.retry !== undefined) retries.push(e.retry);
    if (e.id !== undefined) lastEventId = e.id;
    // The encoder writes one `data:` line per line: newlines of every kind arrive as LF (SRV-DATA-MULTILINE).
    if (e.data !== undefined) out.push({ type: e.event ? e.event : 'message', data: e.data.replace(/\r\n|\r/g, '\n'), lastEventId });
  }
  return { events: out, retries, lastEventId };
}

/** Everything but comments (which the naive parser does not report). */
const essentials = (r: ParseResult) => ({ events: r.events, retries: r.retries, lastEventId: r.lastEventId });

// Byte soup biased towards the parser's interesting tokens, plus invalid UTF-8.
const soupToken = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('data', 'id', 'event', 'retry', ':', ' ', '\r', '\n', '\r\n', '\n\n', 'x', '1', '0', '\u0000', '\ufeff', '\u00e9', '\ud83d\ude00', '\u2028', '\u0085', 'data: ', 'id: ', 'retry: ').map((s) => encoder.encode(s)) },
  { weight: 3, arbitrary: fc.constantFrom('data: a\r\n', 'data:b\r', 'data\n', 'event: t\n', 'id: 7\r\n', 'retry: 15\r', ': c\n').map((s) => encoder.encode(s)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 4 }).map((s) => encoder.encode(s)) },
  { weight: 2, arbitrary: fc.constantFrom([0xef, 0xbb, 0xbf], [0xff], [0xe2, 0x82], [0xe2], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0x80], [0xc3, 0xaf, 0xc2, 0xbb, 0xc2, 0xbf]).map((b) => Uint8Array.from(b)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) },
);
const soup = fc.array(soupToken, { maxLength: 40 }).map(concat);

describe('parser properties (seeded; replay with SSEC_SEED)', () => {
  it('encode → chunk arbitrarily → parse is the identity for arbitrary events', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 6 }), optionsArb, fc.boolean(), splitPoints, (events, options, bom, points) => {
        const text = (bom ? '\ufeff' : '') + events.map((e) => encodeEvent(e, options) + (e.comment ? encodeComment(e.comment, options) : '')).join('');
        const result = parseStream(cut(encoder.encode(text), points));
        expect(essentials(result)).toEqual(expectedFor(events));
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('never depends on how the bytes are chunked (arbitrary bytes, empty chunks included)', () => {
    fc.assert(
      fc.property(soup, splitPoints, fc.string({ maxLength: 4 }), (bytes, points, initialLastEventId) => {
        const whole = parseStream([bytes], { initialLastEventId });
        expect(parseStream(cut(bytes, points), { initialLastEventId })).toEqual(whole);
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('gives the same result for the decoded text fed as strings, split anywhere (even inside surrogate pairs)', () => {
    fc.assert(
      fc.property(soup, splitPoints, (bytes, points) => {
        // The byte path strips one leading EF BB BF; the string path strips one leading U+FEFF.
        const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
        const cuts = points.map((p) => p % (text.length + 1)).sort((a, b) => a - b);
        const pieces: string[] = [];
        let start = 0;
        for (const c of cuts) {
          pieces.push(text.slice(start, c));
          start = c;
        }
        pieces.push(text.slice(start));
        expect(parseStream(pieces)).toEqual(parseStream([bytes]));
      }),
      { seed, numRuns: 600 },
    );
  });

  it('never throws on arbitrary bytes, and garbage followed by "\\n\\n" does not corrupt the next event', () => {
    fc.assert(
      fc.property(fc.oneof(soup, fc.uint8Array({ maxLength: 64 })), splitPoints, (garbage, points) => {
        // After two LFs the parser is at the start of a line with empty data and type buffers,
        // whatever came before: a CR at the end of the garbage pairs with the first LF, and an
        // incomplete UTF-8 sequence becomes U+FFFD without swallowing the LF. What the garbage
        // itself dispatched is unknowable; the known event after it must arrive intact.
        const known = encoder.encode('event: probe\nid: k-1\ndata: after\ndata: garbage\nretry: 4242\n\n');
        const bytes = concat([garbage, encoder.encode('\n\n'), known]);
        let result: ParseResult | undefined;
        expect(() => {
          result = parseStream(cut(bytes, points));
        }).not.toThrow();
        expect(result!.events.at(-1)).toEqual({ type: 'probe', data: 'after\ngarbage', lastEventId: 'k-1' });
        expect(result!.retries.at(-1)).toBe(4242);
        expect(result!.lastEventId).toBe('k-1');
      }),
      { seed, numRuns: 600 },
    );
  });

  it('agrees with the naive line-by-line parser written from the spec prose', () => {
    fc.assert(
      fc.property(soup, splitPoints, fc.oneof(fc.constant(''), fc.string({ maxLength: 4 })), (bytes, points, initialLastEventId) => {
        const streaming = parseStream(cut(bytes, points), { initialLastEventId });
        expect(essentials(streaming)).toEqual(naiveParse(bytes, initialLastEventId));
      }),
      { seed, numRuns: 1500 },
    );
  });

  it('agrees with the naive parser on encoder output too (well-formed streams with random line endings)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 5 }), optionsArb, splitPoints, (events, options, points) => {
        const bytes = encoder.encode(events.map((e) => encodeEvent(e, options)).join(''));
        expect(essentials(parseStream(cut(bytes, points)))).toEqual(naiveParse(bytes));
      }),
      { seed, numRuns: 200 },
    );
  });
});

// Long runs for the parser's large-read and long-line paths (reads over 1 KiB, lines over 16 KiB
// bytes), made of characters of every UTF-8 length so that cuts land inside sequences.
const longRun = fc
  .tuple(fc.constantFrom('x', '\u00e9', '\u20ac', '\ud83d\ude00', '\ufeff'), fc.integer({ min: 300, max: 9000 }))
  .map(([char, count]) => encoder.encode(char.repeat(count)));
const longSoup = fc
  .array(fc.oneof({ weight: 4, arbitrary: soupToken }, { weight: 1, arbitrary: longRun }), { maxLength: 24 })
  .map(concat);
/** Split points biased to produce reads of every size, from single bytes to tens of KiB. */
const longSplitPoints = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 40 });

/**
 * The maxLineLength model, from the option's contract: a line (decoded, BOM stripped, terminator
 * excluded) longer than the limit is reported once and dropped with its terminator; the stream
 * is otherwise parsed as if the line were not there. An unterminated last line is reported too.
 */
function limitModel(bytes: Uint8Array, limit: number): { errors: number; result: ReturnType<typeof naiveParse> } {
  const text = new TextDecoder('utf-8').decode(bytes);
  const lines = text.split(/\r\n|\r|\n/);
  const tail = lines.pop()!;
  const kept = lines.filter((line) => line.length <= limit);
  const errors = lines.length - kept.length + (tail.length > limit ? 1 : 0);
  // A BOM in front: the naive parser strips exactly one, so a U+FEFF that starts the first kept line stays.
  const body = encoder.encode('\ufeff' + kept.map((line) => line + '\n').join(''));
  return { errors, result: naiveParse(body) };
}

/** Comment lines (first character a colon) that the bytes complete, BOM stripped. */
function countComments(bytes: Uint8Array): number {
  const lines = new TextDecoder('utf-8').decode(bytes).split(/\r\n|\r|\n/);
  lines.pop(); // unterminated
  return lines.filter((line) => line.startsWith(':')).length;
}

describe('parser properties on long lines and large reads (seeded)', () => {
  it('agrees with the naive parser on streams with long lines, at any chunking', () => {
    fc.assert(
      fc.property(longSoup, longSplitPoints, (bytes, points) => {
        expect(essentials(parseStream(cut(bytes, points)))).toEqual(naiveParse(bytes));
      }),
      { seed, numRuns: 150 },
    );
  });

  it('gives the same result when chunks that start and end between characters are fed as text instead', () => {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    fc.assert(
      fc.property(longSoup, longSplitPoints, fc.array(fc.boolean(), { maxLength: 41 }), (bytes, points, asText) => {
        const between = (offset: number) => unfinishedSequenceLength(bytes, offset) === 0;
        let offset = 0;
        const mixed = cut(bytes, points).map((chunk, i) => {
          const start = offset;
          offset += chunk.length;
          return asText[i] === true && between(start) && between(offset) ? decoder.decode(chunk) : chunk;
        });
        expect(parseStream(mixed)).toEqual(parseStream([bytes]));
      }),
      { seed, numRuns: 150 },
    );
  });

  it('dispatches every event, retry and comment in the feed() call that completes its line, never later', () => {
    fc.assert(
      fc.property(fc.oneof(soup, longSoup), longSplitPoints, (bytes, points) => {
        const events: SseEvent[] = [];
        const retries: number[] = [];
        const comments: string[] = [];
        const parser = createParser({ onEvent: (e) => events.push(e), onRetry: (r) => retries.push(r), onComment: (c) => comments.push(c) });
        let fed = 0;
        for (const chunk of cut(bytes, points)) {
          parser.feed(chunk);
          fed += chunk.length;
          // What the bytes so far complete: the naive parser on the prefix (its unterminated tail is dropped as at EOF).
          const prefix = naiveParse(bytes.subarray(0, fed));
          expect(events).toEqual(prefix.events);
          expect(retries).toEqual(prefix.retries);
          expect(parser.lastEventId).toBe(prefix.lastEventId);
          expect(comments.length).toBe(countComments(bytes.subarray(0, fed)));
        }
      }),
      { seed, numRuns: 150 },
    );
  });

  it('maxLineLength drops exactly the over-long lines and reports each once, at any chunking', () => {
    fc.assert(
      fc.property(
        fc.oneof(soup, longSoup),
        splitPoints,
        fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 200, max: 20000 })),
        (bytes, points, limit) => {
          let errors = 0;
          const events: SseEvent[] = [];
          const retries: number[] = [];
          const parser = createParser(
            { onEvent: (e) => events.push(e), onRetry: (r) => retries.push(r), onError: () => errors++ },
            { maxLineLength: limit },
          );
          for (const chunk of cut(bytes, points)) parser.feed(chunk);
          parser.end();
          const model = limitModel(bytes, limit);
          expect({ events, retries, lastEventId: parser.lastEventId }).toEqual(model.result);
          expect(errors).toBe(model.errors);
        },
      ),
      { seed, numRuns: 1000 },
    );
  });
});

describe('encoder refusals (seeded)', () => {
  it('refuses ids with CR, LF or NUL, event types with CR or LF, and retry values that are not non-negative integers', () => {
    const withBad = (bad: fc.Arbitrary<string>) => fc.tuple(fc.string({ maxLength: 5 }), bad, fc.string({ maxLength: 5 })).map(([a, b, c]) => a + b + c);
    fc.assert(
      fc.property(
        fc.oneof(
          withBad(fc.constantFrom('\r', '\n', '\u0000')).map((id): EncodableEvent => ({ id, data: 'x' })),
          withBad(fc.constantFrom('\r', '\n')).map((event): EncodableEvent => ({ event, data: 'x' })),
          fc.oneof(fc.integer({ max: -1 }), fc.double({ noNaN: false }).filter((n) => !Number.isSafeInteger(n) || n < 0)).map((retry): EncodableEvent => ({ retry })),
        ),
        (event) => {
          expect(() => encodeEvent(event)).toThrow(SseEncodeError);
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

describe('Base64 helper properties (seeded)', () => {
  it('round-trips arbitrary bytes, and the text is canonical', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(isBase64(text)).toBe(true);
        expect(base64ToBytes(text)).toEqual(bytes);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('round-trips binary payloads through an event and the parser, at any chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), splitPoints, (bytes, points) => {
        const frame = encodeBinaryEvent(bytes, { event: 'blob', id: 'b' });
        const [event] = parseStream(cut(encoder.encode(frame), points)).events;
        expect(event?.type).toBe('blob');
        expect(decodeBinaryEvent(event!)).toEqual(bytes);
      }),
      { seed, numRuns: 200 },
    );
  });

  it('rejects non-canonical Base64 with SseEncodeError', () => {
    const corruptions: ((text: string) => string | undefined)[] = [
      (t) => `${t} `, // whitespace
      (t) => `\n${t}`,
      (t) => (t.endsWith('=') ? t.replace(/=+$/, '') : undefined), // padding removed
      (t) => (t.length > 0 ? `${t}=` : undefined), // extra padding
      (t) => (t.length > 0 ? `${t.slice(0, -1)}*` : undefined), // character outside the alphabet
      (t) => (/[+/]/.test(t) ? t.replace(/\+/g, '-').replace(/\//g, '_') : undefined), // URL-safe alphabet
      (t) => (t.length > 0 ? t.slice(0, -1) : undefined), // truncated
      (t) => {
        // Non-zero unused bits in the last group: `AB==` decodes like `AA==` but is not canonical.
        const m = /([A-Za-z0-9+/])(=+)$/.exec(t);
        if (!m) return undefined;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const index = alphabet.indexOf(m[1]!);
        const mask = m[2]!.length === 2 ? 0b1111 : 0b11;
        if ((index & mask) === mask) return undefined;
        return t.slice(0, m.index) + alphabet[index | mask]! + m[2]!;
      },
    ];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.nat({ max: corruptions.length - 1 }), (bytes, which) => {
        const bad = corruptions[which]!(bytesToBase64(bytes));
        fc.pre(bad !== undefined);
        expect(isBase64(bad!)).toBe(false);
        expect(() => base64ToBytes(bad!)).toThrow(SseEncodeError);
      }),
      { seed, numRuns: 300 },
    );
  });
});

// Issue 11: non-ASCII streams on the parser's paths for them. Long pieces (1 KiB and more) are
// decoded by transcoding, short ones by V8's decoder; every read size from one byte per read to
// whole-body reads, and one event per read, with cuts falling inside multi-byte sequences.
const NON_ASCII_LINES = ['今天的会议改到下午三点，请大家准时参加。', 'Crème brûlée, naïve façade', 'Съешь же ещё этих булок', 'status ✅ deploy 🚀🎉', '日本語とEnglish', '{"delta":{"content":"你好"}}'];
function nonAsciiBody(events: number, longEvery: number): Uint8Array {
  let text = '';
  for (let n = 0; n < events; n++) {
    const line = NON_ASCII_LINES[n % NON_ASCII_LINES.length]!;
    if (n % 5 === 0) text += `id: 编号${n}\n`;
    if (n % 7 === 0) text += `event: 更新\r\n`;
    text += `data: ${n} ${line}\n`;
    if (n % 3 === 0) text += `data: ${line}${line}\r`;
    if (longEvery > 0 && n % longEvery === 0) text += `data: ${'长行🚀é'.repeat(200)}\n`;
    text += n % 4 === 0 ? '\r\n' : '\n';
  }
  return encoder.encode(text + 'data: [DONE]\n\n');
}

describe('non-ASCII text cut inside multi-byte sequences (issue 11 fast paths)', () => {
  const body = nonAsciiBody(20, 9);
  const expected = naiveParse(body);
  const inside: number[] = [];
  for (let p = 1; p < body.length; p++) if ((body[p]! & 0xc0) === 0x80) inside.push(p);

  it('gives the naive parser\'s events for a cut at every byte inside a sequence (two reads, and one byte read around the cut)', () => {
    expect(body.length).toBeGreaterThan(4096);
    expect(inside.length).toBeGreaterThan(2000);
    // Compared as JSON text: thousands of deep comparisons would take most of the time.
    const want = JSON.stringify(expected);
    for (const p of inside) {
      const two = JSON.stringify(essentials(parseStream([body.subarray(0, p), body.subarray(p)])));
      if (two !== want) expect(two, `cut at ${p}`).toBe(want);
      const four = JSON.stringify(essentials(parseStream([body.subarray(0, p - 1), body.subarray(p - 1, p), body.subarray(p, p + 1), body.subarray(p + 1)])));
      if (four !== want) expect(four, `one-byte reads around ${p}`).toBe(want);
    }
  });

  it('gives the same events for one event per read and for reads of 1-16 bytes, cuts landing inside sequences', () => {
    // One event per read: cut after every blank line.
    const text = new TextDecoder().decode(body);
    const perEvent = text.split(/(?<=\n\n|\r\n\r\n|\n\r\n|\r\r\n)/).map((t) => encoder.encode(t));
    expect(perEvent.length).toBeGreaterThan(15);
    expect(essentials(parseStream(perEvent))).toEqual(expected);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 64 }), (sizes) => {
        const chunks: Uint8Array[] = [];
        for (let start = 0, i = 0; start < body.length; i++) {
          const size = sizes[i % sizes.length]!;
          chunks.push(body.subarray(start, start + size));
          start += size;
        }
        expect(essentials(parseStream(chunks))).toEqual(expected);
      }),
      { seed, numRuns: 100 },
    );
  });

  it('agrees with the naive parser on non-ASCII bodies with invalid bytes spliced in, at any chunking', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xff)), { maxLength: 8 }), longSplitPoints, (events, junk, points) => {
        const clean = nonAsciiBody(events, 4);
        const bytes = new Uint8Array(clean.length + junk.length);
        let from = 0;
        let to = 0;
        for (const [at, byte] of [...junk].sort((a, b) => (a[0] % clean.length) - (b[0] % clean.length))) {
          const p = at % clean.length;
          bytes.set(clean.subarray(from, p), to);
          to += p - from;
          from = p;
          bytes[to++] = byte;
        }
        bytes.set(clean.subarray(from), to);
        expect(essentials(parseStream(cut(bytes, points)))).toEqual(naiveParse(bytes));
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe('one event per read: the single data event fast path (issue 11)', () => {
  // Reads shaped like token-stream events, and reads that only look like them (a CR or LF inside,
  // no space, invalid or truncated UTF-8, an empty value), mixed with other reads that leave state
  // behind: an id, an event type, a pending data line, a BOM at the start, a half line.
  const valueBytes = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }).map((t) => encoder.encode(t)),
    fc.constantFrom('你好', '{"delta":{"content":" café"}}', '[DONE]', '', 'a\rb', 'a\nb', '\r', '🚀').map((t) => encoder.encode(t)),
    fc.uint8Array({ maxLength: 8 }),
  );
  const tokenRead = fc.tuple(fc.boolean(), valueBytes).map(([space, value]) => concat([encoder.encode(space ? 'data: ' : 'data:'), value, encoder.encode('\n\n')]));
  const otherRead = fc.constantFrom('id: 7\n', 'event: delta\n', 'data: held\n', 'data: half', '\n', '\ufeffdata: x\n\n', 'retry: 5\n', ': c\n', 'id\n').map((t) => encoder.encode(t));
  it('gives the naive parser\'s events for any mix of such reads', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 3, arbitrary: tokenRead }, { weight: 1, arbitrary: otherRead }), { maxLength: 12 }), (reads) => {
        const body = concat(reads);
        expect(essentials(parseStream(reads))).toEqual(naiveParse(body));
      }),
      { seed, numRuns: 3000 },
    );
  });
});
