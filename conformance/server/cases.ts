// The server case catalog for `check <url>`, in report order. IDs are stable: never renamed.
import type { CaseInfo } from '../model.ts';
import { BROWSER_NAMES, type BrowserName } from '../browsers.ts';
import { AUTH_CASES } from './auth.ts';
import { browserCases as pageBrowserCases } from './browser.ts';
import { connectionLimitCases } from './browser-connections.ts';
import { CLUSTER_CASES } from './cluster.ts';
import type { ServerCase } from './context.ts';
import { FRAMING_CASES } from './framing.ts';
import { HEARTBEAT_CASES } from './heartbeat.ts';
import { HTTP2_CASES } from './http2.ts';
import { PATH_CASES } from './path.ts';
import { PUBLISH_CASES } from './publish.ts';
import { REPLAY_CASES } from './replay.ts';
import { RESPONSE_CASES } from './response.ts';
import { STOP_CASES } from './stop.ts';

export const SERVER_RUNNABLE_CASES: readonly ServerCase[] = [
  ...RESPONSE_CASES, ...FRAMING_CASES, ...HEARTBEAT_CASES, ...PATH_CASES, ...HTTP2_CASES, ...REPLAY_CASES, ...AUTH_CASES, ...STOP_CASES, ...PUBLISH_CASES, ...CLUSTER_CASES,
];

/** Static descriptions (no network), imported by the coverage tool. */
export const SERVER_CASES: readonly CaseInfo[] = SERVER_RUNNABLE_CASES.map(({ id, title, area, requirementIds, description, expectation }) => ({ id, title, area, requirementIds, description, expectation }));

/** Cases that publish: on a stream shared between cases (no {channel}) they run one at a time. */
export const COOPERATIVE_CASE_IDS: ReadonlySet<string> = new Set([
  'server.cluster.fanout', 'server.cluster.resume-on-peer', 'server.cluster.ids-unique', 'server.cluster.publish-during-switch',
  'server.response.incremental', 'server.response.compression', 'server.binary.base64', 'server.replay.resumes-after-id',
  'server.replay.query-param', 'server.replay.publish-while-disconnected', 'server.stop.closed-channel-204',
  'server.publish.round-trip', 'server.publish.property', 'server.path.buffering', 'server.path.compression', 'server.http2.stream-end',
]);

/**
 * Real-browser cases, only with `--browser` (not in SERVER_CASES: they need a browser; BROWSER_CASES
 * lists them all): per browser, the page cases of browser.ts, then the connection limit.
 */
export function browserCases(names: readonly BrowserName[]): ServerCase[] {
  return names.flatMap((name) => [...pageBrowserCases([name]), ...connectionLimitCases([name])]);
}

/** Closes every browser the browser cases launched for this run (one launch per browser, shared). Never rejects. */
export { closeBrowsers } from './browser.ts';

export const BROWSER_CASES: readonly CaseInfo[] = browserCases(BROWSER_NAMES).map(({ id, title, area, requirementIds, description, expectation }) => ({ id, title, area, requirementIds, description, expectation }));

export const SERVER_AREAS: readonly string[] = [...new Set(SERVER_RUNNABLE_CASES.map((c) => c.area))];
