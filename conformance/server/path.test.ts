// Path cases against small misbehaving targets (a compressor that does not flush and compresses
// only when asked, a buffer that releases heartbeats in blocks, an idle cut), plus the arrival
// heuristics on synthetic timelines.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { constants, createGzip } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { arrivalFinding } from './path.ts';
import type { ReadResult } from './stream-reader.ts';

interface Target { url: string; close(): Promise<void> }

/** A stream target: `onStream(res, req)` writes whatever the test needs. */
async function target(onStream: (req: http.IncomingMessage, res: http.ServerResponse, socket: Socket) => void): Promise<Target> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => onStream(req, res, req.socket));
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

const open: Target[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** Heartbeats every `everyMs`; gzip when the request asks for it, flushed per write only when `flush`. */
function heartbeatStream(everyMs: number, gzip: 'no' | 'unflushed' | 'flushed') {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const compress = gzip !== 'no' && /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', ...(compress ? { 'content-encoding': 'gzip' } : {}) });
    res.flushHeaders();
    let write = (text: string) => { res.write(text); };
    if (compress) {
      const z = createGzip();
      z.pipe(res);
      write = (text: string) => {
        z.write(text);
        if (gzip === 'flushed') z.flush(constants.Z_SYNC_FLUSH);
      };
      res.on('close', () => z.destroy());
    }
    write('retry: 1000\n\n');
    const timer = setInterval(() => write(': heartbeat\n\n'), everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

async function runPath(url: string, extra: string[] = []): Promise<Map<string, CaseResult>> {
  const r = await runCheck(parseCheckArgs([url, '--case', 'server.path.*', '--observe', '1500', '--seed', '3', ...extra]));
  return new Map(r.cases.map((c) => [c.id, c]));
}

function actual(c: CaseResult | undefined): string {
  return (c?.checks ?? []).map((k) => `${k.name}: ${k.verdict}: ${k.actual}`).join('\n');
}

describe('server.path.compression: the stream as a browser asks for it', () => {
  it('a compressor that only runs when asked and never flushes: NON_STRICT, bytes held back measured, both views reported', async () => {
    const t = await target(heartbeatStream(100, 'unflushed'));
    open.push(t);
    const c = (await runPath(t.url)).get('server.path.compression')!;
    expect(c.verdict, actual(c)).toBe('NON_STRICT');
    expect(c.checks.find((k) => k.name === 'content-encoding')!.actual).toContain('Content-Encoding: gzip');
    const held = c.checks.find((k) => k.name === 'held-back')!;
    expect(held.verdict).toBe('NON_STRICT');
    expect(held.actual).toContain('gzip_types');
    const m = Object.fromEntries(c.measurements.map((x) => [x.name, x.value]));
    expect(m['identity-items']).toBeGreaterThan(5);
    expect(m['browser-decoded-bytes']).toBe(0);
    expect(m['held-back-bytes']).toBeGreaterThan(50);
    expect(c.evidence.map((e) => e.label).join('\n')).toMatch(/browser view[\s\S]*identity view/);
  });

  it('control: gzip flushed after every write is reported (INFO) but holds nothing back', async () => {
    const t = await target(heartbeatStream(100, 'flushed'));
    open.push(t);
    const c = (await runPath(t.url)).get('server.path.compression')!;
    expect(c.verdict, actual(c)).toBe('INFO');
    expect(c.checks.find((k) => k.name === 'held-back')!.verdict).toBe('PASS');
  });

  it('an uncompressed stream passes', async () => {
    const t = await target(heartbeatStream(100, 'no'));
    open.push(t);
    const c = (await runPath(t.url)).get('server.path.compression')!;
    expect(c.verdict, actual(c)).toBe('PASS');
  });
});

describe('server.path.buffering and server.path.idle-timeout', () => {
  it('heartbeats released in blocks are a likely buffer; the fix is named', async () => {
    // Sends nothing for 600 ms, then three heartbeats in one write, repeatedly (what a buffer does to a 200 ms heartbeat).
    const t = await target((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const timer = setInterval(() => res.write(': heartbeat\n\n: heartbeat\n\n: heartbeat\n\n'), 600);
      res.on('close', () => clearInterval(timer));
    });
    open.push(t);
    const c = (await runPath(t.url, ['--heartbeat', '200'])).get('server.path.buffering')!;
    expect(c.verdict, actual(c)).toBe('NON_STRICT');
    expect(actual(c)).toContain('confidence: likely');
    expect(actual(c)).toContain('proxy_buffering off;');
  });

  it('a steady heartbeat shows no buffer and no idle cut', async () => {
    const t = await target(heartbeatStream(200, 'no'));
    open.push(t);
    // Declared 600 ms for a 200 ms heartbeat: scheduling on a loaded machine never trips it.
    const cases = await runPath(t.url, ['--heartbeat', '600']);
    expect(cases.get('server.path.buffering')!.verdict, actual(cases.get('server.path.buffering'))).toBe('PASS');
    const idle = cases.get('server.path.idle-timeout')!;
    expect(idle.verdict, actual(idle)).toBe('PASS');
    expect(actual(idle)).toContain('--observe');
  });

  it('a connection cut after 1.5 s of silence: the observed idle timeout, and whether the declared heartbeat would keep it open', async () => {
    const t = await target((_req, res, socket) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 1000\n\n');
      // No final chunk, as a proxy's read timeout does; 1.5 s is well clear of the case's 1 s idle threshold.
      setTimeout(() => socket.destroy(), 1500);
    });
    open.push(t);
    const slow = (await runPath(t.url, ['--heartbeat', '5000'])).get('server.path.idle-timeout')!;
    expect(slow.verdict, actual(slow)).toBe('NON_STRICT');
    expect(actual(slow)).toContain('left the body unterminated');
    expect(actual(slow)).toContain('would not keep the connection alive');
    const observed = slow.measurements.find((m) => m.name === 'observed-idle-timeout-ms')!.value;
    expect(observed).toBeGreaterThan(1200);
    expect(observed).toBeLessThan(3000);
    const fast = (await runPath(t.url, ['--heartbeat', '300'])).get('server.path.idle-timeout')!;
    expect(actual(fast)).toContain('would keep the connection alive');
  });
});

describe('arrivalFinding', () => {
  const result = (items: { at: number; comment?: string; event?: string }[], end: ReadResult['end'] = 'time-up', elapsedMs = 3000): ReadResult => ({
    requestedUrl: 'http://x/', url: 'http://x/', redirects: [], status: 200, headers: {}, rawHeaders: [], headersAt: 10,
    chunks: items.map((i) => ({ at: i.at, bytes: new Uint8Array(12) })), body: new Uint8Array(), retries: [], end, endDetail: '', elapsedMs,
    events: items.filter((i) => i.event).map((i) => ({ type: i.event!, data: 'x', lastEventId: '', origin: '', at: i.at })),
    comments: items.filter((i) => i.comment).map((i) => ({ at: i.at, text: i.comment! })),
  } as unknown as ReadResult);

  it('spaced heartbeats: nothing', () => {
    expect(arrivalFinding(result([300, 800, 1300, 1800, 2300].map((at) => ({ at, comment: ' hb' }))), 500)).toBeUndefined();
  });
  it('heartbeats arriving together: likely', () => {
    expect(arrivalFinding(result([{ at: 1500, comment: ' hb' }, { at: 1501, comment: ' hb' }, { at: 1502, comment: ' hb' }]), undefined)?.confidence).toBe('likely');
  });
  it('a block of events after a long silence: possible', () => {
    const items = [{ at: 300, event: 'a' }, { at: 600, event: 'a' }, ...[2500, 2501, 2502, 2503].map((at) => ({ at, event: 'a' }))];
    expect(arrivalFinding(result(items), undefined)?.confidence).toBe('possible');
  });
  it('everything in one burst right before the end: likely', () => {
    expect(arrivalFinding(result([{ at: 2950, event: 'a' }, { at: 2951, event: 'b' }], 'eof', 2960), undefined)?.confidence).toBe('likely');
  });
  it('a declared heartbeat that never came: possible', () => {
    expect(arrivalFinding(result([]), 500)?.text).toContain('either the server sent none');
  });
});
