import { describe, expect, it } from 'vitest';
import { adversarialChunks } from './wire-vectors.ts';

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
