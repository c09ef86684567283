/**
 * A minimal, raw HTTP client for exercising event streams in tests and checks: it records the
 * status, headers and every body chunk (with arrival times), feeds the body to the reference
 * parser, and lets the caller wait for a condition with a timeout. Every wait is bounded.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { createParser, type SseEvent } from '../parser.ts';

export interface ProbeOptions {
  readonly headers?: Record<string, string> | undefined;
  readonly method?: string | undefined;
  readonly body?: string | Buffer | undefined;
  /** Time to wait for the response head. @defaultValue 5000 */
  readonly timeoutMs?: number | undefined;
}

export interface StreamProbe {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly events: SseEvent[];
  readonly comments: string[];
  readonly retries: number[];
  /** Raw body chunks as they arrived. */
  readonly chunks: Buffer[];
  readonly ended: boolean;
  /** True when the body ended with its proper terminator (chunked `0` chunk), not by a cut connection. */
  readonly endedCleanly: boolean;
  /** The whole body so far. */
  body(): Buffer;
  /** Resolves once `predicate` holds (checked after every chunk); rejects after `timeoutMs`. */
  until(predicate: (probe: StreamProbe) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Resolves when the body ends (cleanly or not); rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<void>;
  /** Drops the connection abruptly. */
  destroy(): void;
}

export function openStream(url: string, options: ProbeOptions = {}): Promise<StreamProbe> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: { Accept: 'text/event-stream', ...options.headers }, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no response head from ${url} within ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const retries: number[] = [];
      const chunks: Buffer[] = [];
      const waiters = new Set<() => void>();
      let ended = false;
      let endedCleanly = false;
      // Seeded like a reconnecting EventSource: events without an id report the id it sent.
      const sent = Object.entries(options.headers ?? {}).find(([k]) => k.toLowerCase() === 'last-event-id')?.[1] ?? '';
      const parser = createParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c), onRetry: (r) => retries.push(r) }, { initialLastEventId: sent });
      const notify = () => {
        for (const w of [...waiters]) w();
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        parser.feed(chunk);
        notify();
      });
      const finish = () => {
        if (ended) return;
        ended = true;
        parser.end();
        notify();
      };
      res.on('end', () => {
        endedCleanly = true;
        finish();
      });
      res.on('close', finish);
      res.on('error', finish);
      const probe: StreamProbe = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        retries,
        chunks,
        get ended() {
          return ended;
        },
        get endedCleanly() {
          return endedCleanly;
        },
        body: () => Buffer.concat(chunks),
        until(predicate, timeoutMs = 5000, what = 'condition') {
          return new Promise<void>((ok, fail) => {
            const check = () => {
              if (predicate(probe)) {
                done();
                ok();
              } else if (ended) {
                done();
                fail(new Error(`stream ended before ${what} (got ${events.length} events)`));
              }
            };
            const t = setTimeout(() => {
              done();
              fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (got ${events.length} events)`));
            }, timeoutMs);
            const done = () => {
              clearTimeout(t);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        closed(timeoutMs = 5000) {
          return new Promise<void>((ok, fail) => {
            if (ended) return ok();
            const t = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`stream did not end within ${timeoutMs} ms`));
            }, timeoutMs);
            const check = () => {
              if (!ended) return;
              clearTimeout(t);
              waiters.delete(check);
              ok();
            };
            waiters.add(check);
          });
        },
        destroy: () => {
          req.destroy();
          res.destroy();
        },
      };
      resolve(probe);
    });
    req.end(options.body);
  });
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json<T = unknown>(): T;
}

/** A request with a complete body read, bounded by `timeoutMs`. */
export async function fetchText(url: string, options: ProbeOptions = {}): Promise<SimpleResponse> {
  const probe = await openStream(url, { ...options, headers: { Accept: '*/*', ...options.headers } });
  try {
    await probe.closed(options.timeoutMs ?? 5000);
  } finally {
    probe.destroy();
  }
  const text = probe.body().toString('utf8');
  return { status: probe.status, headers: probe.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** POSTs a JSON publish body; resolves with status and parsed answer. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<SimpleResponse> {
  return fetchText(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
}
