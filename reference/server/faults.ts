/**
 * Fault switches: each one makes the reference server break exactly one rule on purpose, so the
 * server-conformance harness can prove it notices. All are off by default; they are turned on for
 * the whole server (`faults` option / `--fault`) or, when `allowRequestFaults` is set, for one
 * request with `?fault=a,b`.
 */

export type FaultName =
  | 'content-type-wrong'
  | 'content-type-missing'
  | 'missing-blank-line'
  | 'raw-newline-in-data'
  | 'invalid-utf8'
  | 'bad-retry'
  | 'ids-not-monotonic'
  | 'ignore-last-event-id'
  | 'duplicate-on-replay'
  | 'auth-bypass'
  | 'no-www-authenticate'
  | 'buffering'
  | 'compression-unflushed'
  | 'no-heartbeat'
  | 'ignore-204'
  | 'local-fanout-only'
  | 'replay-local-only'
  | 'per-instance-ids'
  | 'h2-reset-on-end';

export interface FaultInfo {
  readonly name: FaultName;
  /** What the server does wrong, in one line. */
  readonly description: string;
  /** Requirement IDs (spec/catalog.ts) the fault violates. */
  readonly breaks: readonly string[];
}

/** Every fault switch, with what it breaks. */
export const FAULTS: readonly FaultInfo[] = [
  { name: 'content-type-wrong', description: 'streams are served as `Content-Type: text/plain; charset=utf-8`', breaks: ['SRV-CONTENT-TYPE'] },
  { name: 'content-type-missing', description: 'streams are served without a Content-Type header', breaks: ['SRV-CONTENT-TYPE'] },
  { name: 'missing-blank-line', description: 'events end with a single line break instead of a blank line, so they run together', breaks: ['SRV-EVENT-TERMINATOR'] },
  { name: 'raw-newline-in-data', description: 'multi-line data is written raw after one `data:`, so line 2 onwards become bogus fields', breaks: ['SRV-DATA-MULTILINE'] },
  { name: 'invalid-utf8', description: 'every event\'s first data line starts with the invalid UTF-8 bytes C3 28', breaks: ['SRV-UTF8'] },
  { name: 'bad-retry', description: 'sends `retry: 1.5s` on connect instead of an integer number of milliseconds', breaks: ['SRV-RETRY-FORMAT'] },
  { name: 'ids-not-monotonic', description: 'server-assigned ids go out as seq XOR 1 (0, 3, 2, 5, 4, …): unique but not increasing; replay still resolves them', breaks: ['SRV-LAST-EVENT-ID-RESUME'] },
  { name: 'ignore-last-event-id', description: 'Last-Event-ID (header or query) is ignored: every connection replays the whole log from the start', breaks: ['SRV-LAST-EVENT-ID-RESUME'] },
  { name: 'duplicate-on-replay', description: 'replay also re-sends the event named by Last-Event-ID, which the client already has', breaks: ['SRV-LAST-EVENT-ID-RESUME'] },
  { name: 'auth-bypass', description: 'protected channels stream to requests without (or with wrong) credentials', breaks: [] },
  { name: 'no-www-authenticate', description: '401 answers omit the WWW-Authenticate header', breaks: [] },
  { name: 'buffering', description: 'stream bytes are held until 64 KiB have accumulated or the stream ends (a buffering proxy)', breaks: ['SRV-CHUNKING-CAUTION'] },
  { name: 'compression-unflushed', description: 'a request that accepts gzip gets the stream gzip-compressed by a compressor that is never flushed (a compression middleware unaware of event streams): events wait in it until about 16 KiB of compressed output accumulate or the stream ends', breaks: ['SRV-CHUNKING-CAUTION', 'DEPLOY-NO-COMPRESSION-HOLDBACK'] },
  { name: 'no-heartbeat', description: 'no heartbeat comment lines are sent on idle streams', breaks: ['SRV-COMMENT-KEEPALIVE'] },
  { name: 'ignore-204', description: 'closed (deleted) channels keep answering 200 streams instead of 204', breaks: ['SRV-STOP-204'] },
  { name: 'local-fanout-only', description: 'with a shared store, live events reach only the subscribers of the instance they were published on', breaks: ['SRV-CLUSTER-FANOUT'] },
  { name: 'replay-local-only', description: 'replay is answered from this instance\'s own memory of what it published, not from the shared store', breaks: ['SRV-CLUSTER-RESUME'] },
  { name: 'h2-reset-on-end', description: 'over HTTP/2, a stream the server ends (channel closed, streams ended, shutdown) gets half an event and then RST_STREAM INTERNAL_ERROR instead of END_STREAM', breaks: ['H2-END-STREAM'] },
  { name: 'per-instance-ids', description: 'server-assigned ids come from a per-instance counter, so instances issue the same id for different events', breaks: ['SRV-CLUSTER-IDS-UNIQUE'] },
];

/** The bytes the `buffering` fault holds back before writing. */
export const BUFFERING_FAULT_BYTES = 64 * 1024;

const NAMES: ReadonlySet<string> = new Set(FAULTS.map((f) => f.name));

export function isFaultName(name: string): name is FaultName {
  return NAMES.has(name);
}

/** Thrown for an unknown fault name; the message lists the known ones. */
export class UnknownFaultError extends Error {
  override name = 'UnknownFaultError';
  readonly code = 'SSEC_ERR_UNKNOWN_FAULT';
  constructor(readonly fault: string) {
    super(`unknown fault ${JSON.stringify(fault)}; known faults: ${FAULTS.map((f) => f.name).join(', ')}`);
  }
}

/** Parses a list of fault names (`a,b` or an array); throws `UnknownFaultError` on the first unknown one. */
export function parseFaults(input: string | readonly string[]): FaultName[] {
  const parts = typeof input === 'string' ? input.split(',') : input;
  const out: FaultName[] = [];
  for (const raw of parts) {
    const name = raw.trim();
    if (name === '') continue;
    if (!isFaultName(name)) throw new UnknownFaultError(name);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}
