/**
 * Which case catches which fault switch of the reference server (reference/server/faults.ts), and
 * which other cases are expected to go red with it because the fault really breaks what they
 * observe (collateral, with the reason). The self-validation test asserts exactly this table:
 * every `caughtBy` case FAILs, and no case outside `caughtBy` + `collateral` fails. The README
 * table is this data.
 */
export interface FaultCoverage {
  readonly fault: string;
  /** Cases that check the broken rule: each must FAIL. */
  readonly caughtBy: readonly string[];
  /** Cases that may also fail because the fault breaks what they observe. */
  readonly collateral: readonly string[];
  readonly why?: string | undefined;
  /**
   * `cluster`: the fault acts between instances, so it is judged with two instances sharing one
   * Redis store and `check A --peer B` (cluster-self-validation.test.ts), not against one server.
   */
  readonly deployment?: 'cluster' | 'http2' | undefined;
}

const DELIVERY = [
  'server.response.incremental', 'server.response.compression', 'server.binary.base64', 'server.heartbeat.interval',
  'server.replay.resumes-after-id', 'server.replay.query-param', 'server.replay.publish-while-disconnected',
  'server.publish.round-trip', 'server.publish.property', 'server.path.buffering',
];
const DATA = ['server.binary.base64', 'server.replay.publish-while-disconnected', 'server.publish.round-trip', 'server.publish.property'];
const REPLAY = ['server.replay.query-param', 'server.replay.publish-while-disconnected', 'server.publish.property'];

export const FAULT_COVERAGE: readonly FaultCoverage[] = [
  { fault: 'content-type-wrong', caughtBy: ['server.response.content-type'], collateral: [] },
  { fault: 'content-type-missing', caughtBy: ['server.response.content-type'], collateral: [] },
  { fault: 'missing-blank-line', caughtBy: ['server.framing.event-terminator'], collateral: DELIVERY.filter((c) => c !== 'server.heartbeat.interval'), why: 'no event is ever dispatched, so nothing published arrives' },
  { fault: 'raw-newline-in-data', caughtBy: ['server.framing.field-names', 'server.publish.round-trip'], collateral: ['server.publish.property'], why: 'generated multi-line payloads arrive truncated' },
  { fault: 'invalid-utf8', caughtBy: ['server.framing.utf8'], collateral: DATA, why: 'every payload arrives with U+FFFD in front' },
  { fault: 'bad-retry', caughtBy: ['server.framing.retry-digits'], collateral: [] },
  { fault: 'ids-not-monotonic', caughtBy: ['server.replay.ids-fresh'], collateral: [] },
  { fault: 'ignore-last-event-id', caughtBy: ['server.replay.resumes-after-id'], collateral: REPLAY, why: 'every reconnect replays from the start' },
  { fault: 'duplicate-on-replay', caughtBy: ['server.replay.resumes-after-id'], collateral: REPLAY, why: 'every reconnect repeats one event' },
  { fault: 'auth-bypass', caughtBy: ['server.auth.no-credentials', 'server.auth.wrong-credentials'], collateral: [] },
  { fault: 'no-www-authenticate', caughtBy: ['server.auth.www-authenticate'], collateral: [] },
  { fault: 'buffering', caughtBy: ['server.response.incremental', 'server.path.buffering'], collateral: DELIVERY.filter((c) => c !== 'server.response.incremental' && c !== 'server.path.buffering'), why: 'events and heartbeats are held back until 64 KiB accumulate' },
  { fault: 'compression-unflushed', caughtBy: ['server.response.compression', 'server.path.compression'], collateral: [] },
  { fault: 'no-heartbeat', caughtBy: ['server.heartbeat.interval'], collateral: [] },
  { fault: 'ignore-204', caughtBy: ['server.stop.closed-channel-204'], collateral: [] },
  { fault: 'local-fanout-only', caughtBy: ['server.cluster.fanout'], collateral: [], deployment: 'cluster' },
  { fault: 'replay-local-only', caughtBy: ['server.cluster.resume-on-peer', 'server.cluster.publish-during-switch'], collateral: [], deployment: 'cluster' },
  // HTTP/2 only: judged by http2-self-validation.test.ts (check --http2 on serve --http2).
  { fault: 'h2-reset-on-end', caughtBy: ['server.http2.stream-end'], collateral: [], deployment: 'http2' },
  { fault: 'per-instance-ids', caughtBy: ['server.cluster.ids-unique'], collateral: ['server.cluster.publish-during-switch'], deployment: 'cluster', why: 'the resume id is reused by the peer for e: when e is stored before the peer reads the replay, the id names e and c, d are skipped' },
];
