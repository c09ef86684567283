/**
 * Server cases observed through real browsers (`check <url> --browser chromium,firefox`): the same
 * target watched by a browser's own EventSource. The page runs at the target's origin (request
 * interception answers the page URL; the EventSource request reaches the real target untouched),
 * so the target needs no CORS setup, except in the cross-origin case that exists to test it.
 * Traffic runs through the harness relay (browser-relay.ts), which lets a case end the browser's
 * stream to make it reconnect and shows the `Last-Event-ID` header of plain-HTTP requests.
 *
 * One browser launch per browser and run, shared by its cases; every case gets a fresh browser
 * context (no cookies or connections carried over). A missing browser is an ERROR naming the
 * install step, never a pass.
 */
import { BROWSER_NAMES, BrowserUnavailableError, launchBrowser, type BrowserName, type LaunchedBrowser } from '../browsers.ts';
import type { CaseInfo, CheckResult, Evidence, Measurement } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { headersEvidence } from './capture-evidence.ts';
import type { PublishBody, ServerCase, ServerContext } from './context.ts';
import { openBrowserSession, type BrowserSession, type SessionOptions } from './browser-session.ts';
import { BrowserSessionUnsupportedError, webkitStall } from './browser-webkit.ts';
import { expectedData } from './publish-session.ts';
import type { ReadResult, TimedEvent } from './stream-reader.ts';
import { describeOffered, offeredTo } from './browser-wire.ts';

/** Host of the foreign page origin used by the cross-origin case (`.test` is reserved: RFC 6761). */
export const PROBE_ORIGIN_HOST = 'sse-conformance.test';

/** The page origin of the cross-origin case: same scheme as the target, host {@link PROBE_ORIGIN_HOST}. */
export function probeOrigin(targetUrl: string): string {
  return `${new URL(targetUrl).protocol}//${PROBE_ORIGIN_HOST}`;
}

/** Browsers' reconnection time when the stream sets none (browsers.md: Chromium 3 s, Firefox 5 s; WebKitGTK 2.50 3 s: client.reconnect.default-delay measured 3006 ms). */
const DEFAULT_RETRY_MS: Record<BrowserName, number> = { chromium: 3000, firefox: 5000, webkit: 3000 };
/** Longest `retry` the reconnect case waits out. */
const MAX_RETRY_WAIT_MS = 20_000;

// ---- one launch per browser and run -------------------------------------------------------------

const launches = new WeakMap<ServerContext, Map<BrowserName, Promise<LaunchedBrowser>>>();

/** The run's launch of `name` (one per browser and run, shared by every browser case; closed by {@link closeBrowsers}). */
export function browserFor(ctx: ServerContext, name: BrowserName): Promise<LaunchedBrowser> {
  let perRun = launches.get(ctx);
  if (!perRun) launches.set(ctx, (perRun = new Map()));
  let launch = perRun.get(name);
  if (!launch) {
    launch = launchBrowser(name, 30_000);
    launch.catch(() => undefined); // the cases report it
    perRun.set(name, launch);
  }
  return launch;
}

/** Closes the browsers this run launched (call once the run is over). Never rejects. */
export async function closeBrowsers(ctx: ServerContext): Promise<void> {
  const perRun = launches.get(ctx);
  if (!perRun) return;
  launches.delete(ctx);
  await Promise.all([...perRun.values()].map(async (p) => {
    const launched = await p.catch(() => undefined);
    await launched?.close().catch(() => undefined);
  }));
}

// ---- shared plumbing ----------------------------------------------------------------------------

type Session = BrowserSession;

function cookiesOf(ctx: ServerContext): { name: string; value: string }[] {
  const header = Object.entries(ctx.config.headers).find(([k]) => k.toLowerCase() === 'cookie')?.[1];
  if (!header) return [];
  return header.split(';').map((p) => p.trim()).filter((p) => p.includes('=')).map((p) => ({ name: p.slice(0, p.indexOf('=')).trim(), value: p.slice(p.indexOf('=') + 1).trim() }));
}

/** Launches (once) and opens a session; a browser that cannot run turns into an ERROR outcome. */
async function withSession(
  ctx: ServerContext, name: BrowserName, options: Omit<SessionOptions, 'browser' | 'headerTimeoutMs'>, signal: AbortSignal,
  body: (session: Session, browser: LaunchedBrowser) => Promise<CaseOutcome>,
): Promise<CaseOutcome> {
  let browser: LaunchedBrowser;
  try {
    browser = await browserFor(ctx, name);
  } catch (error) {
    const why = error instanceof BrowserUnavailableError ? error.message : `launching ${name} failed: ${error instanceof Error ? error.message : String(error)}`;
    return { verdict: 'ERROR', reason: why, checks: [] };
  }
  if (signal.aborted) return { verdict: 'ERROR', reason: 'aborted before the browser session started', checks: [] };
  let session: Session;
  try {
    session = await openBrowserSession({ ...options, browser, headerTimeoutMs: ctx.config.headerTimeoutMs });
  } catch (error) {
    // What an engine cannot do (WebKit: an HTTPS page origin) is UNSUPPORTED with the reason, never a pass.
    if (error instanceof BrowserSessionUnsupportedError) return { verdict: 'UNSUPPORTED', reason: error.message, checks: [] };
    return { verdict: 'ERROR', reason: `${browser.version}: ${error instanceof Error ? error.message : String(error)}`, checks: [] };
  }
  try {
    const outcome = await body(session, browser);
    return { ...outcome, evidence: [{ kind: 'text', label: 'browser', text: `${browser.version}; page ${session.pageUrl}${session.route ? `; ${session.route}` : ''}` }, ...(outcome.evidence ?? []), pageEvidence(session), requestEvidence(session)] };
  } finally {
    await session.close();
  }
}

function pageEvidence(session: Session): Evidence {
  const rows = session.reports.slice(0, 60).map((r) => {
    switch (r.k) {
      case 'open': return `+${r.at} ms open (readyState ${r.rs})`;
      case 'error': return `+${r.at} ms error (readyState ${r.rs}${r.rs === 2 ? ' CLOSED' : r.rs === 0 ? ' CONNECTING' : ''})`;
      case 'throw': return `+${r.at} ms constructor threw: ${r.message}`;
      case 'event': return `+${r.at} ms ${JSON.stringify({ type: r.type, data: r.data.length > 120 ? `${r.data.slice(0, 120)}…` : r.data, lastEventId: r.lastEventId })}`;
    }
  });
  if (session.reports.length > 60) rows.push(`… ${session.reports.length - 60} more`);
  return { kind: 'events', label: 'what the browser reported (page EventSource)', text: rows.join('\n') || '(nothing)' };
}

function requestEvidence(session: Session): Evidence {
  const rows = session.streamRequests.map((r, i) => {
    const seen = session.lastEventIdSeen(i);
    const leid = seen === undefined ? '(not observable)' : seen.value === undefined ? '(none)' : JSON.stringify(seen.value);
    const sent = session.sentHeaders[i];
    const cdp = seen?.source === 'relay' && sent ? `; browser's request log: ${JSON.stringify(Object.entries(sent).find(([k]) => k.toLowerCase() === 'last-event-id')?.[1] ?? null)}` : '';
    return `+${r.at} ms GET ${session.options.page.streamUrl} -> ${r.status ?? '(no response seen)'}; Last-Event-ID: ${leid}${seen ? ` (seen by the ${seen.source === 'cdp' ? 'browser\'s request log' : seen.source}${cdp})` : ''}`;
  });
  return { kind: 'requests', label: 'the browser\'s stream requests', text: rows.join('\n') || '(none)' };
}

function opened(s: Session): boolean {
  return s.reports.some((r) => r.k === 'open');
}

function failed(s: Session): boolean {
  return s.reports.some((r) => (r.k === 'error' && r.rs === 2) || r.k === 'throw');
}

/** The outcome when the browser did not open the stream, or undefined when it did. */
function notOpened(ctx: ServerContext, s: Session, wire: ReadResult | undefined): CaseOutcome | undefined {
  if (opened(s)) return undefined;
  const status = s.streamRequests[0]?.status ?? wire?.status;
  const evidence = wire ? [headersEvidence(wire, 'the same URL read by the harness')] : [];
  const credentialsOnlyInHeaders = Boolean(ctx.config.headers['authorization']) && (status === 401 || status === 403);
  if (credentialsOnlyInHeaders) {
    return { verdict: 'UNSUPPORTED', reason: `the stream needs the Authorization header (--bearer/-H), which a browser's EventSource cannot send (the browser got HTTP ${status}); use cookie or query-parameter credentials`, checks: [], evidence };
  }
  const what = failed(s) ? 'the browser failed the connection (error with readyState CLOSED)' : `the browser did not open the stream within ${ctx.config.headerTimeoutMs + 2000} ms`;
  const wireText = wire ? `; the harness read HTTP ${wire.status || wire.end} ${wire.headers['content-type'] ?? '(no Content-Type)'}` : '';
  return {
    checks: [check('browser-opened', 'FAIL', ['SRV-STATUS-200', 'SRV-CONTENT-TYPE'], 'the browser opens the stream (open event, readyState OPEN): HTTP 200 with Content-Type text/event-stream', `${what}; its request got ${status ?? 'no response'}${wireText}`)],
    evidence,
  };
}

function waitOpenOrFail(ctx: ServerContext, s: Session, signal: AbortSignal): Promise<boolean> {
  return s.waitFor(() => opened(s) || failed(s), ctx.config.headerTimeoutMs + 2000, signal);
}

function linked(signal: AbortSignal): AbortController {
  const c = new AbortController();
  if (signal.aborted) c.abort();
  else signal.addEventListener('abort', () => c.abort(), { once: true });
  return c;
}

interface Seen { readonly type: string; readonly data: string; readonly lastEventId: string }

function show(e: Seen | undefined): string {
  return e ? JSON.stringify({ type: e.type, data: e.data.length > 60 ? `${e.data.slice(0, 60)}…` : e.data, id: e.lastEventId }) : 'nothing';
}

function same(a: Seen, b: Seen): boolean {
  return a.type === b.type && a.data === b.data && a.lastEventId === b.lastEventId;
}

/** Events that set a new last event ID, keyed by it: the only events two live connections can pair up. */
export function byId(events: readonly Seen[]): Map<string, Seen> {
  const out = new Map<string, Seen>();
  let last = '';
  for (const e of events) {
    if (e.lastEventId !== last && e.lastEventId !== '') out.set(e.lastEventId, e);
    last = e.lastEventId;
  }
  return out;
}

// ---- dispatch matches wire ----------------------------------------------------------------------

const SAMPLE_DATA = ['hello', 'line one\nline two', ' leading space and ünïcödé ✓', '', 'last'];

async function dispatchMatchesWire(ctx: ServerContext, name: BrowserName, signal: AbortSignal): Promise<CaseOutcome> {
  const channel = ctx.channel(`browser-${name}`);
  const url = ctx.streamUrl(channel);
  const type = `ssec-browser-${ctx.nonce}`;
  const cooperative = ctx.cooperative;
  const samples: PublishBody[] = SAMPLE_DATA.map((data) => ({ event: type, data }));
  // `data:` with an empty value still dispatches (data ""): only an event without any data line is skipped.
  const expected = SAMPLE_DATA.map(expectedData);
  let types = [type];
  const primaryEvents = cooperative ? [] : (await ctx.primary()).result.events;
  if (!cooperative) types = [...new Set(primaryEvents.map((e) => e.type))];
  const harness = linked(signal);
  let headersSeen!: (status: number) => void;
  const headers = new Promise<number>((resolve) => { headersSeen = resolve; });
  const windowMs = cooperative ? ctx.config.headerTimeoutMs + 6000 + 2 * ctx.config.deliveryMs : ctx.config.headerTimeoutMs + ctx.config.observeMs + 4000;
  let reading: Promise<ReadResult> | undefined;
  try {
    return await withSession(ctx, name, { pageOrigin: new URL(url).origin, page: { streamUrl: url, withCredentials: false, types }, cookies: cookiesOf(ctx) }, signal, async (s) => {
      // The harness connects once the browser runs (a slow launch must not eat the harness's window).
      const readStart = performance.now();
      const read = (reading = ctx.read({
        url,
        totalTimeMs: windowMs,
        onHeaders: ({ status }) => headersSeen(status),
        stopWhen: cooperative ? (p) => p.events.filter((e) => e.type === type).length >= expected.length : undefined,
      }, harness.signal));
      void read.then((r) => headersSeen(r.status));
      await waitOpenOrFail(ctx, s, signal);
      if (!opened(s)) {
        harness.abort();
        return notOpened(ctx, s, await read)!;
      }
      const checks: CheckResult[] = [check('browser-opened', 'PASS', ['SRV-STATUS-200', 'SRV-CONTENT-TYPE'], 'the browser opens the stream', `open event, readyState ${(s.reports.find((r) => r.k === 'open') as { rs: number }).rs}`)];
      if (cooperative) {
        await Promise.race([headers, s.pause(ctx.config.headerTimeoutMs, signal)]);
        for (const body of samples) {
          const o = await ctx.publish(channel, body, signal);
          if (!o.ok) { harness.abort(); return { verdict: 'ERROR', reason: `publish failed: ${o.detail}`, checks: [], evidence: [headersEvidence(await read)] }; }
        }
        const browserTagged = () => s.events().filter((e) => e.type === type);
        await s.waitFor(() => browserTagged().length >= expected.length, 2 * ctx.config.deliveryMs + 1000, signal);
        await s.pause(100, signal); // anything extra (a duplicate) would show now
      } else {
        await s.pause(ctx.config.observeMs, signal);
      }
      const windowEnd = performance.now();
      harness.abort();
      const wire = await read;
      const evidence: Evidence[] = [headersEvidence(wire, 'the same URL read by the harness (independent connection)')];
      const browserEvents: Seen[] = s.events().filter((e) => !cooperative || e.type === type);
      const wireEvents: Seen[] = wire.events.filter((e) => !cooperative || e.type === type);
      evidence.push({ kind: 'events', label: 'events the harness parsed from the wire', text: wireEvents.slice(0, 30).map(show).join('\n') || '(none)' });
      if (cooperative) {
        const diff = browserEvents.findIndex((b, i) => !wireEvents[i] || !same(b, wireEvents[i]!));
        const ok = diff < 0 && browserEvents.length === wireEvents.length;
        const at = diff < 0 ? Math.min(browserEvents.length, wireEvents.length) : diff;
        checks.push(check('same-events', ok ? 'PASS' : 'FAIL', ['DISPATCH-IN-ORDER', 'SRV-EVENT-TERMINATOR', 'SRV-DATA-MULTILINE'],
          `the browser dispatches exactly the events the harness parsed from the wire (${wireEvents.length})`,
          ok ? `${browserEvents.length} identical events` : `event #${at + 1}: browser ${show(browserEvents[at])}, wire ${show(wireEvents[at])} (browser ${browserEvents.length}, wire ${wireEvents.length})${!browserEvents.length && wireEvents.length ? `; ${nothingDispatched(s, wire, windowMs, wireEvents.length).cause}` : ''}`));
        const got = browserEvents.map((e) => e.data);
        const dataOk = got.length === expected.length && got.every((d, i) => d === expected[i]);
        checks.push(check('published-data', dataOk ? 'PASS' : 'FAIL', ['SRV-DATA-MULTILINE', 'SRV-UTF8', 'SRV-EVENT-TERMINATOR'],
          `the browser receives the ${expected.length} published payloads as published: ${expected.map((d) => JSON.stringify(d)).join(', ')}`,
          got.length ? got.map((d) => JSON.stringify(d)).join(', ') : 'no events'));
      } else {
        const b = byId(browserEvents);
        const w = byId(wireEvents);
        const common = [...b.keys()].filter((id) => w.has(id));
        const mismatch = common.find((id) => !same(b.get(id)!, w.get(id)!));
        // Only events of types the page listens for can show up in the browser at all.
        const listened = new Set(['message', ...types]);
        const openReport = s.reports.find((r) => r.k === 'open')!;
        const sessionStart = performance.now() - s.now();
        const owed = owedToBrowser(wire.events, { primary: primaryEvents, types: listened, readStart, browserOpen: sessionStart + openReport.at, windowEnd });
        if (!browserEvents.length && owed.length) {
          const nothing = nothingDispatched(s, wire, ctx.config.observeMs, owed.length);
          checks.push(nothing.check);
          evidence.push(...nothing.evidence);
        } else if (!common.length) {
          checks.push(check('same-events', 'INFO', ['DISPATCH-IN-ORDER'], 'events both connections saw (paired by id) are identical',
            !browserEvents.length && !wireEvents.length
              ? `neither the browser nor the harness received an event in the ${ctx.config.observeMs} ms window: nothing to compare (cooperative mode, --publish, publishes known events)`
              : `no event with an id was seen by both the browser (${browserEvents.length} events) and the harness (${wireEvents.length}) in the ${ctx.config.observeMs} ms window: a live stream differs per connection, so nothing is compared (cooperative mode, --publish, makes this exact)`));
        } else {
          checks.push(check('same-events', mismatch === undefined ? 'PASS' : 'FAIL', ['DISPATCH-IN-ORDER', 'SRV-EVENT-TERMINATOR', 'SRV-DATA-MULTILINE'], 'events both connections saw (paired by id) are identical',
            mismatch === undefined ? `${common.length} events with ids seen by both are identical (events seen by only one connection are not compared)` : `id ${JSON.stringify(mismatch)}: browser ${show(b.get(mismatch))}, wire ${show(w.get(mismatch))}`));
        }
      }
      return { checks, evidence };
    });
  } finally {
    harness.abort();
    await reading;
  }
}

/**
 * The events the harness read that the browser had a chance to get on its own connection: those
 * the server sends to every connection (the earlier primary capture got the same event, id
 * included: history on connect), and those the harness got while the browser's stream was open,
 * with 500 ms to spare at the end (delivery to the browser lags a little). A live event the
 * harness caught before the browser connected is not owed to it. Times are `performance.now()`;
 * an event's `at` is relative to `readStart`.
 */
export function owedToBrowser(
  events: readonly TimedEvent[],
  o: { readonly primary: readonly Seen[]; readonly types: ReadonlySet<string>; readonly readStart: number; readonly browserOpen: number; readonly windowEnd: number },
): TimedEvent[] {
  return events.filter((e) => {
    if (!o.types.has(e.type)) return false; // the page listens for these only
    // Repeats only count with an id: id-less live ticks ("data: tick") repeat without being history.
    if (e.lastEventId !== '' && o.primary.some((p) => same(p, e))) return true;
    const at = o.readStart + e.at;
    return at >= o.browserOpen && at <= o.windowEnd - 500;
  });
}

function headerOf(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/**
 * The browser dispatched nothing in the window while the harness's own connection parsed events:
 * the page's users see an empty stream. That is the finding, judged against what the wire offered
 * the browser's connection (the relay's bytes, decoded as the browser decodes them, and the
 * response's Content-Encoding), which also names the likely cause.
 *
 * Level: the server's stream itself is well-formed (the harness parsed it) and HTTP allows any
 * content coding; the only spec text on layers that hold a stream back is an authoring note
 * (SRV-CHUNKING-CAUTION, SHOULD). So NON_STRICT, not FAIL: reported as a deviation that --strict
 * fails, never hidden as "nothing to compare". When the bytes offered to the browser did hold
 * complete events, the server delivered and the browser is the odd one out: INFO.
 */
function nothingDispatched(s: Session, wire: ReadResult, windowMs: number, wireCount: number): { check: CheckResult; cause: string; evidence: Evidence[] } {
  const rel = s.relayed(0);
  const offered = rel ? offeredTo(rel) : undefined;
  const response = s.streamRequests[0]?.responseHeaders ?? rel?.responseHeaders ?? {};
  const browserCoding = headerOf(response, 'content-encoding');
  const harnessCoding = wire.headers['content-encoding'];
  const asked = rel?.headers['accept-encoding'] ?? headerOf(s.sentHeaders[0] ?? {}, 'accept-encoding');
  const relayed = offered ? `the relay forwarded ${describeOffered(offered)}` : 'the bytes on the browser\'s connection are not observable (HTTPS: the relay only tunnels)';
  let cause: string;
  let verdict: 'NON_STRICT' | 'INFO' = 'NON_STRICT';
  if (browserCoding && browserCoding !== harnessCoding) {
    cause = `the browser's response was compressed (Content-Encoding: ${browserCoding}) because the browser asked for it (Accept-Encoding: ${asked ?? '(not observable)'}), while the harness's request asked for none and got ${harnessCoding ? `Content-Encoding: ${harnessCoding}` : 'the events uncompressed'}; ${relayed}: a compressing layer (middleware or proxy) holds the events back until its buffer fills. Flush the compressor after every event, or leave text/event-stream uncompressed`;
  } else if (offered && offered.bytes === 0) {
    cause = `no body byte reached the browser's connection (${relayed}) while the harness's connection got ${wire.body.byteLength}: the stream is held back on the browser's connection (compare the two requests' headers)`;
  } else if (offered && offered.decodedBytes !== undefined && offered.events.length === 0) {
    cause = `${relayed}: bytes, but not one complete event, reached the browser's connection: held back part-way`;
  } else if (offered && offered.events.length) {
    verdict = 'INFO';
    cause = `${relayed}: complete events reached the browser, which dispatched none of them (not the server's doing as far as the wire shows)`;
  } else {
    cause = `${relayed}; the browser's response had ${browserCoding ? `Content-Encoding: ${browserCoding}` : 'no Content-Encoding'}`;
  }
  const c = check('browser-received', verdict, ['SRV-CHUNKING-CAUTION', 'DISPATCH-IN-ORDER'],
    `the browser receives events in the ${windowMs} ms window in which the harness, on its own connection, parsed ${wireCount} it had a chance to get too (sent to every connection, or while its stream was open)`,
    `the browser dispatched no event at all: ${cause}`);
  const evidence: Evidence[] = [{ kind: 'text', label: 'what the wire offered the browser', text: `response headers: ${JSON.stringify(response)}\nrequest Accept-Encoding: ${asked ?? '(not observable)'}\n${relayed}` }];
  return { check: c, cause, evidence };
}

// ---- reconnect and replay -----------------------------------------------------------------------

async function reconnectReplay(ctx: ServerContext, name: BrowserName, signal: AbortSignal): Promise<CaseOutcome> {
  if (ctx.config.noReplay) return { verdict: 'UNSUPPORTED', reason: 'declared: the server does not replay (--no-replay)', checks: [] };
  const primary = await ctx.primary();
  const declaredRetry = primary.result.retries.at(-1);
  const retryMs = declaredRetry ?? DEFAULT_RETRY_MS[name];
  if (retryMs > MAX_RETRY_WAIT_MS) return { verdict: 'UNSUPPORTED', reason: `the stream sets retry: ${retryMs} ms, longer than the harness waits for a reconnect (${MAX_RETRY_WAIT_MS} ms)`, checks: [] };
  const reconnectWaitMs = retryMs + ctx.config.headerTimeoutMs + 2000;
  const channel = ctx.channel(`browser-replay-${name}`);
  const url = ctx.streamUrl(channel);
  const type = `ssec-browser-replay-${ctx.nonce}`;
  const cooperative = ctx.cooperative;
  const types = cooperative ? [type] : [...new Set(primary.result.events.map((e) => e.type))];
  return withSession(ctx, name, { pageOrigin: new URL(url).origin, page: { streamUrl: url, withCredentials: false, types }, cookies: cookiesOf(ctx) }, signal, async (s) => {
    await waitOpenOrFail(ctx, s, signal);
    const no = notOpened(ctx, s, undefined);
    if (no) return no;
    const tagged = (from = 0) => s.events().slice(from).filter((e) => !cooperative || e.type === type);
    if (cooperative) {
      for (const data of ['a', 'b']) {
        const o = await ctx.publish(channel, { event: type, data }, signal);
        if (!o.ok) return { verdict: 'ERROR', reason: `publish failed: ${o.detail}`, checks: [] };
      }
      if (!(await s.waitFor(() => tagged().length >= 2, 2 * ctx.config.deliveryMs + 1000, signal))) {
        return { verdict: 'ERROR', reason: `the browser received ${tagged().length} of the 2 published events`, checks: [] };
      }
    } else if (!(await s.waitFor(() => tagged().some((e) => e.lastEventId !== ''), ctx.config.observeMs, signal))) {
      return { verdict: 'UNSUPPORTED', reason: `the browser saw no event with an id in ${ctx.config.observeMs} ms: nothing to resume from`, checks: [] };
    }
    if (!tagged().at(-1)!.lastEventId) return { verdict: 'UNSUPPORTED', reason: 'the events carry no ids: a browser has nothing to resume from', checks: [] };
    // The stream being cut is the browser's latest request; the one after it is the reconnect.
    const cutRequest = s.streamRequests.length - 1;
    const cutReports = s.reports.length;
    const cutAt = s.now();
    const ended = s.endStreams();
    if (ended === 0) return { verdict: 'ERROR', reason: 'the harness relay carried no open stream to end (the browser did not use the relay)', checks: [] };
    if (cooperative) {
      // Published while the browser is away (it waits `retry` before reconnecting).
      for (const data of ['c', 'd']) {
        const o = await ctx.publish(channel, { event: type, data }, signal);
        if (!o.ok) return { verdict: 'ERROR', reason: `publish while disconnected failed: ${o.detail}`, checks: [] };
      }
    }
    const reconnected = await s.waitFor(() => s.streamRequests.length > cutRequest + 1 && s.reports.slice(cutReports).some((r) => r.k === 'open' || (r.k === 'error' && r.rs === 2)), reconnectWaitMs, signal);
    const measurements: Measurement[] = [];
    const second = s.streamRequests[cutRequest + 1];
    if (second) measurements.push({ name: 'reconnect-delay', value: second.at - cutAt, unit: 'ms' });
    if (!reconnected) {
      return { verdict: 'ERROR', reason: `the browser did not reconnect within ${reconnectWaitMs} ms after its stream ended (retry ${declaredRetry ?? `not set; ${name} default ${retryMs}`} ms)`, checks: [], measurements };
    }
    // What the browser had is judged from what it reported, in page order, up to the error that
    // marks the stream's end, never from when the harness cut: a server that sends its history in
    // one write has delivered all of it before the cut takes effect (reports of a burst arrive
    // after the harness already decided to cut).
    const end = s.reports.slice(cutReports).find((r) => r.k === 'error' || r.k === 'open' || r.k === 'throw');
    const endN = end?.n ?? Number.POSITIVE_INFINITY;
    const had = s.events().filter((e) => e.n < endN);
    const seenBefore = had.filter((e) => !cooperative || e.type === type);
    // The header carries the last event ID string, which an id-only block also sets without any
    // dispatch (DISPATCH-SETS-LAST-EVENT-ID): when the relay saw the bytes, they decide; else the
    // last id the browser dispatched (events of types the page does not listen for stay unseen).
    const dispatchedId = had.at(-1)?.lastEventId ?? '';
    const relayed = s.relayed(cutRequest);
    const offered = relayed ? offeredTo(relayed) : undefined;
    const lastId = offered?.complete ? offered.lastEventId : dispatchedId;
    const basis = `the browser dispatched ${had.length} event(s) before its stream ended, the last with lastEventId ${JSON.stringify(dispatchedId)}${offered ? `; the relay forwarded ${describeOffered(offered)}` : ''}`;
    const evidence: Evidence[] = [{ kind: 'text', label: 'what the browser had when its stream ended', text: basis }];
    const checks: CheckResult[] = [];
    const header = s.lastEventIdHeader(cutRequest + 1);
    const headerOk = lastId === '' ? header === undefined : header === lastId;
    checks.push(check('last-event-id-sent', header === null ? 'INFO' : headerOk ? 'PASS' : 'FAIL', ['LAST-EVENT-ID-HEADER'],
      lastId === '' ? 'the browser\'s reconnect request carries no Last-Event-ID (the last event ID it had was empty)' : `the browser's reconnect request carries Last-Event-ID: ${JSON.stringify(lastId)} (the last event ID the browser had when its stream ended)`,
      `${header === null ? 'not observable (neither the relay nor the browser showed the request headers)' : header === undefined ? 'no Last-Event-ID header' : JSON.stringify(header)}; ${basis}`));
    if (!s.reports.slice(cutReports).some((r) => r.k === 'open')) {
      checks.push(check('reconnect-served', 'FAIL', ['SRV-LAST-EVENT-ID-RESUME', 'RECONNECT-SAME-REQUEST'], 'the reconnect request is served a stream (HTTP 200)', `HTTP ${second?.status ?? '(no response)'}: the browser failed the connection`));
      return { checks, measurements, evidence };
    }
    if (cooperative) {
      const o = await ctx.publish(channel, { event: type, data: 'e' }, signal);
      if (!o.ok) return { verdict: 'ERROR', reason: `publish after the reconnect failed: ${o.detail}`, checks: [], measurements };
      const after = () => s.events().filter((e) => e.n > endN && e.type === type);
      await s.waitFor(() => after().some((e) => e.data === 'e'), 2 * ctx.config.deliveryMs + 1000, signal);
      await s.pause(100, signal);
      const got = after().map((e) => e.data);
      const hadData = new Set(seenBefore.map((e) => e.data));
      const expected = ['c', 'd', 'e'].filter((d) => !hadData.has(d));
      const ok = got.join(',') === expected.join(',');
      const dup = got.filter((d) => hadData.has(d));
      checks.push(check('resumes-exactly', ok ? 'PASS' : 'FAIL', ['SRV-LAST-EVENT-ID-RESUME'],
        `after reconnecting with Last-Event-ID ${JSON.stringify(lastId)} the browser receives ${expected.join(', ')} (published while it was away, then e), once each`,
        `${got.length ? got.join(', ') : 'nothing'}${dup.length ? ` (${[...new Set(dup)].join(', ')} already received before the reconnect)` : ''}`));
    } else {
      await s.pause(ctx.config.observeMs, signal);
      const before = byId(seenBefore);
      const later = s.events().filter((e) => e.n > endN);
      const again = [...byId(later).keys()].filter((id) => before.has(id));
      checks.push(check('no-duplicates', again.length ? 'FAIL' : 'PASS', ['SRV-LAST-EVENT-ID-RESUME'],
        `no event the browser received before the reconnect (${before.size} with ids, up to ${JSON.stringify(dispatchedId)}) is sent again`,
        again.length ? `ids sent again: ${again.slice(0, 5).map((i) => JSON.stringify(i)).join(', ')}` : `${later.length} events after the reconnect, none repeated (gaps cannot be judged on a live stream without --publish)`));
    }
    return { checks, measurements, evidence };
  });
}

// ---- 401 stops the browser ----------------------------------------------------------------------

/** How long the 401 case keeps watching for a further request after the browser gave up. */
const STOP_WATCH_MS = 1500;

async function unauthorizedStops(ctx: ServerContext, name: BrowserName, signal: AbortSignal): Promise<CaseOutcome> {
  const url = ctx.config.protectedUrl;
  if (!url) return { verdict: 'UNSUPPORTED', reason: 'no protected URL declared (--protected-url)', checks: [] };
  return withSession(ctx, name, { pageOrigin: new URL(url).origin, page: { streamUrl: url, withCredentials: false, types: [] } }, signal, async (s) => {
    await waitOpenOrFail(ctx, s, signal);
    await s.pause(STOP_WATCH_MS, signal);
    const status = s.streamRequests[0]?.status;
    const checks: CheckResult[] = [];
    // WebKit: a refusal it cannot finish (a Basic challenge's own dialog, a 401 body still open) is no verdict about the browser.
    const stalled = !opened(s) && !failed(s) ? webkitStall(s) : undefined;
    if (stalled) return { verdict: 'UNSUPPORTED', reason: stalled, checks };
    if (opened(s)) {
      checks.push(check('refused', 'FAIL', ['SRV-AUTH-REJECT'], 'the protected stream is refused (401/403) to a browser without credentials',
        `the browser opened it (HTTP ${status ?? '?'}) and received ${s.events().length} events without credentials`, true));
      return { checks };
    }
    checks.push(check('refused', status === 401 || status === 403 ? 'PASS' : status === undefined ? 'INFO' : 'NON_STRICT', ['SRV-AUTH-REJECT'], 'HTTP 401 or 403 to a browser without credentials',
      status === undefined ? 'the response status was not observable' : `HTTP ${status}`));
    const error = s.reports.find((r) => r.k === 'error');
    const requests = s.streamRequests.length;
    const stopped = failed(s) && requests === 1;
    checks.push(check('browser-stopped', stopped ? 'PASS' : 'FAIL', ['RESP-STATUS-NON-200-FAILS'],
      `the browser fails the connection: error with readyState CLOSED, and no further request within ${STOP_WATCH_MS} ms`,
      `${error ? `error with readyState ${(error as { rs: number }).rs}` : 'no error event'}; ${requests} request(s)${error && (error as { rs: number }).rs === 0 ? ' (the browser is reconnecting: the refusal was not a non-200 HTTP response)' : ''}`));
    return { checks };
  });
}

// ---- cross-origin with credentials --------------------------------------------------------------

async function corsHeaders(ctx: ServerContext, url: string, origin: string, signal: AbortSignal): Promise<ReadResult> {
  return ctx.read({ url, headers: { origin }, totalTimeMs: ctx.config.headerTimeoutMs + 500, bodyTimeMs: 150 }, signal);
}

async function crossOriginCredentials(ctx: ServerContext, name: BrowserName, signal: AbortSignal): Promise<CaseOutcome> {
  const channel = ctx.channel(`browser-cors-${name}`);
  const url = ctx.streamUrl(channel);
  const origin = probeOrigin(url);
  const targetOrigin = new URL(url).origin;
  const probe = await corsHeaders(ctx, url, origin, signal);
  const acao = probe.headers['access-control-allow-origin'];
  const acac = probe.headers['access-control-allow-credentials'];
  const wireEvidence = headersEvidence(probe, `the harness's request with Origin: ${origin}`);
  if (probe.status !== 200) return { verdict: 'ERROR', reason: `the stream URL answered HTTP ${probe.status || probe.end} to a request with Origin: ${origin}`, checks: [], evidence: [wireEvidence] };
  if (acao === undefined) {
    return { verdict: 'UNSUPPORTED', reason: `no Access-Control-Allow-Origin for Origin ${origin}: the target does not offer cross-origin use to it (allow ${origin} with credentials in the target's CORS setup to run this case)`, checks: [], evidence: [wireEvidence] };
  }
  const credentialed = acao === origin && acac === 'true';
  const type = `ssec-browser-cors-${ctx.nonce}`;
  const types = ctx.cooperative ? [type] : [...new Set((await ctx.primary()).result.events.map((e) => e.type))];
  return withSession(ctx, name, { pageOrigin: origin, page: { streamUrl: url, withCredentials: true, types }, cookies: cookiesOf(ctx) }, signal, async (s) => {
    await waitOpenOrFail(ctx, s, signal);
    const checks: CheckResult[] = [];
    const evidence: Evidence[] = [wireEvidence];
    if (!credentialed) {
      const why = acao === '*' ? 'Access-Control-Allow-Origin: * (any origin, but never with credentials)' : acao !== origin ? `Access-Control-Allow-Origin: ${acao} (not ${origin})` : `no Access-Control-Allow-Credentials: true`;
      // The browser must refuse the credentialed response (CORS-FAILURE-FAILS); what the target offers is its choice.
      checks.push(check('browser-refused', failed(s) && !opened(s) ? 'PASS' : 'INFO', ['CORS-FAILURE-FAILS', 'CORS-CREDENTIALS'], 'a credentialed cross-origin EventSource fails against these CORS headers', opened(s) ? 'the browser opened it anyway' : 'error with readyState CLOSED'));
      return { verdict: 'UNSUPPORTED', reason: `the target does not allow credentialed cross-origin use from ${origin}: ${why}`, checks, evidence };
    }
    if (!opened(s)) {
      checks.push(check('cors-credentials', 'FAIL', ['SRV-CORS', 'CORS-CREDENTIALS'], `a page at ${origin} opens the stream with withCredentials (the harness saw Access-Control-Allow-Origin: ${origin} and Access-Control-Allow-Credentials: true)`,
        failed(s) ? `the browser failed the connection (HTTP ${s.streamRequests[0]?.status ?? '?'})` : 'no open event'));
      return { checks, evidence };
    }
    checks.push(check('cors-credentials', 'PASS', ['SRV-CORS', 'CORS-CREDENTIALS'], `a page at ${origin} opens the stream with withCredentials`, 'open event'));
    if (ctx.cooperative) {
      const o = await ctx.publish(channel, { event: type, data: 'cross-origin' }, signal);
      if (!o.ok) return { verdict: 'ERROR', reason: `publish failed: ${o.detail}`, checks, evidence };
      await s.waitFor(() => s.events().some((e) => e.type === type), 2 * ctx.config.deliveryMs + 1000, signal);
      const got = s.events().find((e) => e.type === type);
      checks.push(check('event-delivered', got?.data === 'cross-origin' && got.origin === targetOrigin ? 'PASS' : 'FAIL', ['SRV-CORS', 'REDIRECT-ORIGIN-UPDATE'],
        `the published event reaches the cross-origin page with MessageEvent.origin ${targetOrigin}`, got ? `data ${JSON.stringify(got.data)}, origin ${JSON.stringify(got.origin)}` : 'not received'));
    }
    // An origin this run made up must not be let in with credentials: that would be reflecting any origin.
    const other = `http://ssec-${ctx.nonce}.invalid`;
    const echo = await corsHeaders(ctx, url, other, signal);
    const reflects = echo.headers['access-control-allow-origin'] === other && echo.headers['access-control-allow-credentials'] === 'true';
    evidence.push(headersEvidence(echo, `the harness's request with Origin: ${other}`));
    checks.push(check('no-reflection', reflects ? 'NON_STRICT' : 'PASS', ['SRV-CORS'], `an arbitrary origin (${other}) is not granted credentialed access`,
      reflects ? 'Access-Control-Allow-Origin echoes it with Access-Control-Allow-Credentials: true: any site can read this stream with the user\'s cookies' : `Access-Control-Allow-Origin: ${echo.headers['access-control-allow-origin'] ?? '(none)'}`, reflects));
    return { checks, evidence };
  });
}

// ---- the catalog --------------------------------------------------------------------------------

const TITLE: Record<BrowserName, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' };

/** The browser cases for the given browsers, in report order. Case IDs are stable. */
export function browserCases(names: readonly BrowserName[]): ServerCase[] {
  return names.flatMap((name): ServerCase[] => [
    {
      id: `server.browser.${name}.dispatch-matches-wire`,
      title: `${TITLE[name]}'s EventSource dispatches what the harness reads on the wire`,
      area: 'browser',
      requirementIds: ['SRV-STATUS-200', 'SRV-CONTENT-TYPE', 'SRV-EVENT-TERMINATOR', 'SRV-DATA-MULTILINE', 'SRV-UTF8', 'DISPATCH-IN-ORDER', 'SRV-CHUNKING-CAUTION'],
      description: `A page at the target's origin opens an EventSource in ${TITLE[name]} while the harness reads the same URL on its own connection. Cooperative: 5 events are published (multi-line, non-ASCII, empty data). Black-box: both watch for --observe ms.`,
      expectation: 'The browser opens the stream; it dispatches exactly the events the harness parsed (cooperative: the published payloads, in order). Black-box compares only events with ids both connections saw; none in common is INFO, but a browser that dispatched nothing while the harness read events is NON_STRICT, with the cause seen on the browser\'s own connection (e.g. a compressing layer holding events back).',
      serial: true,
      timeoutMs: 45_000,
      run: (ctx, signal) => dispatchMatchesWire(ctx, name, signal),
    },
    {
      id: `server.browser.${name}.reconnect-replay`,
      title: `${TITLE[name]} reconnects with Last-Event-ID and the server's replay reaches it`,
      area: 'browser',
      requirementIds: ['LAST-EVENT-ID-HEADER', 'SRV-LAST-EVENT-ID-RESUME', 'RECONNECT-ON-EOF'],
      description: `The browser receives a and b; the harness relay ends its stream; c and d are published while it waits \`retry\`; after it reconnects, e is published. Black-box: end the stream once the browser dispatched an event with an id and watch for --observe ms.`,
      expectation: 'The reconnect request carries Last-Event-ID = the last event ID the browser had when its stream ended: from the bytes the relay forwarded (plain HTTP), else the last id it dispatched; a burst it got before the cut counts (INFO when the header is not observable). Then the browser receives exactly c, d, e (black-box: no event it already had).',
      serial: true,
      timeoutMs: 45_000,
      run: (ctx, signal) => reconnectReplay(ctx, name, signal),
    },
    {
      id: `server.browser.${name}.401-stops`,
      title: `A refusal without credentials stops ${TITLE[name]}'s EventSource`,
      area: 'browser',
      requirementIds: ['SRV-AUTH-REJECT', 'RESP-STATUS-NON-200-FAILS'],
      description: `A page at the protected URL's origin opens an EventSource to it without credentials; the harness counts the browser's requests.`,
      expectation: `401 (or 403); the browser fires error with readyState CLOSED and makes no further request for ${STOP_WATCH_MS} ms. The browser opening the stream is a FAIL and a security finding.`,
      serial: true,
      timeoutMs: 30_000,
      run: (ctx, signal) => unauthorizedStops(ctx, name, signal),
    },
    {
      id: `server.browser.${name}.cross-origin-credentials`,
      title: `A page on another origin reads the stream in ${TITLE[name]} with withCredentials`,
      area: 'browser',
      requirementIds: ['SRV-CORS', 'CORS-CREDENTIALS', 'CORS-FAILURE-FAILS'],
      description: `A page at ${'<scheme>'}://${PROBE_ORIGIN_HOST} (served by interception) opens new EventSource(url, {withCredentials: true}); cooperative: one event is published.`,
      expectation: `When the target grants that origin credentialed access (exact Access-Control-Allow-Origin plus Access-Control-Allow-Credentials: true), the browser opens the stream and gets the event; an arbitrary origin is not granted the same (NON_STRICT, security). A target that does not grant it is UNSUPPORTED.`,
      serial: true,
      timeoutMs: 30_000,
      run: (ctx, signal) => crossOriginCredentials(ctx, name, signal),
    },
  ]);
}

/** Static descriptions of every browser case (all browsers), for listing and coverage. */
export const BROWSER_CASES: readonly CaseInfo[] = browserCases(BROWSER_NAMES).map(({ id, title, area, requirementIds, description, expectation }) => ({ id, title, area, requirementIds, description, expectation }));

/** Parses `--browser chromium,firefox`. Throws with the known names on anything else. */
export function parseBrowserList(value: string): BrowserName[] {
  const out: BrowserName[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (!(BROWSER_NAMES as readonly string[]).includes(name)) throw new Error(`unknown browser ${JSON.stringify(raw.trim())} (use ${BROWSER_NAMES.join(', ')})`);
    if (!out.includes(name as BrowserName)) out.push(name as BrowserName);
  }
  if (!out.length) throw new Error(`no browser named (use ${BROWSER_NAMES.join(', ')})`);
  return out;
}
