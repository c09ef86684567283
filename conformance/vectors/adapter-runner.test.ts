import { describe, expect, it } from 'vitest';
import { loadVectors } from '../../fixtures/vectors/load.ts';
import { adapterRequest, compareAnswer, readAnswer } from './adapter-runner.ts';

const vector = loadVectors().find((v) => v.id === 'retry.several-values')!;

describe('adapter protocol', () => {
  it('builds one request line with Base64 chunks and the initial id', () => {
    const chunked = loadVectors().find((v) => v.id === 'bom.bom-split-1-1-1')!;
    const line = adapterRequest(chunked);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({ id: 'bom.bom-split-1-1-1', chunks: ['7w==', 'uw==', 'vw==', 'ZGF0YTogYQoK'], initialLastEventId: '' });
  });

  it('accepts a full answer and compares every part', () => {
    const read = readAnswer(JSON.stringify({ id: vector.id, events: [], retries: [1, 2, 3], lastEventId: '' }), vector.id);
    expect('answer' in read && compareAnswer(vector, read.answer)).toEqual([]);
    const wrong = readAnswer(JSON.stringify({ id: vector.id, events: [], retries: [1, 3], lastEventId: '' }), vector.id);
    expect('answer' in wrong && compareAnswer(vector, wrong.answer)).toEqual(['retries: expected [1,2,3], actual [1,3]']);
  });

  it('accepts a final-retry-only answer and then compares only the final value', () => {
    const read = readAnswer(JSON.stringify({ id: vector.id, events: [], retry: 3, lastEventId: '' }), vector.id);
    expect('answer' in read && compareAnswer(vector, read.answer)).toEqual([]);
    const wrong = readAnswer(JSON.stringify({ id: vector.id, events: [], retry: null, lastEventId: '' }), vector.id);
    expect('answer' in wrong && compareAnswer(vector, wrong.answer)).toEqual(['retry: expected 3, actual null']);
  });

  it.each([
    ['[]', /not a JSON object/],
    ['{"id":"x"}', /answered id "x"/],
    [`{"id":"${vector.id}","events":[{"type":"message","data":1,"lastEventId":""}],"retries":[],"lastEventId":""}`, /needs "events"/],
    [`{"id":"${vector.id}","events":[],"retries":[-1],"lastEventId":""}`, /non-negative numbers/],
    [`{"id":"${vector.id}","events":[],"lastEventId":""}`, /needs "retries" \(array\) or "retry"/],
    [`{"id":"${vector.id}","events":[],"retries":[]}`, /needs "lastEventId"/],
  ])('rejects %s with a protocol error', (line, message) => {
    const read = readAnswer(line, vector.id);
    expect('protocolError' in read && read.protocolError).toMatch(message);
  });

  it('passes an adapter-reported error through', () => {
    expect(readAnswer(JSON.stringify({ id: vector.id, error: 'no bytes API' }), vector.id)).toEqual({ adapterError: 'adapter reported an error: no bytes API' });
  });
});
