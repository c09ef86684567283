/** The EventSource implementations the client throughput benchmark compares, loaded by name. */

/** What the benchmark uses of an EventSource. */
export interface BenchEventSource {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}
export type BenchEventSourceClass = new (url: string) => BenchEventSource;

export const REFERENCE = 'sse-conformance';
export const UNDICI = 'undici 7 EventSource';

export const CONTENDERS: readonly string[] = [REFERENCE, UNDICI, 'eventsource 4', 'eventsource 5'];

/** Loads a contender's EventSource class; throws with the reason when it does not load here. */
export async function loadContender(name: string): Promise<BenchEventSourceClass> {
  switch (name) {
    case REFERENCE:
      return (await import('../../reference/client.ts')).EventSource as unknown as BenchEventSourceClass;
    case UNDICI:
      return (await import('undici')).EventSource as unknown as BenchEventSourceClass;
    case 'eventsource 4':
      return (await import('eventsource')).EventSource as unknown as BenchEventSourceClass;
    case 'eventsource 5':
      return (await import('eventsource-5')).EventSource as unknown as BenchEventSourceClass;
    default:
      throw new Error(`unknown contender ${name}`);
  }
}
