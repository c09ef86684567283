/**
 * What a client driver is: something that opens a URL with an EventSource-like client and reports
 * what the client shows. Drivers: the in-process reference client, any client by command
 * (`--exec`), real browsers (puppeteer-core). What the client *sends* is never the driver's word:
 * it comes from the playback server's request log.
 */
import type { Feature } from './scenario.ts';

/** One thing the client showed. `t` is ms since the scenario started, on the server's clock. */
export interface Observation {
  readonly kind: 'open' | 'event' | 'error' | 'closed';
  readonly t: number;
  readonly type?: string | undefined;
  readonly data?: string | undefined;
  readonly lastEventId?: string | undefined;
  /** readyState inside the handler (when the driver can report it). */
  readonly readyState?: number | undefined;
  readonly origin?: string | undefined;
}

export type ObservationInput = Omit<Observation, 't'>;

export interface DriverRun {
  readonly caseId: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly closeOn?: 'open' | 'message' | 'error' | undefined;
  /** The scenario measures time (it runs alone): a browser brings its page to the front so timers are not throttled. */
  readonly timing?: boolean | undefined;
  /** Features the scenario needs; a driver that lacks one answers `unsupported` without running. */
  readonly requires: readonly Feature[];
  /** Aborted when the runner has seen enough (or timed out): stop the client and resolve. */
  readonly signal: AbortSignal;
  observe(observation: ObservationInput): void;
}

export type DriverOutcome =
  | { readonly status: 'ok'; readonly log?: string | undefined }
  | { readonly status: 'unsupported'; readonly feature: string; readonly reason: string; readonly log?: string | undefined }
  | { readonly status: 'error'; readonly reason: string; readonly log?: string | undefined };

export interface ClientDriver {
  /** Row/column name in reports, e.g. `reference`, `Chromium 156.0.8078.79`, `undici`. */
  readonly name: string;
  readonly version?: string | undefined;
  /** The program that ran, when the driver launched one itself (browsers): recorded in the run's options. */
  readonly executablePath?: string | undefined;
  /** How many scenarios may run at once (timing scenarios always run alone). */
  readonly parallel: number;
  run(run: DriverRun): Promise<DriverOutcome>;
  /** Identity learned while running (e.g. an adapter's hello line). */
  identity?(): { name?: string | undefined; version?: string | undefined };
  close(): Promise<void>;
}
