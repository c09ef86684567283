/**
 * Child process of the client throughput benchmark: memory per idle connection for ONE client
 * library. `node --expose-gc --import tsx client-throughput-idle.ts <contender> <url> <count>`
 * opens `count` EventSources to `<url>` (a stream that sends one comment and then nothing),
 * waits until all are open, and reports over IPC the growth of the heap (used + external) and
 * of the RSS after GC, per connection.
 */
import { loadContender } from './client-throughput-contenders.ts';

const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
}

async function main(): Promise<void> {
  const [name = '', url = '', countText = '1000'] = process.argv.slice(2);
  const count = Number(countText);
  const EventSource = await loadContender(name);
  // Warm the library up (its modules, a first connection) so the baseline includes its fixed cost.
  const warm = new EventSource(url);
  await new Promise<void>((resolve) => warm.addEventListener('open', () => resolve()));
  const before = await settle();
  const clients: Array<InstanceType<typeof EventSource>> = [];
  let open = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${open} of ${count} connections opened in 60 s`)), 60_000);
    for (let i = 0; i < count; i++) {
      const es = new EventSource(url);
      es.addEventListener('open', () => {
        if (++open === count) {
          clearTimeout(timer);
          resolve();
        }
      });
      es.addEventListener('message', () => {});
      clients.push(es);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await settle();
  const heap = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
  process.send?.({ heapPerConnection: (heap(after) - heap(before)) / count, rssPerConnection: (after.rss - before.rss) / count, open: clients.filter((c) => c.readyState === 1).length });
  for (const c of clients) c.close();
  warm.close();
  setTimeout(() => process.exit(0), 100);
}

main().catch((error: Error) => {
  process.send?.({ error: error.message });
  setTimeout(() => process.exit(1), 100);
});
