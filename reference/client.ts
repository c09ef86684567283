/**
 * The reference EventSource for Node: the WHATWG processing model step by step, on undici's
 * `fetch` and the reference parser, with the browser's interface so it can stand in for
 * `EventSource` (plus a `headers` and a `fetch` option that Node users need).
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
 *
 * Every observable step is a queued task (TASK-SOURCE), run in order from one queue, so `open`,
 * `message` and `error` keep their order and a `close()` from any handler suppresses everything
 * still queued (DISPATCH-AFTER-CLOSE-SUPPRESSED, RECONNECT-ABORT-IF-CLOSED).
 */
import { fetch as undiciFetch } from 'undici';
import { createParser, type SseParser } from './parser.ts';

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
  /** The fetch to use; defaults to undici's. */
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

type Handler = ((this: EventSource, event: Event) => unknown) | null;

export class EventSource extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSED = CLOSED;

  readonly #url: string;
  readonly #withCredentials: boolean;
  readonly #headers: Record<string, string>;
  readonly #fetch: FetchLike;
  #readyState: ReadyState = CONNECTING;
  /** The reconnection time (RETRY-PERSISTS: belongs to the object, kept across connections). */
  #reconnectionTime: number;
  #parser: SseParser;
  #origin = '';
  #abort: AbortController | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #tasks: Array<() => void> = [];
  #draining = false;
  #handlers = new Map<string, { handler: Handler; listener: (event: Event) => void }>();

  constructor(url: string | URL, init: EventSourceInit = {}) {
    super();
    // API-CTOR-STRINGIFY, API-CTOR-URL-PARSE: there is no document base in Node, so the URL must be absolute.
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch {
      throw new DOMException(`EventSource: cannot parse URL ${JSON.stringify(String(url))}`, 'SyntaxError');
    }
    this.#url = parsed.href;
    this.#withCredentials = Boolean(init.withCredentials);
    this.#headers = { ...(init.headers ?? {}) };
    this.#fetch = init.fetch ?? (undiciFetch as unknown as FetchLike);
    const initialDelay = init.defaultReconnectionTime ?? 3000;
    if (!(Number.isFinite(initialDelay) && initialDelay >= 0)) throw new RangeError(`EventSource: defaultReconnectionTime must be a non-negative number, got ${initialDelay}`);
    this.#reconnectionTime = initialDelay;
    this.#parser = createParser({
      onEvent: (event) => {
        const origin = this.#origin;
        // DISPATCH-AFTER-CLOSE-SUPPRESSED: dispatch is a task that does nothing once CLOSED.
        this.#queueTask(() => {
          if (this.#readyState === CLOSED) return;
          this.dispatchEvent(new MessageEvent(event.type, { data: event.data, origin, lastEventId: event.lastEventId }));
        });
      },
      // RETRY-APPLIES-IMMEDIATELY, RETRY-PERSISTS.
      onRetry: (milliseconds) => {
        this.#reconnectionTime = milliseconds;
      },
    });
    this.#connect();
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
    this.#abort?.abort();
    this.#abort = undefined;
  }

  // API-EVENT-HANDLERS: an event handler IDL attribute keeps its listener's place while set.
  #getHandler(type: string): Handler {
    return this.#handlers.get(type)?.handler ?? null;
  }
  #setHandler(type: string, handler: Handler): void {
    const existing = this.#handlers.get(type);
    if (typeof handler !== 'function') {
      if (existing) this.removeEventListener(type, existing.listener);
      this.#handlers.delete(type);
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
    this.#handlers.set(type, entry);
    this.addEventListener(type, entry.listener);
  }

  /** TASK-SOURCE: one ordered queue, drained on a macrotask like the event loop would. */
  #queueTask(task: () => void): void {
    this.#tasks.push(task);
    if (this.#draining) return;
    this.#draining = true;
    setImmediate(() => {
      try {
        while (this.#tasks.length > 0) this.#tasks.shift()!();
      } finally {
        this.#draining = false;
        if (this.#tasks.length > 0) this.#queueTask(() => {});
      }
    });
  }

  #fireSimple(type: 'open' | 'error'): void {
    this.dispatchEvent(new Event(type)); // EVT-OPEN-SIMPLE, EVT-ERROR-SIMPLE
  }

  /** Starts one fetch of the EventSource's request (RECONNECT-SAME-REQUEST). */
  #connect(): void {
    const abort = new AbortController();
    this.#abort = abort;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#headers)) {
      const lower = name.toLowerCase();
      if (lower !== 'accept' && lower !== 'cache-control' && lower !== 'last-event-id') headers[name] = value;
    }
    headers['Accept'] = 'text/event-stream'; // REQ-ACCEPT
    headers['Cache-Control'] = 'no-cache'; // REQ-CACHE-NO-STORE (what Fetch's no-store adds on the wire)
    headers['Pragma'] = 'no-cache';
    // LAST-EVENT-ID-HEADER, LAST-EVENT-ID-NOT-INITIAL (empty on the first request), LAST-EVENT-ID-CLEARED.
    const lastEventId = this.#parser.lastEventId;
    if (lastEventId !== '') headers['Last-Event-ID'] = utf8ByteString(lastEventId);
    let response: Promise<Response>;
    try {
      response = this.#fetch(this.#url, {
        method: 'GET',
        headers,
        redirect: 'follow', // REDIRECT-FOLLOW
        signal: abort.signal,
        credentials: this.#withCredentials ? 'include' : 'same-origin',
        cache: 'no-store',
      });
    } catch (error) {
      response = Promise.reject(error);
    }
    response.then(
      (res) => this.#onResponse(res, abort),
      () => {
        // RESP-ABORTED-FAILS is our own close(); anything else is a network error (RESP-NETWORK-ERROR-RECONNECTS).
        if (abort.signal.aborted || this.#abort !== abort) return;
        this.#reestablish();
      },
    );
  }

  async #onResponse(res: Response, abort: AbortController): Promise<void> {
    if (abort.signal.aborted || this.#abort !== abort) {
      await res.body?.cancel().catch(() => {});
      return;
    }
    // RESP-STATUS-NON-200-FAILS, RECONNECT-204-STOPS, CONTENT-TYPE-MISMATCH-FAILS.
    if (res.status !== 200 || mimeEssence(res.headers.get('content-type')) !== 'text/event-stream') {
      await res.body?.cancel().catch(() => {});
      this.#failConnection();
      return;
    }
    // REDIRECT-ORIGIN-UPDATE: origin of the final URL.
    try {
      this.#origin = new URL(res.url || this.#url).origin;
    } catch {
      this.#origin = new URL(this.#url).origin;
    }
    // ANNOUNCE-OPEN.
    this.#queueTask(() => {
      if (this.#readyState === CLOSED) return;
      this.#readyState = OPEN;
      this.#fireSimple('open');
    });
    const body = res.body;
    if (body) {
      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done || this.#abort !== abort) break;
          this.#parser.feed(value);
        }
      } catch {
        // G6: a body that errors mid-stream is a lost connection, reestablished below.
      } finally {
        reader.releaseLock();
      }
    }
    if (this.#abort !== abort || abort.signal.aborted) return;
    this.#parser.end(); // PARSE-EOF-DISCARD, LASTID-NOT-FROM-INCOMPLETE-EVENT
    this.#reestablish(); // RECONNECT-ON-EOF
  }

  /** "Reestablish the connection". */
  #reestablish(): void {
    this.#abort = undefined;
    // RECONNECT-ERROR-EVENT.
    this.#queueTask(() => {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CONNECTING;
      this.#fireSimple('error');
    });
    // RECONNECT-DELAY: never shorter than the reconnection time; RETRY-LARGE-VALUE: clamp so setTimeout never wraps.
    // The delay starts when the loss is noticed; the reconnection time in force is read now.
    const delay = Math.min(this.#reconnectionTime, MAX_RECONNECTION_TIME);
    // Step 4 is a task on the same queue, so it always runs after step 1's error task (even with
    // a 0 ms delay): RECONNECT-ABORT-IF-CLOSED.
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#queueTask(() => {
        if (this.#readyState !== CONNECTING) return;
        this.#connect();
      });
    }, delay);
  }

  /** FAIL-CONNECTION: one error event, CLOSED, never reconnects. */
  #failConnection(): void {
    this.#abort = undefined;
    this.#queueTask(() => {
      if (this.#readyState === CLOSED) return;
      this.#readyState = CLOSED;
      this.#fireSimple('error');
    });
  }
}
