// Response cases: status, Content-Type, caching and proxy-buffering headers, incremental delivery
// and compression. https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
import type { CheckResult, Measurement } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { bytesEvidence, headersEvidence, timelineEvidence } from './capture-evidence.ts';
import type { ServerCase, ServerContext } from './context.ts';
import type { ReadResult } from './stream-reader.ts';

/** The MIME type essence of a Content-Type value (lower-cased type/subtype, parameters dropped). */
export function mimeEssence(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const essence = value.split(';')[0]!.trim().toLowerCase();
  return essence || undefined;
}

/** Describes why a read produced no stream, or undefined when it did (status 200 and a body was read). */
export function noStream(result: ReadResult): string | undefined {
  if (result.status === 0) return `no response: ${result.end}${result.endDetail ? ` (${result.endDetail})` : ''}`;
  if (result.status !== 200) return `HTTP ${result.status}`;
  return undefined;
}

const statusCase: ServerCase = {
  id: 'server.response.status-200',
  title: 'The stream is served with status 200',
  area: 'response',
  requirementIds: ['SRV-STATUS-200', 'RESP-STATUS-NON-200-FAILS'],
  description: 'GET the stream URL with Accept: text/event-stream (following redirects as EventSource does).',
  expectation: 'Final status 200; any other status makes EventSource fail the connection.',
  async run(ctx) {
    const { result } = await ctx.primary();
    if (result.status === 0) return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`.trim(), checks: [], evidence: [headersEvidence(result)] };
    return {
      checks: [check('status', result.status === 200 && result.end !== 'redirect-loop' && result.end !== 'too-many-redirects' ? 'PASS' : 'FAIL', ['SRV-STATUS-200'], '200',
        `${result.status}${result.redirects.length ? ` after ${result.redirects.length} redirect(s)` : ''}${result.end === 'redirect-loop' || result.end === 'too-many-redirects' ? ` (${result.endDetail})` : ''}`)],
      evidence: [headersEvidence(result)],
    };
  },
};

const contentTypeCase: ServerCase = {
  id: 'server.response.content-type',
  title: 'Content-Type is text/event-stream',
  area: 'response',
  requirementIds: ['SRV-CONTENT-TYPE', 'CONTENT-TYPE-PARAMS-IGNORED', 'CONTENT-TYPE-CASE'],
  description: 'Read the Content-Type of the 200 stream response.',
  expectation: 'MIME essence text/event-stream (any case; parameters such as charset=utf-8 allowed). A missing or other type makes EventSource fail the connection.',
  async run(ctx) {
    const { result } = await ctx.primary();
    const why = noStream(result);
    if (why) return { verdict: 'ERROR', reason: `no stream response to judge: ${why}`, checks: [], evidence: [headersEvidence(result)] };
    const value = result.headers['content-type'];
    const essence = mimeEssence(value);
    return {
      checks: [check('content-type', essence === 'text/event-stream' ? 'PASS' : 'FAIL', ['SRV-CONTENT-TYPE'], 'Content-Type essence text/event-stream', value === undefined ? 'no Content-Type header' : JSON.stringify(value))],
      evidence: [headersEvidence(result)],
    };
  },
};

const cachingCase: ServerCase = {
  id: 'server.response.no-cache',
  title: 'The stream is marked non-cacheable',
  area: 'response',
  requirementIds: ['SRV-NO-CACHE'],
  description: 'Read Cache-Control on the stream response.',
  expectation: 'Cache-Control contains no-cache or no-store (practice, not a MUST: NON_STRICT when missing).',
  async run(ctx) {
    const { result } = await ctx.primary();
    const why = noStream(result);
    if (why) return { verdict: 'ERROR', reason: `no stream response to judge: ${why}`, checks: [], evidence: [headersEvidence(result)] };
    const value = result.headers['cache-control'];
    const ok = value !== undefined && /\b(no-cache|no-store)\b/i.test(value);
    return {
      checks: [check('cache-control', ok ? 'PASS' : 'NON_STRICT', ['SRV-NO-CACHE'], 'Cache-Control: no-cache or no-store', value === undefined ? 'no Cache-Control header' : JSON.stringify(value))],
      evidence: [headersEvidence(result)],
    };
  },
};

const proxyBufferingCase: ServerCase = {
  id: 'server.response.proxy-buffering',
  title: 'Proxy buffering hint (X-Accel-Buffering)',
  area: 'response',
  requirementIds: ['SRV-CHUNKING-CAUTION'],
  description: 'Read X-Accel-Buffering and Content-Encoding on the stream response.',
  expectation: 'Recorded only (INFO): `X-Accel-Buffering: no` asks nginx-style proxies not to buffer; the spec leaves headers for intermediaries open.',
  async run(ctx) {
    const { result } = await ctx.primary();
    const why = noStream(result);
    if (why) return { verdict: 'ERROR', reason: `no stream response to judge: ${why}`, checks: [], evidence: [headersEvidence(result)] };
    const value = result.headers['x-accel-buffering'];
    return {
      checks: [check('x-accel-buffering', value?.trim().toLowerCase() === 'no' ? 'PASS' : 'INFO', ['SRV-CHUNKING-CAUTION'], 'X-Accel-Buffering: no (advisory)', value === undefined ? 'not sent' : JSON.stringify(value))],
      evidence: [headersEvidence(result)],
    };
  },
};

async function incrementalOutcome(ctx: ServerContext, signal: AbortSignal, compressed: boolean): Promise<CaseOutcome> {
  const headers: Record<string, string> = compressed ? { 'accept-encoding': 'gzip, deflate, br' } : {};
  const channel = ctx.channel(compressed ? 'compressed' : 'incremental');
  const type = `ssec-latency-${ctx.nonce}`;
  const started = performance.now();
  const got = new Map<string, number>();
  const sent: { data: string; at: number; ok: boolean; detail: string }[] = [];
  const count = 3;
  let done = false;
  let publishing: Promise<void> | undefined;
  // When the publishing loop ends (all delivered, or one held back), the read has nothing left to wait for.
  const local = new AbortController();
  const result = await ctx.read({
    url: ctx.streamUrl(channel),
    headers,
    decompress: compressed,
    totalTimeMs: ctx.config.headerTimeoutMs + count * (ctx.config.deliveryMs + 300),
    onHeaders: ({ status }) => {
      if (status !== 200) return;
      publishing = (async () => {
        for (let i = 0; i < count && !done; i++) {
          const data = `latency-${i}-${ctx.nonce}`;
          const outcome = await ctx.publish(channel, { event: type, data }, signal, started);
          sent.push({ data, at: outcome.at, ok: outcome.ok, detail: outcome.detail });
          if (!outcome.ok) break;
          const deadline = performance.now() + ctx.config.deliveryMs;
          while (performance.now() < deadline && !got.has(data) && !signal.aborted && !done) await new Promise((r) => setTimeout(r, 5));
          if (!got.has(data)) break; // held back: no point publishing more
        }
      })().finally(() => local.abort());
    },
    // Matched by order of this case's event type, not by data: a data-corrupting server is another case's finding.
    stopWhen: (p) => {
      p.events.filter((e) => e.type === type).forEach((e, i) => { if (!got.has(`latency-${i}-${ctx.nonce}`)) got.set(`latency-${i}-${ctx.nonce}`, e.at); });
      return got.size >= count;
    },
  }, AbortSignal.any([signal, local.signal]));
  done = true;
  await publishing;
  const evidence = [headersEvidence(result), timelineEvidence(result), bytesEvidence(result)];
  const why = noStream(result);
  if (why) return { verdict: 'ERROR', reason: `no stream response: ${why}`, checks: [], evidence };
  const failedPublish = sent.find((s) => !s.ok);
  if (failedPublish) return { verdict: 'ERROR', reason: `the publish endpoint refused the event: ${failedPublish.detail}`, checks: [], evidence };
  const checks: CheckResult[] = [];
  const measurements: Measurement[] = [];
  const headersAt = result.headersAt ?? Infinity;
  checks.push(check('headers-prompt', headersAt <= ctx.config.headerTimeoutMs ? 'PASS' : 'FAIL', ['SRV-CHUNKING-CAUTION'], `response headers within ${ctx.config.headerTimeoutMs} ms of the request, before any event`, `headers after ${Math.round(headersAt)} ms`));
  measurements.push({ name: 'headers-ms', value: Math.round(headersAt), unit: 'ms' });
  sent.forEach((s, i) => {
    const at = got.get(s.data);
    const latency = at === undefined ? undefined : Math.max(0, at - s.at);
    if (latency !== undefined) measurements.push({ name: `publish-to-receive-${i}-ms`, value: Math.round(latency * 10) / 10, unit: 'ms' });
    checks.push(check(`event-${i}-delivered`, latency !== undefined ? 'PASS' : 'FAIL', ['SRV-CHUNKING-CAUTION'],
      `the published event arrives within ${ctx.config.deliveryMs} ms while the stream stays open (flushed, not buffered${compressed ? ' by compression' : ''})`,
      latency !== undefined ? `arrived after ${Math.round(latency)} ms` : `not received within ${ctx.config.deliveryMs} ms (read ended: ${result.end}; ${result.body.byteLength} body bytes)`));
  });
  if (sent.length === 0) checks.push(check('event-0-delivered', 'ERROR', ['SRV-CHUNKING-CAUTION'], 'one event published and delivered', 'nothing could be published'));
  if (compressed) {
    const enc = result.headers['content-encoding'];
    checks.push(check('content-encoding', 'PASS', ['SRV-CHUNKING-CAUTION'], 'any Content-Encoding, as long as events are not held back', enc ? JSON.stringify(enc) : 'not compressed (nothing can hold events back)'));
  }
  return { checks, evidence, measurements };
}

/**
 * Black-box buffering signal: a body that ended after a long silence with every event in one final
 * burst was held back somewhere (a buffering layer flushes only at the end). NON_STRICT: the server
 * may also have computed everything first; undecidable without --publish otherwise.
 */
function heldBackBurst(result: ReadResult): ReturnType<typeof check> | undefined {
  if (result.end !== 'eof' || result.events.length < 2 || result.headersAt === undefined) return undefined;
  const first = result.events[0]!.at;
  const last = result.events[result.events.length - 1]!.at;
  const waited = first - result.headersAt;
  if (last - first > 50 || waited < 1000) {
    return check('events-not-held', 'PASS', ['SRV-CHUNKING-CAUTION'], 'events arrive as they are produced, not in one burst at the end', `${result.events.length} events between +${Math.round(first)} and +${Math.round(last)} ms`);
  }
  return check('events-not-held', 'NON_STRICT', ['SRV-CHUNKING-CAUTION'], 'events arrive as they are produced, not in one burst at the end',
    `all ${result.events.length} events arrived within ${Math.round(last - first)} ms at +${Math.round(first)} ms, ${Math.round(waited)} ms after the headers, right before the body ended: held back by a buffer?`);
}

const incrementalCase: ServerCase = {
  id: 'server.response.incremental',
  title: 'Headers and events are delivered immediately (no buffering)',
  area: 'response',
  requirementIds: ['SRV-CHUNKING-CAUTION'],
  description: 'Open a stream; once headers arrive, publish events one at a time and time their arrival. Black-box: time the response headers only.',
  expectation: 'Headers arrive promptly without waiting for an event; each published event arrives within the delivery limit (default 1500 ms) while the connection stays open. Latencies are recorded as measurements.',
  serial: true,
  async run(ctx, signal) {
    if (ctx.cooperative) return incrementalOutcome(ctx, signal, false);
    const { result } = await ctx.primary();
    const evidence = [headersEvidence(result), timelineEvidence(result)];
    if (result.status === 0 && result.end !== 'header-timeout') return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`, checks: [], evidence };
    const headersAt = result.headersAt;
    const heldBack = heldBackBurst(result);
    return {
      checks: [...(heldBack ? [heldBack] : []), check('headers-prompt', headersAt !== undefined && headersAt <= ctx.config.headerTimeoutMs ? 'PASS' : 'FAIL', ['SRV-CHUNKING-CAUTION'], `response headers within ${ctx.config.headerTimeoutMs} ms (not held back until the first event)`, headersAt === undefined ? `no headers: ${result.endDetail}` : `after ${Math.round(headersAt)} ms`)],
      evidence,
      measurements: headersAt !== undefined ? [{ name: 'headers-ms', value: Math.round(headersAt), unit: 'ms' }] : [],
    };
  },
};

const compressionCase: ServerCase = {
  id: 'server.response.compression',
  title: 'Compression does not hold events back',
  area: 'response',
  requirementIds: ['SRV-CHUNKING-CAUTION'],
  description: 'Open a stream with Accept-Encoding: gzip, deflate, br; publish events and time their (decompressed) arrival.',
  expectation: 'If the server compresses, it flushes the compressor per event: every event arrives within the delivery limit.',
  serial: true,
  async run(ctx, signal) {
    if (!ctx.cooperative) return { verdict: 'UNSUPPORTED', reason: 'needs a publish endpoint (--publish) to send events on demand', checks: [] };
    return incrementalOutcome(ctx, signal, true);
  },
};

export const RESPONSE_CASES: readonly ServerCase[] = [statusCase, contentTypeCase, cachingCase, proxyBufferingCase, incrementalCase, compressionCase];
