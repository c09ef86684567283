import { describe, expect, it } from 'vitest';
import { adversarialChunks, eventTypesIn } from './wire-vectors.ts';
import { vectorBytes, type Vector } from '../../fixtures/vectors/load.ts';

const bytesOf = (chunks: ReturnType<typeof adversarialChunks>) => chunks.map((c) => Buffer.from(c.hex!, 'hex').toString('latin1'));

describe('adversarial chunking of vectors', () => {
  it('splits after every CR and inside every multi-byte character, never sends an empty chunk', () => {
    const body = new Uint8Array(Buffer.from('\ufeffdata: \u00e9\r\n\r\n', 'utf8'));
    const chunks = adversarialChunks(body, [0, 3, 3, body.length]);
    expect(chunks.every((c) => c.hex!.length > 0)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => Buffer.from(c.hex!, 'hex')))).toEqual(Buffer.from(body));
    expect(bytesOf(chunks)).toEqual(['\xef', '\xbb\xbf', 'data: \xc3', '\xa9\r', '\n\r', '\n']);
    // The LF of a split CRLF waits long enough to arrive as its own read.
    expect(chunks.map((c) => c.delayMs)).toEqual([0, 3, 3, 3, 150, 150]);
  });
});

describe('event types a vector needs listened for', () => {
  const vector = (text: string, types: string[]): Vector => ({ id: 't', description: '', requirements: [], text, events: types.map((type) => ({ type, data: 'x', lastEventId: '' })), retry: null, retries: [], lastEventId: '' });
  const typesOf = (v: Vector) => eventTypesIn(v, vectorBytes(v));

  it('the right type, and the ways clients mangle it (NUL dropped, trimmed, the space after the colon kept), so a mangled dispatch is seen', () => {
    expect(typesOf(vector('event: a\0b\ndata: x\n\n', ['a\0b']))).toEqual(['a\0b', 'ab', ' a\0b']);
    expect(typesOf(vector('event:  pad \ndata: x\n\n', [' pad ']))).toEqual([' pad ', 'pad', '  pad ']);
  });

  it('types a wrong parser could produce from the bytes, and never "message" (always listened for)', () => {
    // No data, no event (DISPATCH-EMPTY-DATA-SKIPPED): a client that dispatches one anyway is heard.
    expect(typesOf(vector('event: b\n\n', []))).toEqual(['b', ' b']);
    expect(typesOf(vector('event: message\ndata: x\n\n', ['message']))).toEqual([' message']);
  });
});
