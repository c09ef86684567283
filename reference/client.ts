/**
 * The reference EventSource for Node: the WHATWG processing model step by step, on undici and the
 * reference parser, with the browser's interface so it can stand in for `EventSource` (plus a
 * `headers` and a `fetch` option that Node users need). Without a `fetch` option the request goes
 * through undici's dispatcher API with the Fetch steps an event stream needs done here (see
 * fetchWithDispatcher): the same request on the wire as undici's `fetch`, without its per-read
 * web-stream cost.
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
 *
 * Every observable step is a queued task (TASK-SOURCE), run in order from one queue, so `open`,
 * `message` and `error` keep their order and a `close()` from any handler suppresses everything
 * still queued (DISPATCH-AFTER-CLOSE-SUPPRESSED, RECONNECT-ABORT-IF-CLOSED). Each task runs in its
 * own `setImmediate` callback, and Node performs a microtask checkpoint between two immediates, as
 * HTML's event loop does after every task: a handler that awaits something settled and then
 * calls `close()` sees no further event, and code resumed after `await once(es, 'open')` runs
 * before the next task.
 */
import { Readable, Transform, pipeline, type Duplex } from 'node:stream';
import { constants as zlibConstants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import { createParser, type SseEvent, type SseParser } from './parser.ts';

/** The `fetch` signature the client needs (undici's, the global one, or a test double). */
export type FetchLike = (input: string, init: {
  method: 'GET';
  headers: Record<string, string>;
  redirect: 'follow';
  signal: AbortSignal;
  credentials: 'include' | 'same-origin';
  cache: 'no-store';
}) => Promise<Response>;

export interface EventSourceInit {
  /** CORS-CREDENTIALS: credentials mode `include` instead of `same-origin`. Node has no cookie jar; kept for the interface. */
  withCredentials?: boolean | undefined;
  /**
   * Extra request headers (e.g. `Authorization`), sent on the first request and on every
   * reconnection (RECONNECT-SAME-REQUEST). `Accept`, `Cache-Control` and `Last-Event-ID` are the
   * client's own and cannot be overridden.
   */
  headers?: Record<string, string> | undefined;
  /**
   * A fetch to use instead of the built-in transport (undici's dispatcher, making the request
   * undici's `fetch` would). It gets the URL without its userinfo (credentials in the URL are sent
   * as `Authorization`, see {@link EventSource}). A response that is not a `Response`-like object
   * with a web `ReadableStream` body (or `null`) counts as a network error.
   */
  fetch?: FetchLike | undefined;
  /** Initial reconnection time in ms (RETRY-DEFAULT, implementation-defined). @defaultValue 3000 */
  defaultReconnectionTime?: number | undefined;
}

/** RETRY-LARGE-VALUE: setTimeout wraps above 2^31-1 ms to about zero; clamp to this (~24.8 days). */
export const MAX_RECONNECTION_TIME = 2 ** 31 - 1;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSED;

/** The essence of a MIME type (CONTENT-TYPE-PARAMS-IGNORED, CONTENT-TYPE-CASE), or '' when unparsable. */
export function mimeEssence(contentType: string | null): string {
  if (contentType === null) return '';
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '').toLowerCase();
  // type "/" subtype, both HTTP tokens.
  return /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(essence) ? essence : '';
}

/** A header value carrying `text` as UTF-8 bytes (LAST-EVENT-ID-HEADER): fetch headers are byte strings. */
function utf8ByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Percent-decodes a URL's username or password; a malformed escape is kept as written. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

type Handler = ((this: EventSource, event: Event) => unknown) | null;

/** What the task queue holds: a parsed event to dispatch as a `message` task, or one of the other steps. */
const TASK_OPEN = 0;
const TASK_ERROR_RECONNECTING = 1;
const TASK_ERROR_FAIL = 2;
const TASK_RECONNECT = 3;
type Task = SseEvent | typeof TASK_OPEN | typeof TASK_ERROR_RECONNECTING | typeof TASK_ERROR_FAIL | typeof TASK_RECONNECT;

/** The connection's state that the steps after the response need. */
interface Connection {
  readonly abort: AbortController;
  /** Set when this fetch carries the URL's credentials (Fetch's isAuthenticationFetch). */
  readonly authenticating: boolean;
}

/**
 * `new EventSource(url, init)`. Interface as WebIDL defines it: the constants are read-only on the
 * constructor and the prototype (not on instances), the attributes and `close()` are enumerable
 * prototype members, and a missing `url` argument is a `TypeError`.
 *
 * Credentials in the URL (`http://user:pass@host/`) are kept in {@link url} but are not part of the
 * fetched URL: REQ-POTENTIAL-CORS sets the use-URL-credentials flag, so, as Fetch does for an
 * authentication fetch, a `401` answer to the request without them is retried once with
 * `Authorization: Basic` from the URL's username and password (unless `headers` sets its own
 * `Authorization`).
 */
export class EventSource extends EventTarget {
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSED: 2;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSED: 2;

  readonly #url: string;
  /** The URL fetched: {@link #url} without userinfo. */
  readonly #requestUrl: string;
  /** `Basic …` from the URL's userinfo, or '' when it has none. */
  readonly #urlAuthorization: string;
  readonly #withCredentials: boolean;
  readonly #headers: Record<string, string>;
  /** The user's fetch, or undefined for the default transport (fetchWithDispatcher). */
  readonly #fetch: FetchLike | undefined;
  #readyState: ReadyState = CONNECTING;
  /** The reconnection time (RETRY-PERSISTS: belongs to the object, kept across connections). */
  #reconnectionTime: number;
  #parser: SseParser;
  #origin = '';
  #connection: Connection | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** TASK-SOURCE: pending tasks from #head on; each has its own immediate scheduled. */
  #tasks: Task[] = [];
  #head = 0;
  readonly #runTask = (): void => this.#runNextTask();
  #handlers: Map<string, { handler: Handler; listener: (event: Event) => void }> | undefined;

  constructor(url: string | URL, init?: EventSourceInit | null) {
    super();
    // WebIDL: the url argument is required; ToString of it (a Symbol throws a TypeError).
    if (arguments.length === 0) throw new TypeError("Failed to construct 'EventSource': 1 argument required, but only 0 present.");
    const urlString = `${url as string}`;
    init ??= {};
    // API-CTOR-STRINGIFY, API-CTOR-URL-PARSE: there is no document base in Node, so the URL must be absolute.
    let parsed: URL;
    try {
      parsed = new URL(urlString);
    } catch {
      throw new DOMException(`EventSource: cannot parse URL ${JSON.stringify(urlString)}`, 'SyntaxError');
    }
    this.#url = parsed.href;
    this.#headers = { ...(init.headers ?? {}) };
    const hasAuthorization = Object.keys(this.#headers).some((name) => name.toLowerCase() === 'authorization');
    if (parsed.username !== '' || parsed.password !== '') {
      const credentials = `${percentDecode(parsed.username)}:${percentDecode(parsed.password)}`;
      // An Authorization of the caller's own wins (Fetch only adds one when the request has none).
      this.#urlAuthorization = hasAuthorization ? '' : `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    } else {
      this.#urlAuthorization = '';
    }
    this.#requestUrl = parsed.href;
    this.#withCredentials = Boolean(init.withCredentials);
    this.#fetch = init.fetch;
    const initialDelay = init.defaultReconnectionTime ?? 3000;
    if (!(Number.isFinite(initialDelay) && initialDelay >= 0)) throw new RangeError(`EventSource: defaultReconnectionTime must be a non-negative number, got ${initialDelay}`);
    this.#reconnectionTime = initialDelay;
    this.#parser = createParser({
      // DISPATCH-AFTER-CLOSE-SUPPRESSED: dispatch is a task that does nothing once CLOSED.
      onEvent: (event) => this.#queueTask(event),
      // RETRY-APPLIES-IMMEDIATELY, RETRY-PERSISTS.
      onRetry: (milliseconds) => {
        this.#reconnectionTime = milliseconds;
      },
    });
    this.#connect(false);
  }

  get url(): string {
    return this.#url; // API-URL-GETTER, REDIRECT-RECONNECT-ORIGINAL-URL: never the redirect target
  }
  get withCredentials(): boolean {
    return this.#withCredentials;
  }
  get readyState(): ReadyState {
    return this.#readyState;
  }

  get onopen(): Handler {
    return this.#getHandler('open');
  }
  set onopen(handler: Handler) {
    this.#setHandler('open', handler);
  }
  get onmessage(): Handler {
    return this.#getHandler('message');
  }
  set onmessage(handler: Handler) {
    this.#setHandler('message', handler);
  }
  get onerror(): Handler {
    return this.#getHandler('error');
  }
  set onerror(handler: Handler) {
    this.#setHandler('error', handler);
  }

  /** API-CLOSE: aborts the fetch, cancels a pending reconnection, sets CLOSED synchronously. */
  close(): void {
    this.#readyState = CLOSED;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    // Every queued task would do nothing now: drop them (their immediates find the queue empty).
    this.#tasks = [];
    this.#head = 0;
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.abort.abort();
  }

  // API-EVENT-HANDLERS: an event handler IDL attribute keeps its listener's place while set.
  #getHandler(type: string): Handler {
    return this.#handlers?.get(type)?.handler ?? null;
  }
  #setHandler(type: string, handler: Handler): void {
    const handlers = (this.#handlers ??= new Map());
    const existing = handlers.get(type);
    if (typeof handler !== 'function') {
      if (existing) this.removeEventListener(type, existing.listener);
      handlers.delete(type);
      return;
    }
    if (existing) {
      existing.handler = handler;
      return;
    }
    const entry = {
      handler,
      listener: (event: Event) => {
        entry.handler?.call(this, event);
      },
    };
    handlers.set(type, entry);
    this.addEventListener(type, entry.listener);
  }

  /** TASK-SOURCE: queues a task; one immediate per task, so microtasks run between two tasks. */
  #queueTask(task: Task): void {
    this.#tasks.push(task);
    setImmediate(this.#runTask);
  }

  #runNextTask(): void {
    const tasks = this.#tasks;
    if (this.#head >= tasks.length) return; // dropped by close()
    const task = tasks[this.#head]!;
    if (++this.#head === tasks.length) {
      this.#tasks = [];
      this.#head = 0;
    } else if (this.#head >= 4096 && this.#head * 2 >= tasks.length) {
      this.#tasks = tasks.slice(this.#head);
      this.#head = 0;
    }
    if (typeof task === 'object') {
      if (this.#readyState === CLOSED) return;
      // EVT-MESSAGE-EVENT: data, origin (REDIRECT-ORIGIN-UPDATE), lastEventId.
      this.dispatchEvent(new MessageEvent(task.type, { data: task.data, origin: this.#origin, lastEventId: task.lastEventId }));
      return;
    }
    switch (task) {
      case TASK_OPEN: // ANNOUNCE-OPEN
        if (this.#readyState === CLOSED) return;
        this.#readyState = OPEN;
        this.dispatchEvent(new Event('open')); // EVT-OPEN-SIMPLE
        return;
      case TASK_ERROR_RECONNECTING: // RECONNECT-ERROR-EVENT
        if (this.#readyState === CLOSED) return;
        this.#readyState = CONNECTING;
        this.dispatchEvent(new Event('error')); // EVT-ERROR-SIMPLE
        return;
      case TASK_ERROR_FAIL: // FAIL-CONNECTION
        if (this.#readyState === CLOSED) return;
        this.#readyState = CLOSED;
        this.dispatchEvent(new Event('error'));
        return;
      case TASK_RECONNECT: // RECONNECT-ABORT-IF-CLOSED
        if (this.#readyState !== CONNECTING) return;
        this.#connect(false);
        return;
    }
  }

  /** Starts one fetch of the EventSource's request (RECONNECT-SAME-REQUEST). */
  #connect(authenticating: boolean): void {
    const connection: Connection = { abort: new AbortController(), authenticating };
    this.#connection = connection;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#headers)) {
      const lower = name.toLowerCase();
      if (lower !== 'accept' && lower !== 'cache-control' && lower !== 'last-event-id') headers[name] = value;
    }
    headers['Accept'] = 'text/event-stream'; // REQ-ACCEPT
    headers['Cache-Control'] = 'no-cache'; // REQ-CACHE-NO-STORE (what Fetch's no-store adds on the wire)
    headers['Pragma'] = 'no-cache';
    // REQ-POTENTIAL-CORS: use-URL-credentials; sent on the authentication fetch after a 401.
    if (authenticating) headers['Authorization'] = this.#urlAuthorization;
    // LAST-EVENT-ID-HEADER, LAST-EVENT-ID-NOT-INITIAL (empty on the first request), LAST-EVENT-ID-CLEARED.
    const lastEventId = this.#parser.lastEventId;
    if (lastEventId !== '') headers['Last-Event-ID'] = utf8ByteString(lastEventId);
    let answer: Promise<Answer>;
    try {
      answer = this.#fetch === undefined
        ? fetchWithDispatcher(this.#requestUrl, headers, connection.abort.signal)
        : fetchWithFetch(this.#fetch, this.#requestUrl, headers, connection.abort.signal, this.#withCredentials);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (res) => this.#onResponse(res, connection),
      () => this.#onNetworkError(connection),
    );
  }

  /** RESP-ABORTED-FAILS is our own close(); anything else is a network error (RESP-NETWORK-ERROR-RECONNECTS). */
  #onNetworkError(connection: Connection): void {
    if (connection.abort.signal.aborted || this.#connection !== connection) return;
    this.#reestablish();
  }

  #onResponse(res: Answer, connection: Connection): void {
    if (connection.abort.signal.aborted || this.#connection !== connection) {
      res.discard();
      return;
    }
    // use-URL-credentials: one authentication fetch with the URL's credentials after a 401.
    if (res.status === 401 && this.#urlAuthorization !== '' && !connection.authenticating) {
      res.discard();
      this.#connect(true);
      return;
    }
    // RESP-STATUS-NON-200-FAILS, RECONNECT-204-STOPS, CONTENT-TYPE-MISMATCH-FAILS.
    if (res.status !== 200 || mimeEssence(res.contentType) !== 'text/event-stream') {
      res.discard();
      this.#failConnection();
      return;
    }
    // REDIRECT-ORIGIN-UPDATE: origin of the final URL.
    try {
      this.#origin = new URL(res.url || this.#requestUrl).origin;
    } catch {
      this.#origin = new URL(this.#requestUrl).origin;
    }
    this.#queueTask(TASK_OPEN); // ANNOUNCE-OPEN
    const parser = this.#parser;
    res.read(
      (chunk) => {
        if (this.#connection === connection) parser.feed(chunk);
      },
      () => {
        // G6: a body that errors mid-stream is a lost connection, like one that ends.
        if (this.#connection !== connection || connection.abort.signal.aborted) return;
        parser.end(); // PARSE-EOF-DISCARD, LASTID-NOT-FROM-INCOMPLETE-EVENT
        this.#reestablish(); // RECONNECT-ON-EOF
      },
    );
  }

  /** "Reestablish the connection". */
  #reestablish(): void {
    this.#connection = undefined;
    this.#queueTask(TASK_ERROR_RECONNECTING); // RECONNECT-ERROR-EVENT
    // RECONNECT-DELAY: never shorter than the reconnection time; RETRY-LARGE-VALUE: clamp so setTimeout never wraps.
    // The delay starts when the loss is noticed; the reconnection time in force is read now.
    const delay = Math.min(this.#reconnectionTime, MAX_RECONNECTION_TIME);
    // Step 4 is a task on the same queue, so it always runs after step 1's error task (even with
    // a 0 ms delay): RECONNECT-ABORT-IF-CLOSED.
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#queueTask(TASK_RECONNECT);
    }, delay);
  }

  /** FAIL-CONNECTION: one error event, CLOSED, never reconnects. */
  #failConnection(): void {
    this.#connection = undefined;
    this.#queueTask(TASK_ERROR_FAIL);
  }
}

/**
 * What the processing model needs of a fetch's response, from either transport: the status, the
 * `Content-Type` value, the final URL, and the body as a sequence of byte chunks.
 */
interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly url: string;
  /** Reads the body: `onChunk` for every chunk, then `onEnd` once (ended or failed: G6 treats both alike). */
  read(onChunk: (chunk: Uint8Array) => void, onEnd: () => void): void;
  /** Drops the body unread. */
  discard(): void;
}

/** Fetch's redirect statuses (REDIRECT-FOLLOW). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Fetch's redirect limit: the 21st redirect is a network error. */
const MAX_REDIRECTS = 20;

/** A header as one value: repeated headers joined with ", ", as Fetch's `get` does. */
function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.join(', ');
}

/**
 * The default transport: the same request undici's `fetch` makes (its headers on the wire
 * included), through undici's dispatcher API, with Fetch's steps that matter for an event stream
 * done here: redirects followed up to 20 (REDIRECT-FOLLOW; a Location that does not parse or is
 * not HTTP(S) is a network error; `Authorization` dropped when a redirect changes origin, and a
 * Location with credentials refused across origins, as Fetch's HTTP-redirect fetch does in CORS
 * mode) and the content codings undici decodes. The body's chunks go from undici's HTTP parser to
 * the event-stream parser through a handler of our own (dispatchGet): no Request, Response,
 * Headers or web ReadableStream per connection, and no Node stream unless the body is compressed.
 */
async function fetchWithDispatcher(url: string, requestHeaders: Record<string, string>, signal: AbortSignal): Promise<Answer> {
  let headers = requestHeaders;
  const own = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  // What undici's fetch adds to a request that does not set them.
  const defaults: Array<[string, string]> = [['accept-language', '*'], ['sec-fetch-mode', 'cors'], ['user-agent', 'undici'], ['accept-encoding', 'gzip, deflate']];
  for (const [name, value] of defaults) if (!own.has(name)) headers[name] = value;
  let current = new URL(url);
  // Node has no document: the request's origin is taken to be the EventSource URL's own, so the
  // first response is same-origin ("basic"), and a hop to another origin makes it "cors".
  const origin = current.origin;
  let corsTainted = false;
  for (let redirects = 0; ; redirects++) {
    const res = await dispatchGet(current, headers, signal);
    const location = headerValue(res.headers['location']);
    if (REDIRECT_STATUSES.has(res.status) && location !== null) {
      res.body.discard();
      if (redirects === MAX_REDIRECTS) throw new TypeError('redirect count exceeded');
      const next = new URL(location, current); // a TypeError (network error) when it does not parse
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new TypeError(`redirect to a ${next.protocol} URL`);
      // HTTP-redirect fetch, mode "cors": a Location with credentials is a network error when it
      // is cross-origin to the request's origin, or once the response tainting is "cors".
      if (next.username !== '' || next.password !== '') {
        if (next.origin !== origin || corsTainted) throw new TypeError('redirect to a URL with credentials in CORS mode');
        next.username = ''; // same-origin: followed; userinfo never goes on the wire
        next.password = '';
      }
      if (next.origin !== origin) corsTainted = true;
      if (next.origin !== current.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
      }
      current = next;
      continue;
    }
    const contentEncoding = headerValue(res.headers['content-encoding']);
    const body = res.body;
    return {
      status: res.status,
      contentType: headerValue(res.headers['content-type']),
      url: current.href,
      read(onChunk, onEnd) {
        if (contentEncoding === null) {
          body.read(onChunk, onEnd);
          return;
        }
        // Compressed: through a Node stream to the decoders (the uncompressed path has no stream).
        const compressed = new Readable({ read() {} });
        // A copy: the body reuses its coalescing buffer once a chunk is handed on, and the stream keeps chunks.
        body.read((chunk) => compressed.push(Uint8Array.prototype.slice.call(chunk)), () => compressed.push(null));
        const decoded = decodeContent(compressed, contentEncoding);
        let ended = false;
        const end = (): void => {
          if (ended) return;
          ended = true;
          onEnd();
        };
        decoded.on('data', onChunk);
        decoded.once('end', end);
        decoded.once('error', end);
        decoded.once('close', end);
      },
      discard() {
        body.discard();
      },
    };
  }
}

/** A coalescing buffer larger than this is let go once handed on (memory per connection stays small). */
const RETAINED_COALESCING_BYTES = 4 * 1024;

/**
 * A response body from {@link dispatchGet}: the chunks as undici's HTTP parser hands them over,
 * to one reader. Chunks that arrive before `read()` (the parser may deliver the first ones with
 * the headers, before the caller's promise callbacks run) wait in order.
 *
 * The chunks of one socket read are handed on as one piece, from a microtask queued by the first
 * (so before anything else runs): where a body's chunks fall does not change what an event stream
 * means (PARSE-CHUNK-INVARIANCE), and a parser call per piece is what a server writing every few
 * bytes separately would otherwise cost (fetch's body reader coalesces the same way). A lone chunk
 * is handed on as it is; several are copied into one buffer, reused while it stays small.
 */
class DispatchedBody {
  #waiting: Buffer[] = [];
  #onChunk: ((chunk: Uint8Array) => void) | undefined;
  #onEnd: (() => void) | undefined;
  #read = false;
  #ended = false;
  #discarded = false;
  /** The current turn's chunk while it is the only one; then its bytes and the later ones are in `#joined`. */
  #single: Buffer | undefined;
  #joined: Uint8Array = new Uint8Array(0);
  #joinedLength = 0;
  #turnOpen = false;
  readonly #closeTurn = (): void => {
    this.#turnOpen = false;
    this.#handOn();
  };
  constructor(private readonly abort: () => void) {}

  /** From the handler: the next chunk of the body. */
  push(chunk: Buffer): void {
    if (this.#ended || this.#discarded) return;
    if (this.#onChunk === undefined) {
      this.#waiting.push(chunk);
    } else if (!this.#turnOpen) {
      this.#turnOpen = true;
      this.#single = chunk;
      queueMicrotask(this.#closeTurn);
    } else {
      const single = this.#single;
      if (single !== undefined) {
        this.#single = undefined;
        this.#append(single);
      }
      this.#append(chunk);
    }
  }

  /** From the handler: the body ended or failed (G6 treats both alike). Chunks not read yet stay for `read()`. */
  end(): void {
    if (this.#ended) return;
    this.#handOn();
    this.#ended = true;
    if (this.#read) this.#finish();
  }

  /** Hands over the chunks that came before it (joined), then the chunks as they come, then the end (once). */
  read(onChunk: (chunk: Uint8Array) => void, onEnd: () => void): void {
    if (this.#read) throw new Error('DispatchedBody: read() twice');
    this.#read = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#onEnd = onEnd;
    if (waiting.length !== 0) onChunk(waiting.length === 1 ? waiting[0]! : Buffer.concat(waiting));
    if (this.#discarded) return;
    if (this.#ended) this.#finish();
    else this.#onChunk = onChunk;
  }

  discard(): void {
    if (this.#discarded) return;
    this.#discarded = true;
    this.#waiting = [];
    this.#single = undefined;
    this.#joinedLength = 0;
    this.#onChunk = undefined;
    this.#onEnd = undefined;
    if (!this.#ended) {
      this.#ended = true;
      this.abort();
    }
  }

  /** Copies `chunk` behind the joined bytes (a loop for the small pieces this is for: cheaper than a `set` call). */
  #append(chunk: Uint8Array): void {
    const length = chunk.length;
    let at = this.#joinedLength;
    let target = this.#joined;
    if (at + length > target.length) {
      const grown = Buffer.allocUnsafe(Math.max(at + length, target.length * 2, 1024)); // every byte read is written first
      grown.set(target.subarray(0, at));
      target = this.#joined = grown;
    }
    if (length <= 32) for (let i = 0; i < length; i++) target[at++] = chunk[i]!;
    else target.set(chunk, at);
    this.#joinedLength = at + (length <= 32 ? 0 : length);
  }

  /** The turn's bytes to the reader; the parser copies what it keeps, so the buffer can be reused after. */
  #handOn(): void {
    const single = this.#single;
    if (single !== undefined) {
      this.#single = undefined;
      this.#onChunk?.(single);
      return;
    }
    const length = this.#joinedLength;
    if (length === 0) return;
    this.#joinedLength = 0;
    const joined = this.#joined;
    if (joined.length > RETAINED_COALESCING_BYTES) this.#joined = new Uint8Array(0);
    this.#onChunk?.(joined.subarray(0, length));
  }

  #finish(): void {
    const onEnd = this.#onEnd;
    this.#onChunk = undefined;
    this.#onEnd = undefined;
    if (!this.#discarded) onEnd?.();
  }
}

/**
 * One GET through undici's global dispatcher with a handler of our own, resolved at the response
 * headers. The body goes from undici's HTTP parser straight to the reader: no Node stream (and
 * its buffering when a read holds many chunks) between the socket and the event-stream parser.
 * A network error before the headers rejects; after them it ends the body. `signal` aborts both.
 *
 * The handler speaks the callback set every undici dispatcher understands (onConnect, onHeaders,
 * onData, onComplete, onError): the global dispatcher may be another copy's (Node 22's built-in
 * fetch installs its bundled undici 6 Agent there), which ignores undici 7's onResponse* callbacks.
 */
function dispatchGet(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number; headers: IncomingHttpHeaders; body: DispatchedBody }> {
  return new Promise((resolve, reject) => {
    let abort: ((reason?: Error) => void) | undefined;
    let body: DispatchedBody | undefined;
    const abortReason = (): Error => (signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError'));
    const onAbort = (): void => abort?.(abortReason());
    const done = (): void => signal.removeEventListener('abort', onAbort);
    if (signal.aborted) {
      reject(abortReason());
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (signal.aborted) abortRequest(abortReason());
      },
      onHeaders(statusCode, rawHeaders) {
        if (statusCode < 200) return true; // 1xx: the final response follows
        body = new DispatchedBody(() => abort?.(new DOMException('The body was discarded', 'AbortError')));
        resolve({ status: statusCode, headers: headersFromRaw(rawHeaders), body });
        return true;
      },
      onData(chunk) {
        body?.push(chunk);
        return true;
      },
      onComplete() {
        done();
        body?.end();
      },
      onError(error) {
        done();
        if (body === undefined) reject(error);
        else body.end();
      },
    };
    try {
      // bodyTimeout 0: an event stream may be silent for as long as its server likes (HTML sets no
      // limit); undici's default would cut it after 300 s without data, and refreshes a timer per chunk.
      getGlobalDispatcher().dispatch({ origin: url.origin, path: url.pathname + url.search, method: 'GET', headers, bodyTimeout: 0 }, handler);
    } catch (error) {
      done();
      reject(error);
    }
  });
}

/** Response headers from undici's raw name/value list: names lower-cased, values as bytes (latin1), repeats kept in order. */
function headersFromRaw(raw: ReadonlyArray<Buffer | string> | null): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  if (raw === null) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}

/**
 * Content codings as undici's fetch decodes them (gzip, x-gzip, deflate with or without the zlib
 * wrapper, br; codings applied in order, undone in reverse; an unknown coding leaves the body as
 * it is), flushing what has arrived so an event is not held back.
 */
function decodeContent(body: Readable, contentEncoding: string | null): Readable {
  if (contentEncoding === null) return body;
  const codings = contentEncoding.toLowerCase().split(',').map((c) => c.trim());
  if (codings.length > 5) {
    body.destroy(new Error('too many content-encodings'));
    return body;
  }
  const decoders: Duplex[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i];
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(createGunzip({ flush: zlibConstants.Z_SYNC_FLUSH, finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    else if (coding === 'deflate') decoders.push(inflateEitherWay());
    else if (coding === 'br') decoders.push(createBrotliDecompress({ flush: zlibConstants.BROTLI_OPERATION_FLUSH, finishFlush: zlibConstants.BROTLI_OPERATION_FLUSH }));
    else return body;
  }
  if (decoders.length === 0) return body;
  return pipeline([body, ...decoders], () => {}) as unknown as Readable;
}

/** `deflate` is meant to be zlib-wrapped, but some servers send raw deflate: decide on the first byte. */
function inflateEitherWay(): Duplex {
  const options = { flush: zlibConstants.Z_SYNC_FLUSH, finishFlush: zlibConstants.Z_SYNC_FLUSH };
  let inner: Duplex | undefined;
  const outer: Duplex = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (inner === undefined) {
        // A zlib header's first byte has compression method 8 in its low nibble.
        inner = (chunk[0]! & 0x0f) === 0x08 ? createInflate(options) : createInflateRaw(options);
        inner.on('data', (data: Buffer) => outer.push(data));
        inner.on('error', (error) => outer.destroy(error));
      }
      inner.write(chunk, callback);
    },
    flush(callback) {
      if (inner === undefined) return callback();
      inner.once('end', () => callback());
      inner.end();
    },
  });
  return outer;
}

/**
 * The transport for a user-supplied `fetch`. A custom fetch may resolve with anything: what is not
 * a response with a readable body (a web ReadableStream, or none) is a network error, never an
 * exception out of here, and so is a body chunk that is not bytes (Fetch reads bytes).
 */
async function fetchWithFetch(fetch: FetchLike, url: string, headers: Record<string, string>, signal: AbortSignal, withCredentials: boolean): Promise<Answer> {
  const res = await fetch(url, {
    method: 'GET',
    headers,
    redirect: 'follow', // REDIRECT-FOLLOW
    signal,
    credentials: withCredentials ? 'include' : 'same-origin',
    cache: 'no-store',
  });
  const status = res.status;
  const contentType = res.headers.get('content-type');
  const responseUrl = typeof res.url === 'string' ? res.url : '';
  const body = res.body;
  if (typeof status !== 'number') throw new TypeError('response has no status');
  if (body !== null && (typeof body !== 'object' || typeof body.getReader !== 'function')) throw new TypeError('response body is not a ReadableStream');
  return {
    status,
    contentType,
    url: responseUrl,
    read(onChunk, onEnd) {
      void readWebStream(body, onChunk).then(onEnd);
    },
    discard() {
      body?.cancel().catch(() => {});
    },
  };
}

async function readWebStream(body: ReadableStream<Uint8Array> | null, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  if (body === null) return;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!(value instanceof Uint8Array) && !isForeignUint8Array(value)) throw new TypeError('response body chunk is not a Uint8Array');
      onChunk(value);
    }
  } catch {
    reader?.cancel().catch(() => {});
  } finally {
    try {
      reader?.releaseLock();
    } catch {
      // a reader of an odd stream may refuse; nothing depends on it
    }
  }
}

/** A Uint8Array from another realm (vm context), which `instanceof` does not see. */
function isForeignUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}


// WebIDL interface shape (https://webidl.spec.whatwg.org/#es-interfaces): constants are
// { writable: false, enumerable: true, configurable: false } on the interface object and the
// prototype; regular attributes and operations are enumerable; the class string is EventSource.
for (const target of [EventSource, EventSource.prototype]) {
  Object.defineProperties(target, {
    CONNECTING: { value: CONNECTING, writable: false, enumerable: true, configurable: false },
    OPEN: { value: OPEN, writable: false, enumerable: true, configurable: false },
    CLOSED: { value: CLOSED, writable: false, enumerable: true, configurable: false },
  });
}
for (const name of ['url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'close'] as const) {
  Object.defineProperty(EventSource.prototype, name, { enumerable: true });
}
Object.defineProperty(EventSource.prototype, Symbol.toStringTag, { value: 'EventSource', writable: false, enumerable: false, configurable: true });
