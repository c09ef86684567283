// Heartbeat case: an idle stream still carries bytes (comments or events) within the declared interval.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#authoring-notes
import { check } from '../runner.ts';
import { headersEvidence, timelineEvidence } from './capture-evidence.ts';
import type { ServerCase } from './context.ts';
import { noStream } from './response.ts';
import type { ReadResult } from './stream-reader.ts';

/** Longest silence on the wire: headers → first chunk, between chunks, last chunk → end of read. */
export function longestSilence(result: ReadResult): { ms: number; from: number } {
  const times = [result.headersAt ?? 0, ...result.chunks.map((c) => c.at), result.elapsedMs];
  let ms = 0;
  let from = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > ms) {
      ms = gap;
      from = times[i - 1]!;
    }
  }
  return { ms, from };
}

/** Slack on top of the declared interval: timers and scheduling on both sides. */
export function heartbeatAllowance(intervalMs: number): number {
  return Math.round(intervalMs * 1.5 + 250);
}

export const HEARTBEAT_CASES: readonly ServerCase[] = [{
  id: 'server.heartbeat.interval',
  title: 'An idle stream carries a heartbeat within the declared interval',
  area: 'heartbeat',
  requirementIds: ['SRV-COMMENT-KEEPALIVE'],
  description: 'Open a stream nobody publishes to (a fresh channel when the URL has {channel}) and record when bytes arrive, for at least three declared intervals.',
  expectation: 'With --heartbeat <ms>: no silence longer than 1.5 × interval + 250 ms (comments or events both count). Without it: the longest silence is recorded (INFO); the spec suggests about 15 s.',
  serial: true,
  async run(ctx, signal) {
    const declared = ctx.config.heartbeatMs;
    const window = declared !== undefined ? Math.max(3 * declared + 300, 1000) : ctx.config.observeMs;
    const result = await ctx.read({ url: ctx.streamUrl(ctx.channel('idle')), totalTimeMs: ctx.config.headerTimeoutMs + window, bodyTimeMs: window, maxBodyBytes: 1024 * 1024 }, signal);
    const evidence = [headersEvidence(result), timelineEvidence(result)];
    const why = noStream(result);
    if (why) return { verdict: 'ERROR', reason: `no stream: ${why}`, checks: [], evidence };
    const silence = longestSilence(result);
    const measurements = [{ name: 'longest-silence-ms', value: Math.round(silence.ms), unit: 'ms' as const }];
    if (declared === undefined) {
      return {
        checks: [check('interval', 'INFO', ['SRV-COMMENT-KEEPALIVE'], 'a heartbeat about every 15 s (declare --heartbeat <ms> to gate)', `longest silence ${Math.round(silence.ms)} ms in ${Math.round(result.elapsedMs)} ms (${result.comments.length} comments, ${result.events.length} events)`)],
        evidence, measurements,
      };
    }
    const allowed = heartbeatAllowance(declared);
    const ended = result.end === 'eof' ? ' (the server ended the stream)' : '';
    return {
      checks: [check('interval', silence.ms <= allowed ? 'PASS' : 'FAIL', ['SRV-COMMENT-KEEPALIVE'], `bytes at least every ${allowed} ms (declared interval ${declared} ms)`,
        `longest silence ${Math.round(silence.ms)} ms starting at +${Math.round(silence.from)} ms; ${result.comments.length} comments, ${result.events.length} events in ${Math.round(result.elapsedMs)} ms${ended}`)],
      evidence, measurements,
    };
  },
}];
