import { describe, expect, it } from 'vitest';
import { loadVectors, vectorBytes } from '../fixtures/vectors/load.ts';
import { naiveParse } from './naive-parser.ts';

// The differential oracle must itself be right: it passes every parser vector (whole body; it
// has no streaming API, so the chunked runs are the streaming parser's business).
describe('naive parser', () => {
  it.each(loadVectors().map((v) => [v.id, v] as const))('passes %s', (_id, vector) => {
    const result = naiveParse(vectorBytes(vector), vector.initialLastEventId);
    expect(result.events).toEqual(vector.events);
    expect(result.lastEventId).toBe(vector.lastEventId);
    if (vector.retries !== undefined) expect(result.retries).toEqual(vector.retries);
    expect(result.retries.at(-1) ?? null).toBe(vector.retry);
  });
});
