/**
 * A small, configurable SSE target for the harness's own tests: channels with publish, replay,
 * auth, heartbeats and every legal wire variation (line endings, BOM, comments, field order,
 * `data:` without space, charset parameter, events split across writes). It is a test double, not
 * the reference server: it exists so that "no false failures for any legal variation" can be
 * asserted against wire forms the reference server never produces. 127.0.0.1 only, port 0.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WireStyle {
  readonly lineEnding?: '\n' | '\r\n' | '\r' | 'mixed' | undefined;
  readonly bom?: boolean | undefined;
  readonly spaceAfterColon?: boolean | undefined;
  /** Put a comment line inside every event and one between events. */
  readonly comments?: boolean | undefined;
  /** Field order inside an event. */
  readonly order?: 'id-event-data' | 'data-event-id' | undefined;
  readonly contentType?: string | undefined;
  /** Split every event's bytes into two writes this many ms apart. */
  readonly splitWritesMs?: number | undefined;
  readonly retry?: string | undefined;
  /** Write this id on every event instead of fresh ones (a broken server, for the ids case). */
  readonly fixedId?: string | undefined;
}

export interface ScriptedTargetOptions {
  readonly style?: WireStyle | undefined;
  readonly heartbeatMs?: number | undefined;
  /** Channel name → bearer token required. */
  readonly protectedChannels?: Readonly<Record<string, string>> | undefined;
  /** Events sent to every new connection of a channel named `static` (black-box tests). */
  readonly staticEvents?: number | undefined;
  readonly cacheControl?: string | undefined;
  /** Ignore Last-Event-ID: live events only (a server without replay). */
  readonly noReplay?: boolean | undefined;
}

interface Stored { readonly id: string; readonly event?: string | undefined; readonly data: string }

export interface ScriptedTarget {
  readonly url: string;
  close(): Promise<void>;
}

export async function startScriptedTarget(options: ScriptedTargetOptions = {}): Promise<ScriptedTarget> {
  const style = options.style ?? {};
  const channels = new Map<string, { log: Stored[]; subscribers: Set<http.ServerResponse>; closed: boolean; next: number }>();
  const sockets = new Set<import('node:net').Socket>();
  let mixedToggle = 0;
  const eol = () => {
    if (style.lineEnding === 'mixed') return ['\n', '\r\n', '\r'][mixedToggle++ % 3]!;
    return style.lineEnding ?? '\n';
  };
  const sep = style.spaceAfterColon === false ? ':' : ': ';
  const channel = (name: string) => {
    let c = channels.get(name);
    if (!c) channels.set(name, (c = { log: [], subscribers: new Set(), closed: false, next: 1 }));
    return c;
  };
  const frame = (e: Stored): string => {
    // Mixed endings rotate per event: a CR line followed by an LF blank line would read as one CRLF.
    const end = eol();
    const eolOf = () => end;
    const lines: string[] = [];
    // Without a space after the colon, a value that starts with a space still needs one (SRV-VALUE-LEADING-SPACE).
    const data = e.data.replace(/\r\n|\r/g, '\n').split('\n').map((l) => `data${l.startsWith(' ') ? ': ' : sep}${l}`);
    const id = `id${sep}${style.fixedId ?? e.id}`;
    const ev = e.event ? [`event${sep}${e.event}`] : [];
    if (style.order === 'data-event-id') lines.push(...data, ...(style.comments ? [':inside'] : []), ...ev, id);
    else lines.push(id, ...ev, ...(style.comments ? [': inside'] : []), ...data);
    return `${lines.map((l) => l + eolOf()).join('')}${eolOf()}${style.comments ? `: between${eolOf()}` : ''}`;
  };
  // Split writes go through a per-response queue so halves of different events never interleave.
  const queues = new WeakMap<http.ServerResponse, Promise<void>>();
  const send = (res: http.ServerResponse, text: string) => {
    if (style.splitWritesMs !== undefined && text.length > 1) {
      const cut = Math.ceil(text.length / 2);
      const delay = style.splitWritesMs;
      const prev = queues.get(res) ?? Promise.resolve();
      queues.set(res, prev.then(() => new Promise<void>((resolve) => {
        if (res.writableEnded) return resolve();
        res.write(text.slice(0, cut));
        setTimeout(() => {
          if (!res.writableEnded) res.write(text.slice(cut));
          resolve();
        }, delay);
      })));
    } else res.write(text);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/channels\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const name = decodeURIComponent(m[1]!);
    const token = options.protectedChannels?.[name];
    if (req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => { body += d; });
      req.on('end', () => {
        let json: { event?: string; data?: string; binary?: string };
        try {
          json = JSON.parse(body) as typeof json;
        } catch {
          res.writeHead(400).end();
          return;
        }
        const c = channel(name);
        const e: Stored = { id: String(c.next++), event: json.event, data: json.binary ?? json.data ?? '' };
        c.log.push(e);
        for (const s of c.subscribers) send(s, frame(e));
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: e.id }));
      });
      return;
    }
    if (req.method === 'DELETE') {
      const c = channel(name);
      c.closed = true;
      for (const s of c.subscribers) s.end();
      res.writeHead(204).end();
      return;
    }
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="sse"', 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    const c = channel(name);
    if (c.closed) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': style.contentType ?? 'text/event-stream', 'cache-control': options.cacheControl ?? 'no-cache' });
    res.flushHeaders();
    let head = style.bom ? '\uFEFF' : '';
    const headEnd = eol();
    if (style.retry !== undefined) head += `retry${sep}${style.retry}${headEnd}${headEnd}`;
    if (head) res.write(head);
    if (name === 'static' && options.staticEvents) {
      for (let i = 1; i <= options.staticEvents; i++) c.log.length < options.staticEvents && c.log.push({ id: String(c.next++), data: `static ${i}` });
    }
    const last = options.noReplay ? undefined : (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
    const from = last === undefined ? (name === 'static' ? 0 : c.log.length) : c.log.findIndex((e) => e.id === last) + 1;
    for (const e of c.log.slice(Math.max(0, from))) send(res, frame(e));
    c.subscribers.add(res);
    // Heartbeats go through the same queue: written between the halves of a split event they would corrupt it.
    const hb = options.heartbeatMs ? setInterval(() => send(res, `:${eol()}`), options.heartbeatMs) : undefined;
    res.on('close', () => {
      clearInterval(hb);
      c.subscribers.delete(res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
