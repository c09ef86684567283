import { describe, expect, it } from 'vitest';
import { createParser, parseStream, SseParseError, type SseEvent } from './parser.ts';

const bytes = (...parts: (string | number[])[]): Uint8Array[] =>
  parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : new Uint8Array(p)));

describe('reference parser', () => {
  it('dispatches on blank lines with every line ending (PARSE-CRLF/LF/CR-LINE-END)', () => {
    const r = parseStream(['data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\n\r']);
    expect(r.events.map((e) => e.data)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('treats CR at a chunk end plus LF in the next chunk as one terminator (PARSE-CRLF-SPLIT-CHUNK)', () => {
    const r = parseStream(bytes('data: a\r', '\n', 'data: b\r', '\n\r', '\n'));
    expect(r.events).toEqual([{ type: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  it('strips one BOM split across chunks and after empty chunks, and only the first (PARSE-BOM)', () => {
    const r = parseStream(bytes([], [0xef], [0xbb], [0xbf], 'data: x\n\n\uFEFFdata: y\n\n'));
    expect(r.events.map((e) => e.data)).toEqual(['x']);
  });

  it('decodes invalid UTF-8 with replacement and multibyte characters split across chunks (PARSE-UTF8-DECODE)', () => {
    const r = parseStream(bytes('data: ', [0xe2, 0x82], [0xac, 0xff], '\n\n'));
    expect(r.events[0]?.data).toBe('\u20ac\ufffd');
  });

  it('keeps the id across events, resets on empty id, ignores NUL ids (FIELD-ID-*)', () => {
    const r = parseStream(['id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n']);
    expect(r.events.map((e) => e.lastEventId)).toEqual(['1', '1', '1', '']);
  });

  it('applies retry when its line is processed, digits only (RETRY-*)', () => {
    const r = parseStream(['retry: 03000\nretry: 1e3\nretry: -1\nretry:\nretry: 12\ndata: cut']);
    expect(r.retries).toEqual([3000, 12]);
    expect(r.events).toEqual([]);
  });

  it('discards the incomplete event at EOF and does not leak its id (PARSE-EOF-DISCARD, LASTID-NOT-FROM-INCOMPLETE-EVENT)', () => {
    const r = parseStream(['id: 1\ndata: a\n\nid: 2\ndata: b\n']);
    expect(r.events).toHaveLength(1);
    expect(r.lastEventId).toBe('1');
  });

  it('seeds a reconnected stream from the last event ID string (LASTID-PERSISTS-ACROSS-RECONNECT)', () => {
    const events: SseEvent[] = [];
    const p = createParser({ onEvent: (e) => events.push(e) }, { initialLastEventId: 'seed' });
    p.feed('data: a\n\nid: 9\ndata: cut\n');
    p.end();
    p.feed('data: b\n\n');
    expect(events.map((e) => e.lastEventId)).toEqual(['seed', 'seed']);
  });

  it('counts a CR at the very end of the body as a terminator (PARSE-CR-AT-EOF)', () => {
    expect(parseStream(['data: a\r\r']).events).toHaveLength(1);
  });

  it('reports an over-long line only when asked, and recovers at the next terminator', () => {
    const errors: SseParseError[] = [];
    const events: SseEvent[] = [];
    const p = createParser({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) }, { maxLineLength: 8 });
    p.feed('data: 0123');
    p.feed('456789\ndata: ok\n\n');
    expect(errors.map((e) => e.code)).toEqual(['SSEC_ERR_LINE_TOO_LONG']);
    expect(events.map((e) => e.data)).toEqual(['ok']);
    const q = createParser({ onEvent: () => {} }, { maxLineLength: 4 });
    expect(() => q.feed('data: long\n')).toThrow(SseParseError);
  });

  it('measures a pending line in decoded UTF-16 units: BOM not counted, unfinished sequences not guessed', () => {
    const errorsFor = (limit: number, ...chunks: (string | number[])[]): number => {
      let errors = 0;
      const p = createParser({ onEvent: () => {}, onError: () => errors++ }, { maxLineLength: limit });
      for (const chunk of bytes(...chunks)) p.feed(chunk);
      p.end();
      return errors;
    };
    // The stream's BOM is stripped before the line is measured (7 bytes pending, 4 units).
    expect(errorsFor(4, [0xef, 0xbb, 0xbf, 0x64, 0x61, 0x74, 0x61], '\n\n')).toBe(0);
    expect(errorsFor(4, [0xef, 0xbb, 0xbf, 0x64, 0x61, 0x74, 0x61, 0x78], '\n\n')).toBe(1);
    // "a€" is 2 units; its € arrives cut after two of its three bytes.
    expect(errorsFor(2, [0x61, 0xe2, 0x82], [0xac], '\n')).toBe(0);
    expect(errorsFor(2, [0x61, 0xe2, 0x82], [0xac], 'b\n')).toBe(1);
    // An astral character is 2 units.
    expect(errorsFor(2, [0x61, 0xf0, 0x9f, 0x98], [0x80], '\n')).toBe(1);
    // A CR followed by more bytes in its chunk is a whole terminator: the LF that starts the next chunk ends the discarded line.
    expect(errorsFor(1, 'data\r: c', '\n: c\n')).toBe(3);
    // At the end of the body an unfinished sequence is one U+FFFD, and the dropped line is still reported.
    expect(errorsFor(2, [0x61, 0x62, 0xe2, 0x82])).toBe(1);
    expect(errorsFor(3, [0x61, 0x62, 0xe2, 0x82])).toBe(0);
  });

  it('refuses feed() and end() from inside its callbacks, and stays usable after a callback throws', () => {
    const seen: string[] = [];
    let inner: unknown;
    const p = createParser({
      onEvent: (e) => {
        seen.push(e.data);
        if (e.data === 'reenter') {
          try {
            p.feed('data: nested\n\n');
          } catch (error) {
            inner = error;
          }
        }
        if (e.data === 'boom') throw new Error('handler failed');
      },
    });
    p.feed('data: reenter\n\n');
    expect(inner).toBeInstanceOf(TypeError);
    expect(String(inner)).toMatch(/inside a parser callback/);
    expect(() => p.feed('data: boom\n\n')).toThrow('handler failed');
    p.feed('data: after\n\n');
    expect(seen).toEqual(['reenter', 'boom', 'after']);
  });

  it('rejects bad arguments with a clear message', () => {
    expect(() => createParser({ onEvent: () => {} }, { maxLineLength: 0 })).toThrow(/maxLineLength/);
    const p = createParser({ onEvent: () => {} });
    expect(() => p.feed(42 as unknown as string)).toThrow(/Uint8Array or a string/);
  });
});
