// HTTP/2 cases (`check --http2`): every other case runs over HTTP/2 unchanged; these add the rules
// HTTP/2 itself sets for an event stream (RFC 9113): no connection-specific header fields, and a
// response the server ends carries END_STREAM, never a reset (and never a reset mid-event).
import type { CheckResult, Evidence } from '../model.ts';
import { check } from '../runner.ts';
import { bytesEvidence, headersEvidence, timelineEvidence } from './capture-evidence.ts';
import type { ServerCase, ServerContext } from './context.ts';
import { rstName } from './h2-client.ts';
import type { ReadResult } from './stream-reader.ts';

/** Header fields RFC 9113 §8.2.2 forbids in HTTP/2 messages (`te` is allowed only as `trailers`, and only in requests). */
export const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'] as const;

function needsHttp2(ctx: ServerContext): { verdict: 'UNSUPPORTED'; reason: string; checks: [] } | undefined {
  return ctx.config.transport?.http2 ? undefined : { verdict: 'UNSUPPORTED', reason: 'HTTP/2 rules: run with --http2', checks: [] };
}

/** The protocol line for evidence: `h2 (ALPN)` or `h2c (prior knowledge)` and how the stream ended. */
function protocolText(result: ReadResult): string {
  const h2 = result.http2;
  if (!h2) return `HTTP/${result.httpVersion ?? '?'}`;
  const end = h2.endStream === undefined ? 'still open when the harness stopped reading' : h2.endStream ? 'ended by the server with END_STREAM' : `reset by the server: RST_STREAM ${rstName(h2.rstCode ?? 0)}`;
  return `${h2.protocol === 'h2' ? 'h2 (TLS, ALPN)' : 'h2c (prior knowledge)'}; ${h2.bytes} body bytes; ${end}`;
}

/** Bytes after the last blank line: an event block that was never finished. */
export function unfinishedTail(body: Uint8Array): string {
  const text = new TextDecoder().decode(body);
  let from = 0;
  for (const blank of ['\n\n', '\r\r', '\n\r', '\r\n\r\n']) {
    const at = text.lastIndexOf(blank);
    if (at >= 0) from = Math.max(from, at + blank.length);
  }
  return text.slice(from);
}

const connectionHeadersCase: ServerCase = {
  id: 'server.http2.no-connection-headers',
  title: 'Over HTTP/2 the stream has no connection-specific header fields',
  area: 'http2',
  requirementIds: ['H2-NO-CONNECTION-HEADERS'],
  description: 'Read the stream response over HTTP/2 (h2 over TLS with ALPN, or h2c with prior knowledge) and list its header fields.',
  expectation: `None of ${CONNECTION_SPECIFIC.join(', ')}. A client that finds one treats the response as malformed (stream error PROTOCOL_ERROR): the stream fails.`,
  async run(ctx) {
    const unsupported = needsHttp2(ctx);
    if (unsupported) return unsupported;
    const { result } = await ctx.primary();
    const evidence: Evidence[] = [headersEvidence(result), { kind: 'text', label: 'HTTP/2', text: protocolText(result) }];
    if (result.status === 0) {
      // node:http2 (nghttp2) rejects such a response before it surfaces: a stream error instead of headers.
      const malformed = /PROTOCOL_ERROR|ERR_HTTP2_STREAM_ERROR/.test(result.endDetail);
      if (malformed) return { checks: [check('connection-headers', 'FAIL', ['H2-NO-CONNECTION-HEADERS'], 'a well-formed HTTP/2 response', `the client rejected the response as malformed (${result.endDetail}): connection-specific header fields are the usual cause`)], evidence };
      return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`.trim(), checks: [], evidence };
    }
    const names: string[] = [];
    for (let i = 0; i < result.rawHeaders.length; i += 2) names.push(result.rawHeaders[i]!.toLowerCase());
    const found = names.filter((n) => (CONNECTION_SPECIFIC as readonly string[]).includes(n));
    return {
      checks: [check('connection-headers', found.length ? 'FAIL' : 'PASS', ['H2-NO-CONNECTION-HEADERS'], `none of ${CONNECTION_SPECIFIC.join(', ')}`,
        found.length ? `sent ${found.join(', ')}` : `${names.length} header fields, none connection-specific (${protocolText(result)})`)],
      evidence,
    };
  },
};

function endChecks(result: ReadResult, how: string): CheckResult[] {
  const h2 = result.http2;
  const tail = unfinishedTail(result.body);
  const reset = h2?.endStream === false;
  return [
    check('end-stream', reset ? 'FAIL' : 'PASS', ['H2-END-STREAM'], `${how}: the response ends with END_STREAM`,
      reset ? `RST_STREAM ${rstName(h2?.rstCode ?? 0)} instead of END_STREAM: EventSource sees a network error, not the end of the response` : protocolText(result)),
    check('not-reset-mid-event', reset && tail.trim() !== '' ? 'FAIL' : 'PASS', ['H2-END-STREAM'], 'no reset while an event is half sent',
      reset && tail.trim() !== '' ? `reset after ${new TextEncoder().encode(tail).byteLength} bytes of an unfinished event (${JSON.stringify(tail.slice(0, 80))}): that event is lost` : tail.trim() ? `the body ends with an unfinished block (${JSON.stringify(tail.slice(0, 80))}), not reset` : 'every event block was finished'),
  ];
}

const streamEndCase: ServerCase = {
  id: 'server.http2.stream-end',
  title: 'Over HTTP/2 a stream the server ends carries END_STREAM, not a reset',
  area: 'http2',
  requirementIds: ['H2-END-STREAM', 'SRV-EVENT-TERMINATOR'],
  description: 'Cooperative: open a stream on a fresh channel, publish one event, then close the channel (DELETE <publish url>) so the server ends the stream; see how the HTTP/2 stream ends. Black-box: judged when an observed stream ended by itself.',
  expectation: 'The stream ends with END_STREAM after a complete event; RST_STREAM instead is a FAIL, and one in the middle of an event is a second FAIL (the event is lost).',
  async run(ctx, signal) {
    const unsupported = needsHttp2(ctx);
    if (unsupported) return unsupported;
    if (!ctx.cooperative || !ctx.channelsTemplated) {
      const { result } = await ctx.primary();
      const evidence = [headersEvidence(result), timelineEvidence(result), { kind: 'text' as const, label: 'HTTP/2', text: protocolText(result) }];
      if (result.http2?.endStream === undefined) return { verdict: 'UNSUPPORTED', reason: 'the server did not end a stream while it was observed; with --publish and {channel} the case makes it end one (DELETE)', checks: [], evidence };
      return { checks: endChecks(result, 'the server ended the observed stream'), evidence };
    }
    const channel = ctx.channel('h2-end');
    const type = `ssec-h2-end-${ctx.nonce}`;
    let closing: Promise<ReadResult | undefined> | undefined;
    const result = await ctx.read({
      url: ctx.streamUrl(channel),
      totalTimeMs: ctx.config.headerTimeoutMs * 3 + ctx.config.deliveryMs + 1000,
      onHeaders: ({ status }) => {
        if (status !== 200) return;
        void ctx.publish(channel, { event: type, data: 'before-end' }, signal);
      },
      stopWhen: (p) => {
        if (!closing && p.events.some((e) => e.type === type)) closing = ctx.closeChannel(channel, signal);
        return false;
      },
    }, signal);
    const del = await closing;
    const evidence: Evidence[] = [headersEvidence(result), timelineEvidence(result), bytesEvidence(result), { kind: 'text', label: 'HTTP/2', text: protocolText(result) }];
    if (result.status !== 200) return { verdict: 'ERROR', reason: `no stream: HTTP ${result.status || result.end} ${result.endDetail}`.trim(), checks: [], evidence };
    if (!del) return { verdict: 'ERROR', reason: 'the published event never arrived, so the channel was not closed', checks: [], evidence };
    if (del.status < 200 || del.status >= 300) return { verdict: 'UNSUPPORTED', reason: `the publish endpoint does not close channels (DELETE answered ${del.status || del.end})`, checks: [], evidence };
    if (result.http2?.endStream === undefined) return { checks: [check('end-stream', 'FAIL', ['H2-END-STREAM'], 'the server ends the stream after the channel is closed', `still open ${Math.round(result.elapsedMs)} ms after the request (read ended: ${result.end})`)], evidence };
    return { checks: endChecks(result, 'after DELETE closed the channel'), evidence };
  },
};

export const HTTP2_CASES: readonly ServerCase[] = [connectionHeadersCase, streamEndCase];
