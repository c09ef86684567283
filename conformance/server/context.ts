/**
 * What a server case gets: the target's configuration, bounded reads, the cooperative publish
 * contract, and a shared primary capture (one observation of the stream that the response and
 * framing cases all judge, so they cost one connection instead of one each).
 *
 * Publish contract (cooperative mode, `--publish <url>`): `POST <url>` with a JSON body
 * `{"event"?: string, "data": string, "id"?: string}` or `{"event"?: string, "binary": "<base64>"}`
 * publishes one event to the stream and answers 2xx (optionally `{"id": "..."}`). Optionally
 * `DELETE <url>` closes the channel: the stream URL then answers `204`. When both URLs contain
 * `{channel}`, every case gets a fresh channel name; otherwise cooperative cases share the stream
 * and run one at a time.
 */
import type { RunnableCase } from '../runner.ts';
import { readResponse, type ReadRequest, type ReadResult } from './stream-reader.ts';
import type { Transport } from './transport.ts';

/** A field block left open this long while the stream is quiet counts as unterminated (SRV-EVENT-TERMINATOR). */
export const TERMINATOR_PAUSE_MS = 1000;

export interface ServerTargetConfig {
  /** Stream URL; may contain `{channel}`. */
  readonly url: string;
  /** Extra request headers (including Authorization from `--bearer`), sent on every request unless a case strips them. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether credentials were configured (`--bearer`, an Authorization or Cookie header, or `--auth-query`). */
  readonly hasCredentials: boolean;
  /** `name=value` query credential appended to protected-URL requests (e.g. `token=abc`). */
  readonly authQuery?: string | undefined;
  /** A URL that requires credentials (auth cases run against it). */
  readonly protectedUrl?: string | undefined;
  /** Publish endpoint (cooperative mode); may contain `{channel}`. */
  readonly publishUrl?: string | undefined;
  readonly publishHeaders: Readonly<Record<string, string>>;
  /** Event types whose data must be Base64. */
  readonly base64Events: readonly string[];
  /** Declared heartbeat interval (ms). */
  readonly heartbeatMs?: number | undefined;
  /** How long to observe a stream (ms). */
  readonly observeMs: number;
  /** Query parameter name that carries Last-Event-ID (declared), e.g. `lastEventId`. */
  readonly lastEventIdParam?: string | undefined;
  /** The server declares it does not replay (replay cases become UNSUPPORTED). */
  readonly noReplay: boolean;
  /** Declared statuses: URL → expected status (e.g. 204, 404). */
  readonly expectStatus: readonly { readonly url: string; readonly status: number }[];
  readonly headerTimeoutMs: number;
  /** Max time a published event may take to arrive before it counts as held back. */
  readonly deliveryMs: number;
  readonly maxBodyBytes: number;
  readonly maxLineBytes: number;
  /** fast-check runs for the property case. */
  readonly propertyRuns: number;
  /** Time budget of the property case (runs and shrinking), ms. */
  readonly propertyTimeMs: number;
  /**
   * Other instances of the same deployment (`--peer`, `--peer-publish`): stream URL (may contain
   * `{channel}`, like `url`) and, when given, that instance's publish URL. The cluster cases use them.
   */
  readonly peers?: readonly { readonly url: string; readonly publishUrl?: string | undefined }[] | undefined;
  /** Proxy and TLS trust for every request to the target (transport.ts); default direct with Node's trust. */
  readonly transport?: Transport | undefined;
}

export interface PublishOutcome {
  readonly ok: boolean;
  readonly status: number;
  readonly id?: string | undefined;
  readonly detail: string;
  readonly at: number;
}

/**
 * POSTs one event to a publish URL under the cooperative contract (JSON body; a 2xx answer, with
 * `{"id"}` when the server names the id). Never rejects. `via` names the instance in the detail.
 */
export async function postEvent(config: ServerTargetConfig, url: string, body: PublishBody, signal: AbortSignal, via?: string): Promise<Omit<PublishOutcome, 'at'>> {
  const result = await readResponse({
    url, method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...config.publishHeaders },
    headerTimeoutMs: config.headerTimeoutMs, totalTimeMs: config.headerTimeoutMs * 2, maxBodyBytes: 64 * 1024, signal,
    transport: config.transport,
  });
  const text = new TextDecoder().decode(result.body);
  let id: string | undefined;
  try {
    const json = JSON.parse(text) as { id?: unknown };
    if (typeof json.id === 'string' || typeof json.id === 'number') id = String(json.id);
  } catch {
    // the contract allows any 2xx body
  }
  const ok = result.status >= 200 && result.status < 300;
  const through = via ? ` via the ${via}` : '';
  return { ok, status: result.status, id, detail: ok ? `HTTP ${result.status}${through}` : `publish${through} failed: HTTP ${result.status || result.end} ${result.endDetail} ${text.slice(0, 200)}`.trim() };
}

export interface PublishBody {
  readonly event?: string | undefined;
  readonly data?: string | undefined;
  readonly binary?: string | undefined;
  readonly id?: string | undefined;
}

export interface PrimaryCapture {
  readonly url: string;
  /** The observation window used. */
  readonly observeMs: number;
  readonly result: ReadResult;
  /** Events this harness published during the capture, in order (cooperative mode). */
  readonly published: readonly { readonly body: PublishBody; readonly outcome: PublishOutcome }[];
}

/** Sample events published during the primary capture so framing has something to judge. */
export const PRIMARY_SAMPLES: readonly PublishBody[] = [
  { event: 'ssec-sample', data: 'hello' },
  { event: 'ssec-sample', data: 'line one\nline two' },
  { data: ' leading space and ünïcödé ✓' },
  { event: 'ssec-sample', data: '' },
];

export class ServerContext {
  readonly config: ServerTargetConfig;
  readonly seed: number;
  /** Random per-run nonce: fresh channels and tags never collide across runs. */
  readonly nonce: string;
  private primaryPromise: Promise<PrimaryCapture> | undefined;
  private primaryHeaders: Promise<number> | undefined;
  private resolvePrimaryHeaders: ((status: number) => void) | undefined;
  private readonly memos = new Map<string, Promise<unknown>>();
  private channelCounter = 0;

  constructor(config: ServerTargetConfig, seed: number) {
    this.config = config;
    this.seed = seed;
    this.nonce = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  }

  /** Runs `make` once per key and run; cases that judge the same response share it. */
  memo<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.memos.set(key, p);
    }
    return p;
  }

  /** Whether each case can have its own channel. */
  get channelsTemplated(): boolean {
    return this.config.url.includes('{channel}') && (this.config.publishUrl === undefined || this.config.publishUrl.includes('{channel}'));
  }

  get cooperative(): boolean {
    return this.config.publishUrl !== undefined;
  }

  /** A fresh channel name (or the shared one when the URLs are not templated). */
  channel(tag: string): string {
    return `ssec-${tag}-${this.nonce}-${++this.channelCounter}`;
  }

  streamUrl(channel: string): string {
    return this.config.url.replaceAll('{channel}', encodeURIComponent(channel));
  }

  publishUrl(channel: string): string | undefined {
    return this.config.publishUrl?.replaceAll('{channel}', encodeURIComponent(channel));
  }

  /** A bounded read with the configured headers and caps; `headers` replaces the configured ones when `replaceHeaders`. */
  read(request: Partial<ReadRequest> & { url: string; replaceHeaders?: boolean }, signal: AbortSignal): Promise<ReadResult> {
    const headers = request.replaceHeaders ? { ...request.headers } : { accept: 'text/event-stream', ...this.config.headers, ...request.headers };
    return readResponse({
      headerTimeoutMs: this.config.headerTimeoutMs,
      totalTimeMs: this.config.observeMs,
      maxBodyBytes: this.config.maxBodyBytes,
      maxLineBytes: this.config.maxLineBytes,
      transport: this.config.transport,
      ...request,
      headers,
      signal,
    });
  }

  /** Publishes one event via the cooperative contract. Never rejects. */
  async publish(channel: string, body: PublishBody, signal: AbortSignal, started = performance.now()): Promise<PublishOutcome> {
    const url = this.publishUrl(channel);
    const at = performance.now() - started;
    if (!url) return { ok: false, status: 0, detail: 'no publish endpoint configured', at };
    return { ...(await postEvent(this.config, url, body, signal)), at };
  }

  /** Closes a channel via `DELETE <publish url>`. */
  async closeChannel(channel: string, signal: AbortSignal): Promise<ReadResult | undefined> {
    const url = this.publishUrl(channel);
    if (!url) return undefined;
    return readResponse({
      url, method: 'DELETE', headers: { ...this.config.publishHeaders },
      headerTimeoutMs: this.config.headerTimeoutMs, totalTimeMs: this.config.headerTimeoutMs * 2, maxBodyBytes: 64 * 1024, signal,
      transport: this.config.transport,
    });
  }

  /**
   * The shared observation of the stream: read for the observe window (stopping early once every
   * sample published in cooperative mode has arrived). Made once per run; the first case to ask
   * starts it, with the run's lifetime rather than the asking case's (later cases reuse it).
   */
  primary(runSignal?: AbortSignal): Promise<PrimaryCapture> {
    if (!this.primaryPromise) {
      this.primaryHeaders = new Promise((resolve) => { this.resolvePrimaryHeaders = resolve; });
      this.primaryPromise = this.capturePrimary(runSignal ?? new AbortController().signal);
      void this.primaryPromise.then((c) => this.resolvePrimaryHeaders?.(c.result.status));
    }
    return this.primaryPromise;
  }

  /**
   * Starts the primary capture and resolves as soon as its response headers arrive (with the
   * status), or with the finished capture's reason when none did: the reachability pre-flight.
   */
  async preflight(runSignal?: AbortSignal): Promise<{ status: number; unreachable?: string | undefined }> {
    const capture = this.primary(runSignal);
    const status = await this.primaryHeaders!;
    if (status !== 0) return { status };
    const { result } = await capture;
    const unreachable = result.end === 'unreachable' || result.end === 'bad-url' ? `${result.end}: ${result.endDetail}` : undefined;
    return { status: result.status, unreachable };
  }

  private async capturePrimary(signal: AbortSignal): Promise<PrimaryCapture> {
    const channel = this.channel('primary');
    const url = this.streamUrl(channel);
    const published: { body: PublishBody; outcome: PublishOutcome }[] = [];
    const samples = this.cooperative ? PRIMARY_SAMPLES : [];
    let publishing: Promise<void> | undefined;
    const started = performance.now();
    const expectedTypes = new Set(samples.map((s) => s.event ?? 'message'));
    const result = await this.read({
      url,
      // One terminator pause beyond the window: a field block still open at the end of the window
      // has then been quiet long enough to be judged, however late a loaded machine delivered it.
      totalTimeMs: this.config.headerTimeoutMs + this.config.observeMs + TERMINATOR_PAUSE_MS,
      bodyTimeMs: this.config.observeMs + TERMINATOR_PAUSE_MS,
      onHeaders: ({ status }) => {
        this.resolvePrimaryHeaders?.(status);
        if (status !== 200 || !samples.length) return;
        publishing = (async () => {
          for (const body of samples) published.push({ body, outcome: await this.publish(channel, body, signal, started) });
        })();
      },
      // Stop once every sample arrived and a little more was seen (the blank line after the last).
      stopWhen: samples.length
        ? (p) => p.events.filter((e) => expectedTypes.has(e.type)).length >= samples.length && published.length === samples.length
        : (p) => p.events.length >= 200,
    }, signal);
    await publishing;
    return { url, result, published, observeMs: this.config.observeMs };
  }
}

export type ServerCase = RunnableCase<ServerContext>;
