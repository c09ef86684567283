/**
 * The reference server against real EventSource clients: the npm `eventsource` package (a
 * third-party peer) and our own reference client. Reconnection resumes via Last-Event-ID with no
 * loss and no duplicate; 401 and 204 stop the client for good.
 */
import { EventSource as NpmEventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource as ReferenceEventSource } from '../client.ts';
import { createReferenceServer, type ReferenceServer, type ServerLogEntry } from './index.ts';

interface ClientLike {
  readonly readyState: number;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: Event) => void) | null;
  close(): void;
}

const clients: Array<[string, (url: string) => ClientLike]> = [
  ['eventsource (npm)', (url) => new NpmEventSource(url) as unknown as ClientLike],
  ['reference client', (url) => new ReferenceEventSource(url) as unknown as ClientLike],
];

let srv: ReferenceServer;
const logs: ServerLogEntry[] = [];
beforeAll(async () => {
  srv = await createReferenceServer({ retryMs: 50, heartbeatMs: 0, auth: { tokens: { locked: 'tok' } }, log: (e) => logs.push(e) });
});
afterAll(() => srv.close());

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(clients)('%s against the reference server', (name, open) => {
  const channel = name.replace(/[^a-z]/g, '');

  it('resumes after the server ends the stream, without loss or duplicate, while events are published', async () => {
    const ch = `${channel}-resume`;
    const es = open(`${srv.url}/channels/${ch}`);
    const got: Array<[string, string]> = [];
    es.onmessage = (e) => got.push([e.lastEventId, String(e.data)]);
    try {
      await waitFor(() => srv.subscriberCount(ch) === 1, 10_000, 'subscription');
      srv.publish(ch, { data: 'a' });
      srv.publish(ch, { data: 'b' });
      await waitFor(() => got.length === 2, 10_000, 'a, b');
      srv.endStreams(ch);
      srv.publish(ch, { data: 'c' }); // while the client waits to reconnect
      await waitFor(() => srv.subscriberCount(ch) === 1, 10_000, 'reconnection');
      srv.publish(ch, { data: 'd' });
      await waitFor(() => got.length === 4, 10_000, 'c, d');
      expect(got).toEqual([['1', 'a'], ['2', 'b'], ['3', 'c'], ['4', 'd']]);
      expect(logs.some((l) => l.channel === ch && l.detail === 'resuming after "2"')).toBe(true);
    } finally {
      es.close();
    }
  });

  it('stops on 401 without credentials', async () => {
    const rejected = () => logs.filter((l) => l.channel === 'locked' && l.status === 401).length;
    const before = rejected();
    const es = open(`${srv.url}/channels/locked`);
    try {
      await waitFor(() => es.readyState === 2, 10_000, 'CLOSED after 401');
      await new Promise((r) => setTimeout(r, 200)); // four retry periods: no further request
      expect(rejected() - before).toBe(1);
    } finally {
      es.close();
    }
  });

  it('stops when the channel is deleted (204)', async () => {
    const ch = `${channel}-stop`;
    const es = open(`${srv.url}/channels/${ch}`);
    try {
      await waitFor(() => srv.subscriberCount(ch) === 1, 10_000, 'subscription');
      srv.closeChannel(ch);
      await waitFor(() => es.readyState === 2, 10_000, 'CLOSED after 204');
    } finally {
      es.close();
    }
  });
});
