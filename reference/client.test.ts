import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { constants as zlibConstants, createBrotliCompress, createDeflate, createDeflateRaw, createGzip, gzipSync } from 'node:zlib';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventSource, MAX_RECONNECTION_TIME, mimeEssence, type FetchLike } from './client.ts';

/** One scripted response for the fake fetch: status, content type and body pieces; `hang` keeps the body open. */
interface Scripted {
  status?: number;
  contentType?: string | null;
  chunks?: Array<string | Uint8Array>;
  hang?: boolean;
  networkError?: boolean;
  url?: string;
}

interface FakeCall {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

function fakeFetch(script: Scripted[]): { fetch: FetchLike; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, headers: init.headers, signal: init.signal });
    const step = script[calls.length - 1] ?? { hang: true, chunks: [] };
    if (step.networkError) throw new TypeError('fetch failed');
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of step.chunks ?? []) controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c);
        if (!step.hang) controller.close();
        init.signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      },
    });
    const headers = new Headers();
    const contentType = step.contentType === undefined ? 'text/event-stream' : step.contentType;
    if (contentType !== null) headers.set('content-type', contentType);
    const status = step.status ?? 200;
    const response = new Response(status === 204 ? null : body, { status, headers });
    Object.defineProperty(response, 'url', { value: step.url ?? url });
    return response;
  };
  return { fetch, calls };
}

type Seen = string;

/** Records open/error/message/custom events as compact strings with the readyState at the time. */
function record(es: EventSource, customTypes: string[] = []): Seen[] {
  const seen: Seen[] = [];
  es.onopen = () => seen.push(`open:${es.readyState}`);
  es.onerror = () => seen.push(`error:${es.readyState}`);
  es.onmessage = (e) => {
    const m = e as MessageEvent;
    seen.push(`message:${m.data}:${m.lastEventId}`);
  };
  for (const type of customTypes) {
    es.addEventListener(type, (e) => seen.push(`${type}:${(e as MessageEvent).data}:${(e as MessageEvent).lastEventId}`));
  }
  return seen;
}

/** Lets pending promises, setImmediate tasks and timers up to `ms` run under fake timers. */
async function advance(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  // Promise chains (fetch, body reads) may queue new zero-delay tasks after the clock moved: flush them.
  // Tasks run on the real setImmediate (only timers are faked), so let a few turns pass.
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Only the reconnection timers are faked; the client's task queue (setImmediate) stays real. */
function useFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('EventSource interface', () => {
  it('has the browser constants, url, withCredentials and readyState', () => {
    const { fetch } = fakeFetch([{ hang: true }]);
    const es = new EventSource('http://127.0.0.1:1/a?b#c', { fetch, withCredentials: true });
    expect([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED]).toEqual([0, 1, 2]);
    expect([es.CONNECTING, es.OPEN, es.CLOSED]).toEqual([0, 1, 2]);
    expect(es.url).toBe('http://127.0.0.1:1/a?b#c');
    expect(es.withCredentials).toBe(true);
    expect(es.readyState).toBe(0); // API-READYSTATE-INITIAL
    expect(es).toBeInstanceOf(EventTarget);
    es.close();
    expect(es.readyState).toBe(2);
  });

  it('throws a SyntaxError DOMException for an unparsable URL', () => {
    expect(() => new EventSource('not a url')).toThrow(DOMException);
    try {
      new EventSource('::');
    } catch (error) {
      expect((error as DOMException).name).toBe('SyntaxError');
    }
  });

  it('compares the MIME essence, ignoring parameters and case', () => {
    expect(mimeEssence('text/event-stream; charset=utf-8')).toBe('text/event-stream');
    expect(mimeEssence('Text/Event-Stream;')).toBe('text/event-stream');
    expect(mimeEssence('text/event-streamx')).toBe('text/event-streamx');
    expect(mimeEssence('x bogus')).toBe('');
    expect(mimeEssence(null)).toBe('');
  });
});

describe('EventSource processing model (fake fetch, fake timers)', () => {
  it('opens, dispatches message and custom events with origin and persisted lastEventId', async () => {
    useFakeTimers();
    const { fetch } = fakeFetch([{ chunks: ['id: 1\ndata: a\n\nevent: custom\ndata: b\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es, ['custom']);
    let origin = '';
    es.addEventListener('message', (e) => (origin = (e as MessageEvent).origin));
    await advance();
    expect(seen).toEqual(['open:1', 'message:a:1', 'custom:b:1']);
    expect(origin).toBe('http://127.0.0.1:9');
    es.close();
  });

  it('reconnects after the body ends, after the retry delay, with Last-Event-ID (RETRY-PERSISTS)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([
      { chunks: ['retry: 300\nid: 7\ndata: x\n\n'] },
      { chunks: ['data: y\n\n'] },
      { hang: true },
    ]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 5000 });
    const seen = record(es);
    await advance();
    expect(seen).toEqual(['open:1', 'message:x:7', 'error:0']);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers['Last-Event-ID']).toBeUndefined(); // LAST-EVENT-ID-NOT-INITIAL
    await advance(299);
    expect(calls).toHaveLength(1); // RECONNECT-DELAY lower bound
    await advance(1);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers['Last-Event-ID']).toBe('7');
    await advance();
    expect(seen.slice(3)).toEqual(['open:1', 'message:y:7', 'error:0']); // LASTID-PERSISTS-ACROSS-RECONNECT
    await advance(299); // the second stream set no retry: 300 ms still applies
    expect(calls).toHaveLength(2);
    await advance(1);
    expect(calls).toHaveLength(3);
    expect(calls[2]!.headers['Last-Event-ID']).toBe('7');
    es.close();
  });

  it('reconnects with retry: 0 (the reconnect task is ordered after the error task)', async () => {
    const { fetch, calls } = fakeFetch([{ chunks: ['retry: 0\ndata: a\n\n'] }, { chunks: ['data: b\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es);
    // Real timers: the race this guards against is real. Poll (bounded) instead of sleeping a fixed
    // time, so a loaded machine cannot turn a slow run into a failure.
    for (const deadline = Date.now() + 5_000; seen.length < 5 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20)); // nothing further may arrive
    expect(seen).toEqual(['open:1', 'message:a:', 'error:0', 'open:1', 'message:b:']);
    expect(calls).toHaveLength(2);
    es.close();
  });

  it('sends no Last-Event-ID after an empty id reset (LAST-EVENT-ID-CLEARED)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['retry: 10\nid: 5\ndata: a\n\nid\ndata: b\n\n'] }, { hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es);
    await advance(10);
    expect(seen).toEqual(['open:1', 'message:a:5', 'message:b:', 'error:0', 'open:1']);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers['Last-Event-ID']).toBeUndefined();
    es.close();
  });

  it('never sends the id of an event cut off by the close (LASTID-NOT-FROM-INCOMPLETE-EVENT)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['retry: 10\nid: 1\ndata: a\n\nid: 2\ndata: cut'] }, { hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    record(es);
    await advance(10);
    expect(calls[1]!.headers['Last-Event-ID']).toBe('1');
    es.close();
  });

  it('encodes a non-ASCII Last-Event-ID as UTF-8 bytes', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['retry: 1\nid: \u2026\ndata: a\n\n'] }, { hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    await advance(1);
    expect(Buffer.from(calls[1]!.headers['Last-Event-ID']!, 'latin1')).toEqual(Buffer.from([0xe2, 0x80, 0xa6]));
    es.close();
  });

  it.each([204, 301, 401, 403, 404, 500, 503])('fails on status %i: one error, CLOSED, no further request', async (status) => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ status, chunks: ['data: no\n\n'] }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es);
    await advance(10_000);
    expect(seen).toEqual(['error:2']);
    expect(calls).toHaveLength(1);
  });

  it.each([null, 'text/plain', 'text/event-streamx', 'x bogus', 'text/html; charset=utf-8'])('fails on content type %s', async (contentType) => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ contentType, chunks: ['data: no\n\n'] }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es);
    await advance(10_000);
    expect(seen).toEqual(['error:2']);
    expect(calls).toHaveLength(1);
  });

  it.each(['text/event-stream; charset=utf-8', 'text/event-stream;', 'TEXT/Event-Stream', 'text/event-stream;charset=windows-1252'])('opens with content type %s', async (contentType) => {
    useFakeTimers();
    const { fetch } = fakeFetch([{ contentType, chunks: ['data: \u00e9\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es);
    await advance();
    expect(seen).toEqual(['open:1', 'message:\u00e9:']); // PARSE-CHARSET-IGNORED
    es.close();
  });

  it('reestablishes after a network error (RESP-NETWORK-ERROR-RECONNECTS)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ networkError: true }, { chunks: ['data: ok\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 100 });
    const seen = record(es);
    await advance(99);
    expect(seen).toEqual(['error:0']);
    expect(calls).toHaveLength(1);
    await advance(1);
    await advance();
    expect(seen).toEqual(['error:0', 'open:1', 'message:ok:']);
    es.close();
  });

  it('close() inside onmessage suppresses events already parsed (DISPATCH-AFTER-CLOSE-SUPPRESSED)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['data: 1\n\ndata: 2\n\ndata: 3\n\n'] }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 10 });
    const seen: string[] = [];
    es.onmessage = (e) => {
      seen.push((e as MessageEvent).data as string);
      es.close();
    };
    es.onerror = () => seen.push('error');
    await advance(); // let the queued tasks run before the fake clock jumps past the 10 ms delay
    await advance(1000);
    expect(seen).toEqual(['1']);
    expect(es.readyState).toBe(2);
    expect(calls).toHaveLength(1);
  });

  it('close() inside onerror stops the reconnection (RECONNECT-ABORT-IF-CLOSED)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['data: 1\n\n'] }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 10 });
    const seen = record(es);
    es.addEventListener('error', () => es.close());
    await advance();
    await advance(1000);
    expect(seen).toEqual(['open:1', 'message:1:', 'error:0']);
    expect(es.readyState).toBe(2);
    expect(calls).toHaveLength(1);
  });

  it('close() inside onopen: no message, no error, no reconnection', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['data: 1\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 10 });
    const seen = record(es);
    es.addEventListener('open', () => es.close());
    await advance(1000);
    expect(seen).toEqual(['open:1']);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.signal.aborted).toBe(true);
  });

  it('close() before open: no event at all', async () => {
    useFakeTimers();
    const { fetch } = fakeFetch([{ chunks: ['data: 1\n\n'] }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen = record(es);
    es.close();
    await advance(10_000);
    expect(seen).toEqual([]);
  });

  it('clamps a huge retry so the timer never wraps to ~0 (RETRY-LARGE-VALUE)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['retry: 99999999999999\ndata: a\n\n'] }, { hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    record(es);
    await advance(60_000);
    expect(calls).toHaveLength(1);
    await advance(MAX_RECONNECTION_TIME);
    expect(calls).toHaveLength(2);
    es.close();
  });

  it('ignores an empty or non-digit retry and keeps the previous value (RETRY-EMPTY-IGNORED)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['retry: 200\nretry\nretry: 1e3\nretry: 50ms\n\n'] }, { hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    record(es);
    await advance(199);
    expect(calls).toHaveLength(1);
    await advance(1);
    expect(calls).toHaveLength(2);
    es.close();
  });

  it('keeps custom headers on reconnect and reconnects to the original URL', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([
      { chunks: ['retry: 5\ndata: a\n\n'], url: 'http://127.0.0.1:9/redirected' },
      { hang: true },
    ]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, headers: { Authorization: 'Bearer t', accept: 'text/html' } });
    record(es);
    await advance(5);
    expect(calls.map((c) => c.url)).toEqual(['http://127.0.0.1:9/s', 'http://127.0.0.1:9/s']);
    for (const call of calls) {
      expect(call.headers['Authorization']).toBe('Bearer t');
      expect(call.headers['Accept']).toBe('text/event-stream');
      expect(call.headers['accept']).toBeUndefined();
      expect(call.headers['Cache-Control']).toBe('no-cache');
    }
    es.close();
  });

  it('event handler attributes can be replaced and removed', async () => {
    useFakeTimers();
    const { fetch } = fakeFetch([{ chunks: ['data: a\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen: string[] = [];
    es.onmessage = () => seen.push('first');
    es.onmessage = () => seen.push('second');
    es.onopen = () => seen.push('open');
    es.onopen = null;
    expect(es.onopen).toBeNull();
    await advance();
    expect(seen).toEqual(['second']);
    es.close();
  });
});

describe('EventSource over real HTTP (undici fetch)', () => {
  it('follows a redirect, reconnects to the original URL with Last-Event-ID, and splits CRLF across chunks once', async () => {
    const requests: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
    const server = createServer((req, res) => {
      requests.push({ path: req.url ?? '', headers: req.headers });
      if (req.url === '/start') {
        res.writeHead(307, { location: '/stream' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (requests.filter((r) => r.path === '/stream').length === 1) {
        res.write('retry: 50\r');
        setTimeout(() => res.end('\nid: 9\r\ndata: one\r\n\r\n'), 20);
      } else {
        res.write('data: two\n\n');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const es = new EventSource(`${base}/start`);
    const seen = record(es);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; saw ${seen.join(', ')}`)), 5000);
        es.addEventListener('message', (e) => {
          if ((e as MessageEvent).data === 'two') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      es.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toEqual(['open:1', 'message:one:9', 'error:0', 'open:1', 'message:two:9']);
    expect(requests.map((r) => r.path)).toEqual(['/start', '/stream', '/start', '/stream']);
    expect(requests[0]!.headers['last-event-id']).toBeUndefined();
    expect(requests[2]!.headers['last-event-id']).toBe('9');
    expect(requests[0]!.headers['accept']).toBe('text/event-stream');
    expect(requests[0]!.headers['cache-control']).toBe('no-cache');
    expect(es.url).toBe(`${base}/start`);
  });
});

describe('EventSource WebIDL shape (issue 11)', () => {
  it('puts the constants read-only and non-configurable on the constructor and the prototype, not on instances', () => {
    const { fetch } = fakeFetch([{ hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSED', 2]] as const) {
      for (const target of [EventSource, EventSource.prototype]) {
        expect(Object.getOwnPropertyDescriptor(target, name)).toEqual({ value, writable: false, enumerable: true, configurable: false });
      }
      expect(Object.hasOwn(es, name)).toBe(false);
      expect(es[name]).toBe(value);
      // Strict-mode assignment to an inherited read-only property throws and changes nothing.
      expect(() => {
        (es as unknown as Record<string, number>)[name] = 9;
      }).toThrow(TypeError);
      expect(es[name]).toBe(value);
    }
    expect(Object.getOwnPropertyNames(es)).toEqual([]);
    es.close();
  });

  it('has enumerable accessors and an enumerable close() on the prototype, and the class string EventSource', () => {
    const proto = EventSource.prototype;
    for (const name of ['url', 'withCredentials', 'readyState']) {
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      expect({ enumerable: d.enumerable, configurable: d.configurable, get: typeof d.get, set: d.set }).toEqual({ enumerable: true, configurable: true, get: 'function', set: undefined });
    }
    for (const name of ['onopen', 'onmessage', 'onerror']) {
      const d = Object.getOwnPropertyDescriptor(proto, name)!;
      expect({ enumerable: d.enumerable, configurable: d.configurable, get: typeof d.get, set: typeof d.set }).toEqual({ enumerable: true, configurable: true, get: 'function', set: 'function' });
    }
    const close = Object.getOwnPropertyDescriptor(proto, 'close')!;
    expect({ enumerable: close.enumerable, writable: close.writable, configurable: close.configurable }).toEqual({ enumerable: true, writable: true, configurable: true });
    const enumerable: string[] = [];
    for (const key in proto) enumerable.push(key);
    expect(enumerable).toEqual(expect.arrayContaining(['CONNECTING', 'OPEN', 'CLOSED', 'url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'close']));
    const { fetch } = fakeFetch([{ hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    expect(Object.prototype.toString.call(es)).toBe('[object EventSource]');
    es.close();
  });

  it('throws a TypeError when the url argument is missing, a SyntaxError DOMException for an explicit undefined', () => {
    const missing = (() => {
      try {
        Reflect.construct(EventSource, []);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(missing).toBeInstanceOf(TypeError);
    expect(missing).not.toBeInstanceOf(DOMException);
    // WebIDL converts an explicit undefined to the string "undefined", which is no absolute URL.
    expect(() => new EventSource(undefined as unknown as string)).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    // USVString conversion of a Symbol is a TypeError.
    expect(() => new EventSource(Symbol('u') as unknown as string)).toThrow(TypeError);
  });

  it('accepts a null init dictionary (WebIDL: null is an empty dictionary)', () => {
    const es = new EventSource('http://127.0.0.1:1/s', null);
    expect(es.withCredentials).toBe(false);
    es.close();
  });
});

describe('EventSource tasks: a microtask checkpoint after every task (issue 11, TASK-SOURCE)', () => {
  it('resumes code awaiting the open event before the next task: readyState OPEN, and a listener armed then sees the error', async () => {
    const { fetch } = fakeFetch([{ chunks: ['data: a\n\n'] }]); // the body has already ended
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 60_000 });
    const log: string[] = [];
    await once(es, 'open');
    log.push(`after open: ${es.readyState}`);
    es.addEventListener('message', () => log.push('message'));
    const error = once(es, 'error').then(() => log.push(`error: ${es.readyState}`));
    await error;
    expect(log).toEqual(['after open: 1', 'message', 'error: 0']);
    es.close();
  });

  it('an onmessage that awaits a settled promise and then closes receives no further event of the same chunk', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ chunks: ['data: 1\n\ndata: 2\n\ndata: 3\n\n'] }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 0 });
    const seen: string[] = [];
    es.onmessage = async (e) => {
      seen.push((e as MessageEvent).data as string);
      await Promise.resolve();
      es.close();
    };
    es.onerror = () => seen.push('error');
    await advance();
    expect(seen).toEqual(['1']);
    expect(es.readyState).toBe(2);
    expect(calls).toHaveLength(1);
  });

  it('runs the microtasks a handler queues before the next event is dispatched', async () => {
    useFakeTimers();
    const { fetch } = fakeFetch([{ chunks: ['data: 1\n\ndata: 2\n\n'], hang: true }]);
    const es = new EventSource('http://127.0.0.1:9/s', { fetch });
    const seen: string[] = [];
    es.onopen = () => {
      queueMicrotask(() => seen.push('microtask after open'));
      seen.push('open');
    };
    es.onmessage = (e) => {
      const data = (e as MessageEvent).data as string;
      void Promise.resolve().then(() => Promise.resolve()).then(() => seen.push(`chained microtasks after ${data}`));
      seen.push(`message ${data}`);
    };
    await advance();
    expect(seen).toEqual(['open', 'microtask after open', 'message 1', 'chained microtasks after 1', 'message 2', 'chained microtasks after 2']);
    es.close();
  });
});

describe('EventSource and credentials in the URL (issue 11, REQ-POTENTIAL-CORS)', () => {
  it('keeps the userinfo in url, fetches without it and answers a 401 with Basic credentials from the URL', async () => {
    const requests: Array<{ path: string; authorization: string | undefined }> = [];
    const server = createServer((req, res) => {
      requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="sse"' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: in\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    // "us%65r" and "p%40ss" are percent-encoded "user" and "p@ss".
    const es = new EventSource(`http://us%65r:p%40ss@127.0.0.1:${port}/s?q`);
    const seen = record(es);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; saw ${seen.join(', ')}; requests ${JSON.stringify(requests)}`)), 5000);
        es.addEventListener('message', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      es.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(es.url).toBe(`http://us%65r:p%40ss@127.0.0.1:${port}/s?q`);
    expect(requests).toEqual([
      { path: '/s?q', authorization: undefined },
      { path: '/s?q', authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}` },
    ]);
    expect(seen).toEqual(['open:1', 'message:in:']);
  });

  it('gives the fetch the URL without userinfo and lets an Authorization header from init win', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ status: 401 }, { hang: true }]);
    const es = new EventSource('http://a:b@127.0.0.1:9/s', { fetch, headers: { authorization: 'Bearer t' } });
    const seen = record(es);
    await advance();
    expect(calls.map((c) => c.url)).toEqual(['http://127.0.0.1:9/s']);
    expect(calls[0]!.headers['authorization']).toBe('Bearer t');
    expect(calls[0]!.headers['Authorization']).toBeUndefined();
    expect(seen).toEqual(['error:2']); // the retried 401 fails the connection
  });

  it('a second 401 fails the connection (one authentication fetch only)', async () => {
    useFakeTimers();
    const { fetch, calls } = fakeFetch([{ status: 401 }, { status: 401 }, { hang: true }]);
    const es = new EventSource('http://a:b@127.0.0.1:9/s', { fetch });
    const seen = record(es);
    await advance(10_000);
    expect(calls.map((c) => c.headers['Authorization'])).toEqual([undefined, `Basic ${Buffer.from('a:b').toString('base64')}`]);
    expect(seen).toEqual(['error:2']);
  });
});

describe('EventSource with a custom fetch that returns bad input (issue 11)', () => {
  const base = { status: 200, url: 'http://127.0.0.1:9/s', headers: new Headers({ 'content-type': 'text/event-stream' }) };
  const bad: Array<[string, () => unknown]> = [
    ['a string body', () => ({ ...base, body: 'data: x\n\n' })],
    ['a Node stream body', () => ({ ...base, body: Readable.from([Buffer.from('data: x\n\n')]) })],
    ['undefined instead of a response', () => undefined],
    ['a response without headers', () => ({ status: 200, body: null })],
  ];
  for (const [name, make] of bad) {
    it(`${name}: an error event and a reconnection (network error), no exception, no open`, async () => {
      useFakeTimers();
      const calls: number[] = [];
      const fetch = (async () => {
        calls.push(calls.length);
        return make();
      }) as unknown as FetchLike;
      const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 100 });
      const seen = record(es);
      await advance();
      expect(seen).toEqual(['error:0']);
      expect(calls).toHaveLength(1);
      await advance(100);
      expect(calls).toHaveLength(2);
      es.close();
    });
  }

  it('a body stream that yields strings errors the connection after open: error, then a reconnection', async () => {
    useFakeTimers();
    const calls: number[] = [];
    const fetch = (async () => {
      calls.push(calls.length);
      const body = new ReadableStream<unknown>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('data: bytes\n\n'));
          controller.enqueue('data: text\n\n');
        },
      });
      return { ...base, body };
    }) as unknown as FetchLike;
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 100 });
    const seen = record(es);
    await advance();
    expect(seen).toEqual(['open:1', 'message:bytes:', 'error:0']);
    await advance(100);
    expect(calls).toHaveLength(2);
    es.close();
  });

  it('a fetch that throws synchronously is a network error too', async () => {
    useFakeTimers();
    const fetch = (() => {
      throw new Error('boom');
    }) as unknown as FetchLike;
    const es = new EventSource('http://127.0.0.1:9/s', { fetch, defaultReconnectionTime: 100 });
    const seen = record(es);
    await advance();
    expect(seen).toEqual(['error:0']);
    es.close();
  });
});

describe('EventSource default transport (undici dispatcher, what undici fetch does)', () => {
  /** A server for one test; `handle` gets the request and response; closed after `body` runs. */
  async function withServer(handle: (req: IncomingMessage, res: ServerResponse) => void, body: (base: string) => Promise<void>): Promise<void> {
    const server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }
  /** Resolves with what `record` saw once `done` says so (5 s limit). */
  function until(es: EventSource, seen: string[], done: (seen: string[]) => boolean): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; saw ${seen.join(', ')}`)), 5000);
      const check = (): void => {
        if (!done(seen)) return;
        clearTimeout(timer);
        es.close();
        resolve(seen);
      };
      for (const type of ['open', 'message', 'error']) es.addEventListener(type, check);
    });
  }

  /** Runs `body` with `dispatcher` as undici's global dispatcher, then puts the previous one back and closes `agent`. */
  async function withGlobalDispatcher(dispatcher: Dispatcher, agent: Agent, body: () => Promise<void>): Promise<void> {
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(dispatcher);
    try {
      await body();
    } finally {
      setGlobalDispatcher(previous);
      await agent.close();
    }
  }

  it('sends the headers undici fetch sends, the caller\'s own winning', async () => {
    const got: IncomingHttpHeaders[] = [];
    await withServer(
      (req, res) => {
        got.push(req.headers);
        res.writeHead(204).end();
      },
      async (base) => {
        const es = new EventSource(`${base}/s`, { headers: { 'User-Agent': 'mine' } });
        await until(es, record(es), (seen) => seen.includes('error:2'));
      },
    );
    expect(got[0]).toMatchObject({ accept: 'text/event-stream', 'cache-control': 'no-cache', pragma: 'no-cache', 'accept-encoding': 'gzip, deflate', 'accept-language': '*', 'sec-fetch-mode': 'cors', 'user-agent': 'mine' });
  });

  for (const [coding, compress] of [
    ['gzip', () => createGzip({ flush: zlibConstants.Z_SYNC_FLUSH })],
    ['deflate', () => createDeflate({ flush: zlibConstants.Z_SYNC_FLUSH })],
    ['deflate', () => createDeflateRaw({ flush: zlibConstants.Z_SYNC_FLUSH })],
    ['br', () => createBrotliCompress({ flush: zlibConstants.BROTLI_OPERATION_FLUSH })],
  ] as const) {
    it(`decodes Content-Encoding: ${coding} (${compress().constructor.name}) and delivers a flushed event while the body stays open`, async () => {
      await withServer(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': coding });
          const z = compress();
          z.pipe(res);
          z.write('data: 压缩 ok\n\n'); // flushed by the flush mode on every write; the body never ends
        },
        async (base) => {
          const es = new EventSource(`${base}/s`);
          expect(await until(es, record(es), (seen) => seen.length >= 2)).toEqual(['open:1', 'message:压缩 ok:']);
        },
      );
    });
  }

  for (const compressed of [false, true]) {
    it(`a body in many 1-16 byte HTTP chunks per socket read arrives whole and in order (${compressed ? 'gzip' : 'identity'}; chunks of one read are joined)`, async () => {
      const events = Array.from({ length: 1500 }, (_, i) => `data: ${i} 你好 ${'x'.repeat(i % 50)}\n\n`);
      let bytes = Buffer.from(events.join(''));
      if (compressed) bytes = gzipSync(bytes);
      await withServer(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream', ...(compressed ? { 'content-encoding': 'gzip' } : {}) });
          // Corked batches of tiny res.write calls: each its own HTTP chunk, many per socket write, back to back.
          let at = 0;
          let size = 1;
          const batch = (): void => {
            res.cork();
            for (let n = 0; n < 200 && at < bytes.length; n++) {
              res.write(bytes.subarray(at, at + size));
              at += size;
              size = (size % 16) + 1;
            }
            res.uncork();
            if (at < bytes.length) setImmediate(batch);
          };
          batch();
        },
        async (base) => {
          const es = new EventSource(`${base}/s`);
          const seen = await until(es, record(es), (got) => got.length >= events.length + 1);
          expect(seen).toEqual(['open:1', ...events.map((e) => `message:${e.slice('data: '.length, -2)}:`)]);
        },
      );
    });
  }

  it('follows 20 redirects, not 21 (the 21st is a network error: error with CONNECTING, no open)', async () => {
    await withServer(
      (req, res) => {
        const n = Number(req.url!.slice(3));
        if (n > 0) res.writeHead(n % 2 === 0 ? 307 : 302, { location: `/r/${n - 1}` }).end();
        else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: end\n\n');
      },
      async (base) => {
        const ok = new EventSource(`${base}/r/20`);
        expect(await until(ok, record(ok), (seen) => seen.length >= 2)).toEqual(['open:1', 'message:end:']);
        const tooMany = new EventSource(`${base}/r/21`, { defaultReconnectionTime: 60_000 });
        expect(await until(tooMany, record(tooMany), (seen) => seen.length >= 1)).toEqual(['error:0']);
      },
    );
  });

  it('a redirect to a non-HTTP(S) URL is a network error; a 3xx without Location is the final response and fails', async () => {
    await withServer(
      (req, res) => {
        if (req.url === '/ftp') res.writeHead(301, { location: 'ftp://127.0.0.1/x' }).end();
        else res.writeHead(302).end();
      },
      async (base) => {
        const ftp = new EventSource(`${base}/ftp`, { defaultReconnectionTime: 60_000 });
        expect(await until(ftp, record(ftp), (seen) => seen.length >= 1)).toEqual(['error:0']);
        const bare = new EventSource(`${base}/bare`);
        expect(await until(bare, record(bare), (seen) => seen.length >= 1)).toEqual(['error:2']);
      },
    );
  });

  it('drops Authorization on a redirect to another origin, keeps it on the same origin, and reports the final origin', async () => {
    const seenAuth: Array<[string, string | undefined]> = [];
    await withServer(
      (req, res) => {
        seenAuth.push([`other${req.url}`, req.headers.authorization]);
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: there\n\n');
      },
      async (other) => {
        await withServer(
          (req, res) => {
            seenAuth.push([`home${req.url}`, req.headers.authorization]);
            if (req.url === '/start') res.writeHead(302, { location: '/again' }).end();
            else res.writeHead(307, { location: `${other}/end` }).end();
          },
          async (home) => {
            const es = new EventSource(`${home}/start`, { headers: { Authorization: 'Bearer t' } });
            let origin = '';
            es.addEventListener('message', (e) => (origin = (e as MessageEvent).origin));
            expect(await until(es, record(es), (seen) => seen.length >= 2)).toEqual(['open:1', 'message:there:']);
            expect(origin).toBe(other);
          },
        );
      },
    );
    expect(seenAuth).toEqual([['home/start', 'Bearer t'], ['home/again', 'Bearer t'], ['other/end', undefined]]);
  });

  it('a redirect to a URL with credentials: followed on the same origin (userinfo not sent), a network error cross-origin or after a cross-origin hop', async () => {
    const hits: string[] = [];
    let home = ''; // the second server's base URL, known once it listens
    const creds = (target: string) => target.replace('http://', 'http://u:p@');
    await withServer(
      (req, res) => {
        hits.push(`other${req.url}`);
        if (req.url === '/back') res.writeHead(302, { location: creds(`${home}/creds-home`) }).end();
        else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: other\n\n');
      },
      async (other) => {
        await withServer(
          (req, res) => {
            hits.push(`home${req.url}${req.headers.authorization ? ' with Authorization' : ''}`);
            if (req.url === '/same') res.writeHead(302, { location: creds(`${home}/creds-home`) }).end();
            else if (req.url === '/cross') res.writeHead(307, { location: creds(`${other}/x`) }).end();
            else if (req.url === '/via-other') res.writeHead(302, { location: `${other}/back` }).end();
            else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: home\n\n');
          },
          async (base) => {
            home = base;
            const same = new EventSource(`${base}/same`);
            expect(await until(same, record(same), (seen) => seen.length >= 2)).toEqual(['open:1', 'message:home:']);
            same.close();
            const cross = new EventSource(`${base}/cross`, { defaultReconnectionTime: 60_000 });
            expect(await until(cross, record(cross), (seen) => seen.length >= 1)).toEqual(['error:0']);
            cross.close();
            // home -> other -> home with credentials: back on the request's origin, but the response tainting is already "cors".
            const via = new EventSource(`${base}/via-other`, { defaultReconnectionTime: 60_000 });
            expect(await until(via, record(via), (seen) => seen.length >= 1)).toEqual(['error:0']);
            via.close();
          },
        );
      },
    );
    expect(hits).toEqual(['home/same', 'home/creds-home', 'home/cross', 'home/via-other', 'other/back']);
  });

  it('goes through the global dispatcher the application set, even one that only speaks the older handler callbacks (another undici copy)', async () => {
    // Node 22's built-in fetch puts its bundled undici 6 Agent there: it calls onConnect/onHeaders/onData/onComplete/onError only.
    const agent = new Agent();
    let dispatched = 0;
    const legacyOnly = {
      dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
        dispatched++;
        const { onConnect, onHeaders, onData, onComplete, onError } = handler;
        if (!onConnect || !onHeaders || !onData || !onComplete || !onError) throw new Error('handler lacks the older callbacks');
        return agent.dispatch(options, { onConnect: onConnect.bind(handler), onHeaders: onHeaders.bind(handler), onData: onData.bind(handler), onComplete: onComplete.bind(handler), onError: onError.bind(handler) });
      },
    } as unknown as Dispatcher;
    await withGlobalDispatcher(legacyOnly, agent, () => withServer(
      (_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream', 'x-two': ['a', 'b'] }).end('data: via the global dispatcher\n\n'),
      async (base) => {
        const es = new EventSource(`${base}/s`);
        expect(await until(es, record(es), (seen) => seen.length >= 2)).toEqual(['open:1', 'message:via the global dispatcher:']);
      },
    ));
    expect(dispatched).toBe(1);
  });

  it('a silent stream is not cut by the dispatcher\'s body timeout (HTML sets no limit; undici\'s default is 300 s)', async () => {
    const agent = new Agent({ bodyTimeout: 150 });
    await withGlobalDispatcher(agent, agent, () => withServer(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: before\n\n');
        setTimeout(() => res.write('data: after 1.5 s of silence\n\n'), 1500);
      },
      async (base) => {
        const es = new EventSource(`${base}/s`);
        expect(await until(es, record(es), (seen) => seen.length >= 3)).toEqual(['open:1', 'message:before:', 'message:after 1.5 s of silence:']);
      },
    ));
  });

  it('sends a non-ASCII Last-Event-ID as its UTF-8 bytes on the wire (LAST-EVENT-ID-HEADER)', async () => {
    const ids: Array<string | undefined> = [];
    await withServer(
      (req, res) => {
        const at = req.rawHeaders.findIndex((h) => h.toLowerCase() === 'last-event-id');
        ids.push(at === -1 ? undefined : Buffer.from(req.rawHeaders[at + 1]!, 'latin1').toString('hex'));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (ids.length === 1) res.end('retry: 10\nid: \u2026\u00e9\ndata: x\n\n');
        else res.write('data: y\n\n');
      },
      async (base) => {
        const es = new EventSource(`${base}/s`);
        await until(es, record(es), (seen) => seen.includes('message:y:\u2026\u00e9'));
      },
    );
    expect(ids).toEqual([undefined, 'e280a6c3a9']);
  });

  it('joins repeated Content-Type headers as Fetch does, so two types fail the connection', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, [['content-type', 'text/event-stream'], ['content-type', 'text/plain']]).end('data: x\n\n');
      },
      async (base) => {
        const es = new EventSource(`${base}/s`);
        expect(await until(es, record(es), (seen) => seen.length >= 1)).toEqual(['error:2']);
      },
    );
  });

  it('a body cut mid-stream reestablishes the connection (G6), and close() while connecting sends nothing further', async () => {
    let requests = 0;
    await withServer(
      (_req, res) => {
        requests++;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\ndata: cut');
        setTimeout(() => res.destroy(), 20);
      },
      async (base) => {
        const es = new EventSource(`${base}/s`, { defaultReconnectionTime: 10 });
        expect(await until(es, record(es), (seen) => seen.length >= 4)).toEqual(['open:1', 'message:one:', 'error:0', 'open:1']);
      },
    );
    expect(requests).toBe(2);
  });
});
