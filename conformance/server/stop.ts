// Stop cases: a closed channel answers 204 (the spec's "stop reconnecting" signal), and URLs the
// user declares with --expect-status answer that status with no event stream.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
import type { CheckResult, Evidence } from '../model.ts';
import { check } from '../runner.ts';
import { bytesEvidence, headersEvidence } from './capture-evidence.ts';
import type { ServerCase } from './context.ts';

export const STOP_CASES: readonly ServerCase[] = [
  {
    id: 'server.stop.closed-channel-204',
    title: 'A closed channel answers 204 so clients stop reconnecting',
    area: 'stop',
    requirementIds: ['SRV-STOP-204', 'RECONNECT-204-STOPS'],
    description: 'Cooperative: publish one event to a fresh channel, close it with DELETE <publish url>, then GET the stream.',
    expectation: 'The GET answers 204 No Content with an empty body (not a 200 stream that would keep the client connected or reconnecting).',
    async run(ctx, signal) {
      if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish) that supports DELETE', checks: [] };
      if (!ctx.channelsTemplated) return { verdict: 'UNSUPPORTED', reason: 'needs {channel} in the stream and publish URLs (closing the only channel would break other cases)', checks: [] };
      const channel = ctx.channel('closed');
      const pub = await ctx.publish(channel, { event: 'ssec-stop', data: 'before-close' }, signal);
      if (!pub.ok) return { verdict: 'ERROR', reason: `publish failed: ${pub.detail}`, checks: [] };
      const del = await ctx.closeChannel(channel, signal);
      if (!del || del.status < 200 || del.status >= 300) {
        return { verdict: 'UNSUPPORTED', reason: `the publish endpoint does not close channels (DELETE answered ${del?.status || del?.end})`, checks: [], evidence: del ? [headersEvidence(del, 'DELETE response')] : [] };
      }
      const result = await ctx.read({ url: ctx.streamUrl(channel), totalTimeMs: ctx.config.headerTimeoutMs + 500, stopWhen: (p) => p.bodyBytes > 0 }, signal);
      const evidence = [headersEvidence(del, 'DELETE response'), headersEvidence(result, 'GET after close'), bytesEvidence(result)];
      if (result.status === 0) return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`, checks: [], evidence };
      return {
        checks: [
          check('status-204', result.status === 204 ? 'PASS' : 'FAIL', ['SRV-STOP-204', 'RECONNECT-204-STOPS'], '204 No Content after the channel was closed', `HTTP ${result.status}${result.events.length ? ` with ${result.events.length} events` : ''}`),
          check('empty-body', result.body.byteLength === 0 ? 'PASS' : 'FAIL', ['SRV-STOP-204'], 'no body', `${result.body.byteLength} bytes`),
        ],
        evidence,
      };
    },
  },
  {
    id: 'server.stop.declared-status',
    title: 'Declared error statuses are answered as declared, without a stream',
    area: 'stop',
    requirementIds: ['SRV-STOP-204', 'RESP-STATUS-NON-200-FAILS'],
    description: 'GET each URL declared with --expect-status <status>=<url>.',
    expectation: 'Each answers exactly the declared status, with no event stream in the body.',
    async run(ctx, signal) {
      if (!ctx.config.expectStatus.length) return { verdict: 'UNSUPPORTED', reason: 'no statuses declared (--expect-status <status>=<url>)', checks: [] };
      const checks: CheckResult[] = [];
      const evidence: Evidence[] = [];
      for (const [i, { url, status }] of ctx.config.expectStatus.entries()) {
        const result = await ctx.read({ url, totalTimeMs: ctx.config.headerTimeoutMs + 500, stopWhen: (p) => p.bodyBytes > 0 && p.elapsedMs > 200 }, signal);
        evidence.push(headersEvidence(result, `declared ${status}: ${url}`));
        checks.push(check(`status-${i + 1}`, result.status === status && result.events.length === 0 ? 'PASS' : result.status === 0 ? 'ERROR' : 'FAIL', ['RESP-STATUS-NON-200-FAILS'],
          `HTTP ${status} from ${url}, no events`, result.status ? `HTTP ${result.status}, ${result.events.length} events` : `${result.end}: ${result.endDetail}`));
      }
      return { checks, evidence };
    },
  },
];
