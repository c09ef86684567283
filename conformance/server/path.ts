// Path cases: what happens to the stream between the server and the client. Reverse proxies that
// buffer, compressors that hold bytes back (only when asked: browsers always ask), idle timeouts
// shorter than the heartbeat. Black-box where the wire allows; each finding names the likely cause
// and the fix, and says how sure it is. https://html.spec.whatwg.org/multipage/server-sent-events.html#authoring-notes
import type { CheckResult, Evidence, Measurement } from '../model.ts';
import { check } from '../runner.ts';
import { eventsEvidence, headersEvidence, timelineEvidence } from './capture-evidence.ts';
import type { ServerCase, ServerContext } from './context.ts';
import { heartbeatAllowance } from './heartbeat.ts';
import { noStream } from './response.ts';
import type { ReadResult } from './stream-reader.ts';

/** What every current browser sends on an EventSource request (Chromium, Firefox, WebKit). */
export const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

/** Fix hints, one per finding (DEPLOY-* entries in spec/catalog.ts). */
export const FIX = {
  buffering: 'nginx: `proxy_buffering off;` in the stream location, or send `X-Accel-Buffering: no` from the upstream and keep it out of `proxy_ignore_headers`; an upstream that streams only over HTTP/1.1 also needs `proxy_http_version 1.1; proxy_set_header Connection "";`. Other proxies and CDNs: turn response buffering off for text/event-stream',
  compression: 'nginx: leave text/event-stream out of `gzip_types` (or `gzip off;` in the stream location); compression middleware: skip text/event-stream, or flush the compressor after every event',
  idle: (timeoutMs: number) => `send a heartbeat comment more often than the observed idle timeout (every ${Math.max(100, Math.floor(timeoutMs / 2 / 100) * 100)} ms, say), or raise the proxy's read timeout (nginx: \`proxy_read_timeout\`, default 60 s; load balancers: the idle timeout)`,
} as const;

/** Who answered, as far as the response headers tell (Server, Via and CDN headers). */
export function proxyClue(headers: Readonly<Record<string, string>>): string | undefined {
  const parts: string[] = [];
  if (headers['server']) parts.push(`Server: ${headers['server']}`);
  if (headers['via']) parts.push(`Via: ${headers['via']}`);
  for (const h of ['cf-ray', 'x-amz-cf-id', 'x-served-by', 'x-cache']) if (headers[h]) parts.push(`${h}: ${headers[h]}`);
  return parts.length ? parts.join('; ') : undefined;
}

/** A cheap request to the target's origin to see who answers (when the stream itself sent no headers). */
function probeOrigin(ctx: ServerContext, url: string, signal: AbortSignal): Promise<ReadResult> {
  return ctx.memo(`path-probe:${new URL(url).origin}`, () => ctx.read({
    url: `${new URL(url).origin}/`, headers: { accept: '*/*' }, totalTimeMs: Math.min(ctx.config.headerTimeoutMs, 2000), maxBodyBytes: 16 * 1024, maxRedirects: 0,
  }, signal));
}

/** Arrival items of a read: events, comments and retry lines with their arrival times. */
function arrivals(result: ReadResult): { at: number; kind: 'event' | 'comment'; text: string }[] {
  return [
    ...result.events.map((e) => ({ at: e.at, kind: 'event' as const, text: e.type })),
    ...result.comments.map((c) => ({ at: c.at, kind: 'comment' as const, text: c.text })),
  ].sort((a, b) => a.at - b.at);
}

export interface ArrivalFinding {
  readonly confidence: 'likely' | 'possible';
  readonly text: string;
}

/**
 * Judges a stream's arrival times against what the stream itself shows: heartbeats (which a server
 * spaces out) arriving together; a block of events after a long silence; every event in one burst
 * right before the end; with a declared heartbeat, heartbeats late or missing. Undefined: nothing
 * suggests a buffer.
 */
export function arrivalFinding(result: ReadResult, heartbeatMs: number | undefined): ArrivalFinding | undefined {
  const headersAt = result.headersAt ?? 0;
  const items = arrivals(result).filter((i) => i.at > headersAt + 200); // what a server sends on connect may come at once
  // Group what arrived within 15 ms.
  const groups: { at: number; items: typeof items; silence: number }[] = [];
  let previous = headersAt;
  for (const item of items) {
    const last = groups[groups.length - 1];
    if (last && item.at - last.at <= 15) last.items.push(item);
    else {
      groups.push({ at: item.at, items: [item], silence: item.at - previous });
    }
    previous = item.at;
  }
  for (const g of groups) {
    const comments = g.items.filter((i) => i.kind === 'comment');
    const same = comments.length >= 2 && comments.every((c) => c.text === comments[0]!.text);
    if (same) {
      return { confidence: 'likely', text: `${comments.length} identical comments (${JSON.stringify(comments[0]!.text)}, heartbeats the server spaces out) arrived together at +${Math.round(g.at)} ms after ${Math.round(g.silence)} ms of silence: something on the path held them back` };
    }
  }
  const gaps = groups.map((g) => g.silence).sort((a, b) => a - b);
  const median = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : 0;
  for (const g of groups) {
    const events = g.items.filter((i) => i.kind === 'event').length;
    if (events >= 3 && g.silence >= 1000 && g.silence >= 3 * median) {
      return { confidence: 'possible', text: `${events} events arrived together at +${Math.round(g.at)} ms after ${Math.round(g.silence)} ms of silence (median gap ${Math.round(median)} ms): a buffer that flushed a block, or a server that sent them at once` };
    }
  }
  const all = arrivals(result);
  if (result.end === 'eof' && all.length >= 2) {
    const first = all[0]!.at;
    const last = all[all.length - 1]!.at;
    if (last - first <= 50 && first - headersAt >= 1000 && result.elapsedMs - last < 100) {
      return { confidence: 'likely', text: `all ${all.length} events and comments arrived within ${Math.round(last - first)} ms, ${Math.round(first - headersAt)} ms after the headers, right before the body ended: held back until the end` };
    }
  }
  if (heartbeatMs !== undefined && result.status === 200) {
    const allowed = heartbeatAllowance(heartbeatMs);
    const times = [headersAt, ...result.chunks.map((c) => c.at), result.elapsedMs];
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
    if (longest > allowed) {
      return { confidence: 'possible', text: `a silence of ${Math.round(longest)} ms though a heartbeat every ${heartbeatMs} ms is declared: either the server sent none (see server.heartbeat.interval) or a buffer on the path held it back` };
    }
  }
  return undefined;
}

function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Cooperative: publish events one by one on a fresh stream and time each from publish to receipt. */
async function latencyCheck(ctx: ServerContext, signal: AbortSignal): Promise<{ checks: CheckResult[]; measurements: Measurement[]; evidence: Evidence[] }> {
  const channel = ctx.channel('path-latency');
  const type = `ssec-path-latency-${ctx.nonce}`;
  const count = 8;
  const started = performance.now();
  const sent: { at: number; ok: boolean; detail: string }[] = [];
  let publishing: Promise<void> | undefined;
  const local = new AbortController();
  const result = await ctx.read({
    url: ctx.streamUrl(channel),
    totalTimeMs: ctx.config.headerTimeoutMs + count * 80 + ctx.config.deliveryMs + 1000,
    onHeaders: ({ status }) => {
      if (status !== 200) return;
      publishing = (async () => {
        for (let i = 0; i < count && !signal.aborted; i++) {
          const outcome = await ctx.publish(channel, { event: type, data: `latency-${i}` }, signal, started);
          sent.push({ at: outcome.at, ok: outcome.ok, detail: outcome.detail });
          if (!outcome.ok) break;
          await new Promise((r) => setTimeout(r, 60));
        }
        // Give the last one the delivery limit, then stop waiting.
        await new Promise((r) => setTimeout(r, ctx.config.deliveryMs));
      })().finally(() => local.abort());
    },
    stopWhen: (p) => p.events.filter((e) => e.type === type).length >= count,
  }, AbortSignal.any([signal, local.signal]));
  await publishing;
  const evidence = [headersEvidence(result, 'response headers (latency stream)'), timelineEvidence(result, 'chunk arrival times (latency stream)')];
  const received = result.events.filter((e) => e.type === type);
  const latencies: number[] = [];
  let late = 0;
  sent.forEach((s, i) => {
    const got = received[i];
    if (!s.ok) return;
    if (got === undefined) late++;
    else {
      const ms = Math.max(0, got.at - s.at);
      latencies.push(ms);
      if (ms > ctx.config.deliveryMs) late++;
    }
  });
  const sorted = [...latencies].sort((a, b) => a - b);
  const measurements: Measurement[] = latencies.length ? [
    { name: 'publish-to-receive-p50-ms', value: Math.round(percentile(sorted, 50) * 10) / 10, unit: 'ms' },
    { name: 'publish-to-receive-p99-ms', value: Math.round(percentile(sorted, 99) * 10) / 10, unit: 'ms' },
    { name: 'events-received', value: received.length, unit: 'count' },
  ] : [{ name: 'events-received', value: received.length, unit: 'count' }];
  const expected = `each of ${count} published events arrives within ${ctx.config.deliveryMs} ms of its publish, through the whole path`;
  const why = noStream(result);
  if (why) return { checks: [check('publish-to-receive', result.status === 0 ? 'FAIL' : 'ERROR', ['SRV-CHUNKING-CAUTION', 'DEPLOY-PROXY-NO-BUFFERING'], expected, `${why}: nothing to time (headers are held back with the events). Fix: ${FIX.buffering}`)], measurements, evidence };
  const refused = sent.find((s) => !s.ok);
  if (refused || !sent.length) return { checks: [check('publish-to-receive', 'ERROR', ['SRV-CHUNKING-CAUTION'], expected, `the publish endpoint refused the event: ${refused?.detail ?? 'nothing published'}`)], measurements, evidence };
  const summary = latencies.length ? `p50 ${Math.round(percentile(sorted, 50))} ms, p99 ${Math.round(percentile(sorted, 99))} ms over ${latencies.length} events` : 'no event arrived';
  return {
    checks: [check('publish-to-receive', late === 0 ? 'PASS' : 'FAIL', ['SRV-CHUNKING-CAUTION', 'DEPLOY-PROXY-NO-BUFFERING'], expected,
      late === 0 ? summary : `${late} of ${sent.length} held back beyond ${ctx.config.deliveryMs} ms (${summary}). Fix: ${FIX.buffering}`)],
    measurements, evidence,
  };
}

const bufferingCase: ServerCase = {
  id: 'server.path.buffering',
  title: 'Nothing on the path holds the stream back (proxy buffering)',
  area: 'path',
  requirementIds: ['SRV-CHUNKING-CAUTION', 'DEPLOY-PROXY-NO-BUFFERING', 'DEPLOY-UPSTREAM-HTTP11'],
  description: 'Judge the arrival times of the observed stream against what it shows itself (heartbeats arriving together, a block after a long silence, everything in one burst at the end, late heartbeats when --heartbeat is declared; headers that never come while the connection is open). Cooperative: publish 8 events one by one and time each from publish to receipt (p50/p99).',
  expectation: 'No sign of a buffer: NON_STRICT otherwise, with how sure the finding is (likely/possible), the proxy the headers name and the fix. Cooperative: every event within the delivery limit (FAIL otherwise: a held event is certain).',
  serial: true,
  async run(ctx, signal) {
    const { result } = await ctx.primary();
    const checks: CheckResult[] = [];
    const evidence: Evidence[] = [headersEvidence(result), timelineEvidence(result)];
    let measurements: Measurement[] = [];
    if (result.status === 0 && result.end !== 'header-timeout') return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`.trim(), checks: [], evidence };
    const expected = 'bytes arrive as the server sends them: headers at once, heartbeats and events spread out as sent';
    if (result.status === 0) {
      const probe = await probeOrigin(ctx, result.requestedUrl, signal);
      const clue = proxyClue(probe.headers);
      evidence.push(headersEvidence(probe, 'who answers at the origin (probe)'));
      checks.push(check('arrival-pattern', 'NON_STRICT', ['SRV-CHUNKING-CAUTION', 'DEPLOY-PROXY-NO-BUFFERING'], expected,
        `the connection was accepted but no response headers came within ${ctx.config.headerTimeoutMs} ms (${clue ? `the origin answers with ${clue}` : 'nothing names a proxy'}); confidence: ${clue ? 'likely' : 'possible'}: a buffering proxy holds headers with the first bytes (nginx: proxy buffers and postpone_output), or the server writes headers only with its first event. Fix: ${FIX.buffering}; flush headers at once`));
    } else if (result.status === 200) {
      const finding = arrivalFinding(result, ctx.config.heartbeatMs);
      const clue = proxyClue(result.headers);
      checks.push(check('arrival-pattern', finding ? 'NON_STRICT' : 'PASS', ['SRV-CHUNKING-CAUTION', 'DEPLOY-PROXY-NO-BUFFERING'], expected,
        finding ? `${finding.text}; confidence: ${finding.confidence}${clue ? `; answered by ${clue}` : ''}. Fix: ${FIX.buffering}`
          : `${result.events.length} events, ${result.comments.length} comments in ${Math.round(result.elapsedMs)} ms, no sign of a buffer${clue ? ` (answered by ${clue})` : ''}`));
    } else {
      return { verdict: 'ERROR', reason: `no stream response to judge: HTTP ${result.status}`, checks: [], evidence };
    }
    if (ctx.cooperative) {
      const latency = await latencyCheck(ctx, signal);
      checks.push(...latency.checks);
      evidence.push(...latency.evidence);
      measurements = latency.measurements;
    }
    return { checks, evidence, measurements };
  },
};

interface View {
  readonly result: ReadResult;
  readonly items: number;
  readonly decodedBytes: number;
  readonly wireBytes: number;
}

function view(result: ReadResult): View {
  const wire = result.encodedChunks ? result.encodedChunks.reduce((n, c) => n + c.bytes, 0) : result.body.byteLength;
  return { result, items: result.events.length + result.comments.length + result.retries.length, decodedBytes: result.body.byteLength, wireBytes: wire };
}

const compressionCase: ServerCase = {
  id: 'server.path.compression',
  title: 'A browser\'s Accept-Encoding gets the stream as promptly as the harness does',
  area: 'path',
  requirementIds: ['SRV-CHUNKING-CAUTION', 'DEPLOY-NO-COMPRESSION-HOLDBACK'],
  description: `Read the stream twice at once for the observe window: as a browser asks (Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}, decoded) and as the harness's other cases do (no Accept-Encoding). Cooperative: publish two events while both are open. Compare what each view received.`,
  expectation: 'A Content-Encoding on an event stream is reported from the headers (INFO). Held back by the compressor, with the bytes measured and the fix: FAIL when an event the harness published reached the identity view but not the browser view (cooperative); NON_STRICT when inferred from what the stream sent on its own (the browser view decoded nothing while the identity view got something, or half or less of what it got).',
  async run(ctx, signal) {
    const channel = ctx.channel('path-compression');
    const url = ctx.streamUrl(channel);
    const type = `ssec-path-compression-${ctx.nonce}`;
    const window = ctx.config.observeMs;
    let open = 0;
    let publishing: Promise<void> | undefined;
    const started = performance.now();
    const onHeaders = ({ status }: { status: number }) => {
      if (status !== 200 || ++open < 2 || !ctx.cooperative) return;
      publishing = (async () => {
        for (let i = 0; i < 2; i++) {
          await new Promise((r) => setTimeout(r, Math.min(300, window / 4)));
          await ctx.publish(channel, { event: type, data: `compression-${i}` }, signal, started);
        }
      })();
    };
    // Cooperative: a view that has both published events has shown what it had to (a held-back
    // view still waits out the window); black-box: both views watch the whole window.
    const stopWhen = ctx.cooperative ? (p: { events: readonly { type: string }[] }) => p.events.filter((e) => e.type === type).length >= 2 : undefined;
    const common = { url, totalTimeMs: ctx.config.headerTimeoutMs + window, bodyTimeMs: window, onHeaders, stopWhen };
    const [identity, browser] = await Promise.all([
      ctx.read({ ...common }, signal),
      ctx.read({ ...common, headers: { 'accept-encoding': BROWSER_ACCEPT_ENCODING, 'cache-control': 'no-cache', pragma: 'no-cache' }, decompress: true }, signal),
    ]);
    await publishing;
    const evidence: Evidence[] = [
      headersEvidence(browser, `browser view: response headers (Accept-Encoding: ${BROWSER_ACCEPT_ENCODING})`),
      timelineEvidence(browser, 'browser view: decoded chunk arrival times'),
      eventsEvidence(browser.events, 'browser view: events'),
      headersEvidence(identity, 'identity view: response headers (no Accept-Encoding)'),
      timelineEvidence(identity, 'identity view: chunk arrival times'),
    ];
    const why = noStream(identity) ?? noStream(browser);
    if (why) return { verdict: 'ERROR', reason: `no stream response to compare: ${why}`, checks: [], evidence };
    const b = view(browser);
    const i = view(identity);
    const encoding = browser.headers['content-encoding']?.trim();
    const identityEncoding = identity.headers['content-encoding']?.trim();
    const measurements: Measurement[] = [
      { name: 'identity-bytes', value: i.decodedBytes, unit: 'bytes' },
      { name: 'browser-wire-bytes', value: b.wireBytes, unit: 'bytes' },
      { name: 'browser-decoded-bytes', value: b.decodedBytes, unit: 'bytes' },
      { name: 'held-back-bytes', value: Math.max(0, i.decodedBytes - b.decodedBytes), unit: 'bytes' },
      { name: 'identity-items', value: i.items, unit: 'count' },
      { name: 'browser-items', value: b.items, unit: 'count' },
    ];
    const checks: CheckResult[] = [];
    const decodable = !encoding || /^(identity|gzip|x-gzip|deflate|br)$/i.test(encoding);
    checks.push(check('content-encoding', encoding && encoding.toLowerCase() !== 'identity' ? 'INFO' : 'PASS', ['DEPLOY-NO-COMPRESSION-HOLDBACK'],
      'an event stream served uncompressed (compression is legal only when flushed after every event)',
      encoding ? `Content-Encoding: ${encoding} for a browser's Accept-Encoding${identityEncoding ? ` (also ${identityEncoding} without one)` : ' (none without one: the harness\'s other reads see an uncompressed stream)'}${decodable ? '' : '; this Node cannot decode it, so only the wire bytes are measured'}. If events are ever held back: ${FIX.compression}` : 'no Content-Encoding, with or without Accept-Encoding'));
    const publishedIdentity = identity.events.filter((e) => e.type === type).length;
    const publishedBrowser = browser.events.filter((e) => e.type === type).length;
    // The two reads start and end a few ms apart (more on a loaded machine): a heartbeat or two at
    // the edges is no finding; nothing decoded, half or less of the identity view, or a published
    // event missing is.
    const held = (i.items > 0 && b.items === 0) || (i.items >= 4 && b.items * 2 <= i.items) || publishedBrowser < publishedIdentity;
    const views = `identity view: ${i.decodedBytes} bytes, ${i.items} events/comments/retry lines; browser view: ${b.wireBytes} bytes on the wire${encoding ? `, ${b.decodedBytes} decoded` : ''}, ${b.items} events/comments/retry lines${ctx.cooperative ? `; published events received: ${publishedIdentity} vs ${publishedBrowser}` : ''}`;
    if (!decodable) {
      checks.push(check('held-back', 'INFO', ['SRV-CHUNKING-CAUTION', 'DEPLOY-NO-COMPRESSION-HOLDBACK'], 'the browser view receives what the identity view receives', `cannot decode ${encoding}: ${views}`));
    } else {
      // One level for "held back" across the harness: FAIL when the harness published the event
      // itself and saw it reach one open stream but not the other (as server.response.compression
      // and server.path.buffering judge their published events); NON_STRICT when it is inferred
      // from what the stream happened to send (SRV-CHUNKING-CAUTION is a SHOULD).
      const publishedHeld = ctx.cooperative && publishedBrowser < publishedIdentity;
      checks.push(check('held-back', publishedHeld ? 'FAIL' : held ? 'NON_STRICT' : 'PASS', ['SRV-CHUNKING-CAUTION', 'DEPLOY-NO-COMPRESSION-HOLDBACK'], 'the browser view receives what the identity view receives, as promptly',
        held ? `${Math.max(0, i.decodedBytes - b.decodedBytes)} bytes held back by the compressor (${views}); a browser would get ${b.decodedBytes ? 'only part of the stream' : `nothing but the ${encoding ?? ''} header`}; confidence: likely. Fix: ${FIX.compression}` : views));
    }
    if (i.items === 0 && !ctx.cooperative) checks.push(check('something-to-compare', 'INFO', ['DEPLOY-NO-COMPRESSION-HOLDBACK'], 'the stream sends something during the observe window', `nothing was sent in ${window} ms: hold-back cannot be judged (use --publish, --heartbeat or a longer --observe)`));
    return { checks, evidence, measurements };
  },
};

const idleCase: ServerCase = {
  id: 'server.path.idle-timeout',
  title: 'An idle stream is not cut by a timeout on the path',
  area: 'path',
  requirementIds: ['SRV-COMMENT-KEEPALIVE', 'DEPLOY-IDLE-TIMEOUT-OVER-HEARTBEAT'],
  description: 'Open a stream nobody publishes to and keep it open for the observe window plus 1 s. A stream that ends after a silence was cut by an idle timeout (a proxy\'s read timeout typically also leaves the chunked body unterminated).',
  expectation: 'The stream stays open (PASS; timeouts longer than the window cannot be seen: --observe must exceed the suspected timeout). A cut after a silence is NON_STRICT, with the observed idle timeout and whether the declared heartbeat would keep the connection alive.',
  async run(ctx, signal) {
    const window = ctx.config.observeMs + 1000;
    const result = await ctx.read({ url: ctx.streamUrl(ctx.channel('path-idle')), totalTimeMs: ctx.config.headerTimeoutMs + window, bodyTimeMs: window, maxBodyBytes: 1024 * 1024 }, signal);
    const evidence = [headersEvidence(result), timelineEvidence(result)];
    const why = noStream(result);
    if (why) return { verdict: 'ERROR', reason: `no stream: ${why}`, checks: [], evidence };
    const headersAt = result.headersAt ?? 0;
    const lastByte = result.chunks.length ? result.chunks[result.chunks.length - 1]!.at : headersAt;
    const silence = result.elapsedMs - lastByte;
    const declared = ctx.config.heartbeatMs;
    const expected = `the idle stream stays open for ${window} ms`;
    const ids = ['SRV-COMMENT-KEEPALIVE', 'DEPLOY-IDLE-TIMEOUT-OVER-HEARTBEAT'];
    if (result.end === 'time-up' || result.end === 'stopped') {
      const longer = declared !== undefined && declared * 2 > window ? `; with a ${declared} ms heartbeat declared, --observe should exceed ${declared * 2} ms to see a timeout that the heartbeat must beat` : '';
      return {
        checks: [check('idle-cut', 'PASS', ids, expected, `open for ${Math.round(result.elapsedMs - headersAt)} ms (longest silence at the end ${Math.round(silence)} ms). An idle timeout longer than this window cannot be seen: pass --observe above the suspected timeout (nginx proxy_read_timeout defaults to 60 s)${longer}`)],
        evidence, measurements: [{ name: 'observed-open-ms', value: Math.round(result.elapsedMs - headersAt), unit: 'ms' }],
      };
    }
    if (result.end !== 'eof' && result.end !== 'reset') return { verdict: 'ERROR', reason: `the read ended: ${result.end} ${result.endDetail}`.trim(), checks: [], evidence };
    const unterminated = result.end === 'reset' ? ' and left the body unterminated (no final chunk: the connection was cut, as a proxy does on its read timeout)' : ' with a clean end of body';
    if (silence < 1000) {
      return {
        checks: [check('idle-cut', 'INFO', ids, expected, `the stream ended ${Math.round(result.elapsedMs - headersAt)} ms after the headers while bytes were flowing (last byte ${Math.round(silence)} ms before the end)${unterminated}: not an idle cut; EventSource reconnects`)],
        evidence,
      };
    }
    const timeout = Math.round(silence);
    let heartbeat: string;
    if (declared === undefined) heartbeat = `no heartbeat is declared (--heartbeat) and none arrived in the silence`;
    else if (declared < silence * 0.8) heartbeat = `the declared heartbeat (${declared} ms) is shorter, so it would keep the connection alive, but none arrived in the silence (see server.heartbeat.interval)`;
    else heartbeat = `the declared heartbeat (${declared} ms) is not shorter than the observed timeout: it would not keep the connection alive`;
    return {
      checks: [check('idle-cut', 'NON_STRICT', ids, expected,
        `the stream was cut after ${timeout} ms of silence (observed idle timeout ≈ ${timeout} ms)${unterminated}; ${heartbeat}. Fix: ${FIX.idle(timeout)}`)],
      evidence, measurements: [{ name: 'observed-idle-timeout-ms', value: timeout, unit: 'ms' }],
    };
  },
};

export const PATH_CASES: readonly ServerCase[] = [bufferingCase, compressionCase, idleCase];
