// One cooperative exchange: open the stream, publish events once the headers arrive, read until
// the expected number of tagged events arrived (or the time limit). Used by replay and publish cases.
import type { PublishBody, PublishOutcome, ServerContext } from './context.ts';
import type { ReadResult, TimedEvent } from './stream-reader.ts';

export interface SessionOptions {
  readonly channel: string;
  /** Only events of this type count (tags this case's events on a shared stream). */
  readonly type: string;
  /** Published after the headers arrive, one after another. */
  readonly publish: readonly PublishBody[];
  /** Stop after this many events of `type` arrived. */
  readonly expect: number;
  /** Sent as the Last-Event-ID header. */
  readonly lastEventId?: string | undefined;
  /** Sent as a query parameter instead: [name, value]. */
  readonly lastEventIdQuery?: readonly [string, string] | undefined;
  /** Time limit override. */
  readonly totalTimeMs?: number | undefined;
}

export interface SessionResult {
  readonly result: ReadResult;
  readonly outcomes: readonly PublishOutcome[];
  readonly received: readonly TimedEvent[];
}

export function withQuery(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.href;
}

export async function publishSession(ctx: ServerContext, signal: AbortSignal, options: SessionOptions): Promise<SessionResult> {
  const started = performance.now();
  const outcomes: PublishOutcome[] = [];
  let publishing: Promise<void> | undefined;
  let url = ctx.streamUrl(options.channel);
  if (options.lastEventIdQuery) url = withQuery(url, options.lastEventIdQuery[0], options.lastEventIdQuery[1]);
  const headers: Record<string, string> = {};
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  let stop = false;
  // Once everything is published, what has not arrived within the delivery limit is not coming:
  // end the read then rather than at the (much longer) total limit.
  const local = new AbortController();
  let settleTimer: NodeJS.Timeout | undefined;
  const result = await ctx.read({
    url,
    headers,
    totalTimeMs: options.totalTimeMs ?? ctx.config.headerTimeoutMs + ctx.config.deliveryMs + 150 * options.publish.length + 500,
    onHeaders: ({ status }) => {
      if (status !== 200 || !options.publish.length) return;
      publishing = (async () => {
        for (const body of options.publish) {
          if (stop || signal.aborted) return;
          const outcome = await ctx.publish(options.channel, body, signal, started);
          outcomes.push(outcome);
          if (!outcome.ok) return;
        }
        if (!stop) settleTimer = setTimeout(() => local.abort(), ctx.config.deliveryMs + 250);
      })();
    },
    stopWhen: (p) => p.events.filter((e) => e.type === options.type).length >= options.expect,
  }, AbortSignal.any([signal, local.signal]));
  stop = true;
  clearTimeout(settleTimer);
  await publishing;
  return { result, outcomes, received: result.events.filter((e) => e.type === options.type) };
}

/** Payload normalisation a correct server applies: CRLF and CR become LF (SRV-DATA-MULTILINE). */
export function expectedData(payload: string): string {
  return payload.replace(/\r\n|\r/g, '\n');
}
