/**
 * The deployment lab: nginx configurations in front of the reference server (`serve`), each with
 * the verdicts `check` must give through it, in black-box mode and in cooperative mode (areas
 * response, heartbeat and path). `deployment-lab.test.ts` starts each configuration on real nginx
 * and asserts exactly this table; the README table is `renderLabTable()`. Not part of the shipped API.
 */
import type { Verdict } from '../model.ts';

export interface LabExpectation {
  readonly cases: readonly string[];
  /** Verdict without --publish. */
  readonly blackBox: Verdict;
  /** Verdict with --publish. */
  readonly cooperative: Verdict;
  /** What the report says: cause and fix. */
  readonly finding: string;
}

export interface LabConfig {
  readonly key: string;
  /** What the configuration is, for the README. */
  readonly title: string;
  /** Directives in `location / { … }` after `proxy_pass`. */
  readonly location: readonly string[];
  /** Directives at server level. */
  readonly server?: readonly string[] | undefined;
  /** Heartbeat of the upstream reference server (0: off). */
  readonly upstreamHeartbeatMs: number;
  /** `--heartbeat` given to check. */
  readonly declaredHeartbeatMs?: number | undefined;
  /** nginx listens with `ssl http2` (a throw-away CA, given to check with --ca) and check runs with --http2 (adds area http2). */
  readonly http2?: boolean | undefined;
  /** What the other cases show (README). */
  readonly note?: string | undefined;
  /** Every case that is not PASS in either mode; all other cases of the areas must PASS (black-box: response.compression is UNSUPPORTED). */
  readonly expected: readonly LabExpectation[];
}

/** Areas the lab runs (the path between server and client shows in these). */
export const LAB_AREAS = ['response', 'heartbeat', 'path'] as const;
/** Long enough to see nginx cut an idle stream after a 3 s proxy_read_timeout. */
export const LAB_OBSERVE_MS = 4000;

const UPSTREAM_11 = ['proxy_http_version 1.1;', "proxy_set_header Connection '';"];
const HIDDEN_HEADER: LabExpectation = {
  cases: ['server.response.proxy-buffering'], blackBox: 'INFO', cooperative: 'INFO',
  finding: '`X-Accel-Buffering` not sent: nginx consumes `X-Accel-*` headers from the upstream and never forwards them, so the advisory header is invisible behind it (not a problem by itself)',
};
const NO_HEADERS = 'no response headers within 3000 ms';

export const LAB_CONFIGS: readonly LabConfig[] = [
  {
    key: 'buffering',
    title: 'nginx defaults (`proxy_buffering on`, HTTP/1.0 to the upstream) with `proxy_ignore_headers X-Accel-Buffering;`',
    location: ['proxy_ignore_headers X-Accel-Buffering;'],
    upstreamHeartbeatMs: 500, declaredHeartbeatMs: 1000,
    expected: [
      { cases: ['server.path.buffering'], blackBox: 'NON_STRICT', cooperative: 'FAIL', finding: `black-box: the connection is accepted but ${NO_HEADERS}; a probe of the origin answers \`Server: nginx/…\`, confidence likely: nginx holds headers and small writes in its proxy buffers → \`proxy_buffering off;\` or \`X-Accel-Buffering: no\` from the upstream (not ignored). Cooperative: no published event arrives (FAIL, same fix)` },
      { cases: ['server.response.incremental'], blackBox: 'FAIL', cooperative: 'ERROR', finding: `${NO_HEADERS} (headers-prompt)` },
      { cases: ['server.response.compression'], blackBox: 'UNSUPPORTED', cooperative: 'ERROR', finding: NO_HEADERS },
      {
        cases: ['server.response.status-200', 'server.response.content-type', 'server.response.no-cache', 'server.response.proxy-buffering', 'server.heartbeat.interval', 'server.path.compression', 'server.path.idle-timeout'],
        blackBox: 'ERROR', cooperative: 'ERROR', finding: `${NO_HEADERS}: nothing to judge (the whole stream is held back)`,
      },
    ],
  },
  {
    key: 'gzip',
    title: '`gzip on; gzip_types text/event-stream;` (otherwise correct: the upstream\'s `X-Accel-Buffering: no` honoured, `proxy_http_version 1.1`)',
    location: [...UPSTREAM_11], server: ['gzip on;', 'gzip_types text/event-stream;'],
    upstreamHeartbeatMs: 500, declaredHeartbeatMs: 1000,
    expected: [
      { cases: ['server.path.compression'], blackBox: 'INFO', cooperative: 'INFO', finding: '`Content-Encoding: gzip` for a browser\'s `Accept-Encoding` (none for the harness\'s own reads), reported from the headers with the fix (leave `text/event-stream` out of `gzip_types`); held-back bytes measured: 0, because nginx flushes its gzip stream on every upstream write when proxy buffering is off. Behind a buffering proxy or a middleware that does not flush, the same header comes with events held back: NON_STRICT when inferred from what the stream sent, FAIL when an event the harness published is missing (the `compression-unflushed` fault switch plants exactly that)' },
      HIDDEN_HEADER,
    ],
  },
  {
    key: 'read-timeout-no-heartbeat',
    title: '`proxy_read_timeout 3s;`, upstream heartbeats off (otherwise correct)',
    location: [...UPSTREAM_11, 'proxy_read_timeout 3s;'],
    upstreamHeartbeatMs: 0,
    expected: [
      { cases: ['server.path.idle-timeout'], blackBox: 'NON_STRICT', cooperative: 'NON_STRICT', finding: 'the stream was cut after ≈3000 ms of silence (observed idle timeout) and the chunked body left unterminated; no heartbeat declared → a heartbeat under the observed timeout, or raise `proxy_read_timeout`' },
      { cases: ['server.heartbeat.interval'], blackBox: 'INFO', cooperative: 'INFO', finding: 'no heartbeat declared: longest silence ≈3000 ms recorded (the cut ends it)' },
      HIDDEN_HEADER,
    ],
  },
  {
    key: 'read-timeout-heartbeat',
    title: '`proxy_read_timeout 3s;`, upstream heartbeat every 500 ms (declared `--heartbeat 1000`)',
    location: [...UPSTREAM_11, 'proxy_read_timeout 3s;'],
    upstreamHeartbeatMs: 500, declaredHeartbeatMs: 1000,
    note: 'no finding: the 500 ms heartbeat keeps the stream inside the 3 s read timeout',
    expected: [HIDDEN_HEADER],
  },
  {
    key: 'http-version-default',
    title: '`proxy_http_version` left at its default (1.0), otherwise correct',
    location: [],
    upstreamHeartbeatMs: 500, declaredHeartbeatMs: 1000,
    note: 'no finding: the reference server streams to an HTTP/1.0 hop too (Node writes the body unchunked and ends it by closing), and the hop\'s HTTP version cannot be seen from the client side. Upstreams that buffer HTTP/1.0 answers show up under `server.path.buffering`, whose fix names `proxy_http_version 1.1`',
    expected: [HIDDEN_HEADER],
  },
  {
    key: 'correct',
    title: 'correct: `proxy_http_version 1.1; proxy_set_header Connection \'\'; proxy_buffering off; gzip off; proxy_read_timeout 1h;`',
    location: [...UPSTREAM_11, 'proxy_buffering off;', 'gzip off;', 'proxy_read_timeout 1h;'],
    upstreamHeartbeatMs: 500, declaredHeartbeatMs: 1000,
    note: 'no finding; the full cooperative check (every area, auth and declared statuses included) passes through it too',
    expected: [HIDDEN_HEADER],
  },
  {
    key: 'correct-http2',
    title: 'the correct configuration on `listen … ssl http2;` (a throw-away CA given to check with `--ca`), checked with `--http2`: nginx speaks h2 to the client, HTTP/1.1 to the upstream',
    location: [...UPSTREAM_11, 'proxy_buffering off;', 'gzip off;', 'proxy_read_timeout 1h;'], http2: true,
    upstreamHeartbeatMs: 500, declaredHeartbeatMs: 1000,
    note: 'no finding: every case of the areas passes over h2, `server.http2.no-connection-headers` included, and `server.http2.stream-end` sees END_STREAM after DELETE',
    expected: [HIDDEN_HEADER, { cases: ['server.http2.stream-end'], blackBox: 'UNSUPPORTED', cooperative: 'PASS', finding: 'black-box: no stream ended while observed (it needs --publish to close a channel)' }],
  },
];

/** The README table (between the lab markers). */
export function renderLabTable(configs: readonly LabConfig[] = LAB_CONFIGS): string {
  const rows = ['| nginx configuration (in front of `serve`) | case | black-box | cooperative | what the report says → fix |', '|---|---|---|---|---|'];
  for (const c of configs) {
    if (c.note !== undefined) rows.push(`| ${c.title} | every other case | PASS | PASS | ${c.note} |`);
    for (const e of c.expected) rows.push(`| ${c.title} | ${e.cases.map((id) => `\`${id}\``).join(', ')} | ${e.blackBox} | ${e.cooperative} | ${e.finding} |`);
  }
  return rows.join('\n');
}
