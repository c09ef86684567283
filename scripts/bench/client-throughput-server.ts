/**
 * Child process of the client throughput benchmark: the event-stream server, in its own process
 * so its work is not counted in the clients' CPU time. `node --import tsx client-throughput-server.ts`;
 * reports `{ ready, url }` over IPC.
 *
 * Routes (all answer 200 text/event-stream):
 * - `/stream/<workload>?n=<events>`: the workload's events (client-throughput-workloads.ts), then
 *   the body stays open; `bulk` workloads are written in 64 KiB writes as fast as the socket takes
 *   them, `per-event` ones one event per write, one write per turn of this process's event loop,
 *   `per-write` ones one event per write as fast as the socket takes them.
 * - `/latency?n=<events>&burst=<k>`: `n` events carrying their write time (`process.hrtime`, a
 *   system-wide monotonic clock on Linux), `k` per millisecond, each its own write.
 * - `/idle`: one comment, then nothing (memory per idle connection).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { buildWorkload, clientWorkloads, type ClientWorkload } from './client-throughput-workloads.ts';

const quick = process.argv.includes('--quick');
const workloads = new Map<string, ClientWorkload>(clientWorkloads(quick ? 20_000 : 100_000, quick ? 5_000 : 20_000).map((w) => [w.id, buildWorkload(w)]));

/**
 * Writes `chunks` in order to `out`, waiting for 'drain' when it is full; `perTurn` yields to the
 * event loop after each write. `out` is the response, or for `per-write` and `tiny-chunks`
 * workloads the socket itself: their HTTP/1.1 chunks are framed already (one per event or piece),
 * and go out 64 KiB at a time after the response headers. Through `res.write` every event cost
 * the server a write of its own, and the fast clients all met at the server's rate.
 */
function writeAll(out: Writable, chunks: readonly Buffer[], perTurn: boolean): void {
  let i = 0;
  const next = (): void => {
    while (i < chunks.length && !out.destroyed) {
      const ok = out.write(chunks[i++]!);
      if (!ok) {
        out.once('drain', next);
        return;
      }
      if (perTurn) {
        setImmediate(next);
        return;
      }
    }
  };
  next();
}

function latency(res: ServerResponse, count: number, burst: number): void {
  let sent = 0;
  const tick = (): void => {
    // `burst` events, each its own write, one turn of the event loop apart.
    let inTick = 0;
    const one = (): void => {
      if (res.destroyed || sent >= count) return;
      sent++;
      inTick++;
      res.write(`data: {"seq":${sent},"sent":"${process.hrtime.bigint()}","text":"token"}\n\n`);
      if (sent >= count) return;
      if (inTick < burst) setImmediate(one);
      else setTimeout(tick, 1);
    };
    one();
  };
  tick();
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  res.socket?.setNoDelay(true);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.flushHeaders();
  if (url.pathname === '/idle') {
    res.write(':\n\n');
    return;
  }
  if (url.pathname === '/latency') {
    latency(res, Number(url.searchParams.get('n') ?? 10_000), Number(url.searchParams.get('burst') ?? 5));
    return;
  }
  const workload = workloads.get(url.pathname.slice('/stream/'.length));
  if (workload === undefined) {
    res.end();
    return;
  }
  const framed = workload.pattern === 'per-write' || workload.pattern === 'tiny-chunks';
  const out = framed ? res.socket : res;
  if (out !== null) writeAll(out, workload.writes, workload.pattern === 'per-event');
});
server.keepAliveTimeout = 0;
server.maxConnections = 20_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: true, url: `http://127.0.0.1:${port}` });
});
process.on('disconnect', () => process.exit(0)); // the parent is gone: never linger
