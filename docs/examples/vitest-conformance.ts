// sse-conformance.test.ts: the server's SSE conformance as part of its own vitest suite.
import { describe, expect, it } from 'vitest';
import { caseResults, checkServer } from 'sse-conformance/harness';

const url = process.env['SSE_URL'] ?? 'http://127.0.0.1:8080/channels/{channel}';
const result = await checkServer(url, {
  publish: process.env['SSE_PUBLISH_URL'], // cooperative mode when the server has a publish endpoint
  publishToken: process.env['SSE_PUBLISH_TOKEN'],
});

describe(`SSE conformance of ${url}`, () => {
  for (const c of caseResults(result)) it(`${c.id}: ${c.title}`, () => c.assert());
  it('reached a verdict', () => expect(result.summary.indeterminate).toBeUndefined());
});
