/**
 * Child process of the fan-out benchmark: holds many raw-socket subscribers (node:net, a
 * hand-written GET, the cheap scanner of fanout-counter.ts) so the client side costs little and
 * never shares a process with the server. Requests `{ id, cmd, ... }` arrive over IPC; answers
 * are `{ id, result }` or `{ id, error }`.
 */
import { connect, type Socket } from 'node:net';
import { EventCounter, nowMs } from './fanout-counter.ts';

interface Subscriber {
  socket: Socket;
  counter: EventCounter;
  latencies: number[] | undefined;
  lastReceiveMs: number;
}

/** Subscribers by group (one group per server under test). */
const groups = new Map<string, Subscriber[]>();

function group(name: string): Subscriber[] {
  let list = groups.get(name);
  if (!list) groups.set(name, (list = []));
  return list;
}

function request(url: URL, lastEventId?: string): string {
  return `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
    (lastEventId === undefined ? '' : `Last-Event-ID: ${lastEventId}\r\n`) + '\r\n';
}

/** Opens one subscriber; resolves once the response head (status 200) has arrived. */
function open(url: URL, sampled: boolean, timeoutMs: number, lastEventId?: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const sub: Subscriber = { socket, counter: new EventCounter(), latencies: sampled ? [] : undefined, lastReceiveMs: 0 };
    const timer = setTimeout(() => fail(new Error(`no response head within ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(request(url, lastEventId)));
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      const now = nowMs();
      const before = sub.counter.received;
      sub.counter.push(chunk, now, sub.latencies);
      if (sub.counter.received !== before) sub.lastReceiveMs = now;
      if (!settled && sub.counter.headersDone) {
        settled = true;
        clearTimeout(timer);
        if (sub.counter.status === 200) resolve(sub);
        else fail(new Error(`HTTP status ${sub.counter.status}`));
      }
    });
    socket.on('close', () => fail(new Error('closed before the response head')));
  });
}

async function connectAll(subscribers: Subscriber[], url: URL, count: number, sampleEvery: number, concurrency: number): Promise<{ connected: number; failed: number; firstError?: string; ms: number }> {
  const begin = nowMs();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      try {
        subscribers.push(await open(url, index % sampleEvery === 0, 15_000));
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { connected: subscribers.length, failed, ...(firstError === undefined ? {} : { firstError }), ms: nowMs() - begin };
}

/** Waits until every subscriber of the group has `events` events (or the timeout), then reports. */
async function waitFor(subscribers: Subscriber[], events: number, timeoutMs: number): Promise<object> {
  const deadline = nowMs() + timeoutMs;
  const complete = (): number => subscribers.filter((s) => s.counter.received >= events).length;
  while (complete() < subscribers.length && nowMs() < deadline) await new Promise((r) => setTimeout(r, 25));
  let received = 0;
  let outOfOrder = 0;
  let exact = 0;
  let lastReceiveMs = 0;
  const latencies: number[] = [];
  for (const s of subscribers) {
    received += s.counter.received;
    outOfOrder += s.counter.outOfOrder;
    if (s.counter.received === events && s.counter.outOfOrder === 0) exact++;
    lastReceiveMs = Math.max(lastReceiveMs, s.lastReceiveMs);
    if (s.latencies) latencies.push(...s.latencies);
  }
  return { subscribers: subscribers.length, received, outOfOrder, exact, lastReceiveMs, latencies };
}

/** One reconnecting client: time from sending the request to the `events`-th replayed event. */
async function replay(url: URL, lastEventId: string, events: number, timeoutMs: number): Promise<{ ms: number; received: number }> {
  const begin = nowMs();
  const sub = await open(url, false, timeoutMs, lastEventId);
  const deadline = begin + timeoutMs;
  while (sub.counter.received < events && nowMs() < deadline) await new Promise((r) => setImmediate(r));
  const ms = (sub.counter.received >= events ? sub.lastReceiveMs : nowMs()) - begin;
  sub.socket.destroy();
  return { ms, received: sub.counter.received };
}

process.on('message', (message: { id: number; cmd: string; group?: string; url?: string; count?: number; sampleEvery?: number; concurrency?: number; events?: number; timeoutMs?: number; lastEventId?: string }) => {
  const run = async (): Promise<unknown> => {
    switch (message.cmd) {
      case 'connect':
        return connectAll(group(message.group ?? ''), new URL(message.url!), message.count!, message.sampleEvery ?? 1, message.concurrency ?? 200);
      case 'wait':
        return waitFor(group(message.group ?? ''), message.events!, message.timeoutMs ?? 10_000);
      case 'replay':
        return replay(new URL(message.url!), message.lastEventId!, message.events!, message.timeoutMs ?? 10_000);
      case 'close':
        for (const list of groups.values()) for (const s of list) s.socket.destroy();
        setImmediate(() => process.exit(0));
        return true;
      default:
        throw new Error(`unknown command ${message.cmd}`);
    }
  };
  run().then(
    (result) => void process.send?.({ id: message.id, result }),
    (error: Error) => void process.send?.({ id: message.id, error: error.message }),
  );
});
process.on('disconnect', () => process.exit(0)); // the parent is gone: never linger
process.send?.({ ready: true });
