/**
 * Client scenarios: data in fixtures/scenarios/*.json (schema: fixtures/scenarios/scenario.schema.json).
 * Each is a scripted server behaviour (a playback script) plus expectations on what the client
 * shows (events, open/error order, readyState) and what it sends (the server's request log).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { packageFile } from '../package-files.ts';
import type { PlaybackScript } from '../../reference/server/playback.ts';
import { chunkBytes } from '../../reference/server/playback.ts';
import { findRequirement } from '../../spec/requirements.ts';

/** Client-side abilities a scenario may need beyond "open a URL and report". */
export type Feature = 'headers' | 'close-in-handler' | 'ready-state';
export const FEATURES: readonly Feature[] = ['headers', 'close-in-handler', 'ready-state'];

/** How strictly a check gates: derived from its requirements' levels unless given. */
export type CheckLevel = 'MUST' | 'SHOULD' | 'INFO';

export interface ExpectedEvent {
  readonly type?: string | undefined; // default `message`
  readonly data: string;
  /** Omitted: not compared. */
  readonly lastEventId?: string | undefined;
}

interface CheckBase {
  readonly name: string;
  readonly requirementIds: readonly string[];
  readonly level?: CheckLevel | undefined;
}

export type ScenarioCheck =
  /** The dispatched events, exactly and in order. */
  | (CheckBase & { readonly kind: 'events'; readonly events: readonly ExpectedEvent[]; /** Only the first events.length are compared. */ readonly prefix?: boolean | undefined })
  /** The order of open / error / event observations, exactly. */
  | (CheckBase & { readonly kind: 'sequence'; readonly sequence: ReadonlyArray<'open' | 'error' | 'event'> })
  /** readyState seen in the open/error handlers, in order (needs the adapter to report it). */
  | (CheckBase & { readonly kind: 'ready-states'; readonly readyStates: readonly number[] })
  /** FAIL-CONNECTION: exactly one error, no open, and the client ends CLOSED. */
  | (CheckBase & { readonly kind: 'fails-connection' })
  /** The client is still trying (not CLOSED) at the end. */
  | (CheckBase & { readonly kind: 'not-closed' })
  /** Number of requests the server received. */
  | (CheckBase & { readonly kind: 'request-count'; readonly equals?: number; readonly min?: number; readonly max?: number })
  /**
   * A request header: `equals` (null = must be absent), `contains` (case-insensitive), or
   * `equalsUtf8` (the header's bytes must be this text's UTF-8 encoding).
   */
  | (CheckBase & {
      readonly kind: 'request-header';
      readonly request: number;
      readonly header: string;
      readonly equals?: string | null;
      readonly contains?: string;
      readonly equalsUtf8?: string;
    })
  | (CheckBase & { readonly kind: 'request-method'; readonly request: number; readonly method: string })
  /** Request `request` asked for the same path as request `sameAs` (reconnect goes to the original URL). */
  | (CheckBase & { readonly kind: 'request-path'; readonly request: number; readonly sameAs: number })
  /**
   * Time from the end of response `request - 1` to the arrival of request `request`. `minMs` gates
   * (with the run's epsilon); `maxMs` only distinguishes readings and is graded by its level.
   * Always recorded as a measurement.
   */
  | (CheckBase & { readonly kind: 'reconnect-delay'; readonly request: number; readonly minMs?: number; readonly maxMs?: number });

export interface Until {
  readonly events?: number | undefined;
  readonly requests?: number | undefined;
  readonly errors?: number | undefined;
  readonly closed?: boolean | undefined;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly area: string;
  readonly requirementIds: readonly string[];
  readonly description: string;
  readonly expectation: string;
  /** Measures time: runs alone (serial pool) so load from other scenarios cannot shift it. */
  readonly timing?: boolean | undefined;
  readonly requires?: readonly Feature[] | undefined;
  readonly client?: {
    readonly headers?: Readonly<Record<string, string>> | undefined;
    /** Call close() inside the first handler of this kind. */
    readonly closeOn?: 'open' | 'message' | 'error' | undefined;
    /** Custom event types to listen for (besides `message`). */
    readonly eventTypes?: readonly string[] | undefined;
  } | undefined;
  readonly server: PlaybackScript;
  /** Stop observing once all given conditions hold, then wait `settleMs`. */
  readonly until: Until;
  readonly settleMs?: number | undefined;
  /** Hard limit for the observation (ms). @defaultValue 5000 */
  readonly timeoutMs?: number | undefined;
  readonly checks: readonly ScenarioCheck[];
  /** Representative subset run by the fast browser test. */
  readonly smoke?: boolean | undefined;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

const ID_PATTERN = /^client\.[a-z0-9-]+\.[a-z0-9.-]+$/;

/** Level a check gates at: explicit, else the strongest level among its requirements. */
export function checkLevel(check: ScenarioCheck): CheckLevel {
  if (check.level) return check.level;
  let level: CheckLevel = 'INFO';
  for (const id of check.requirementIds) {
    const r = findRequirement(id);
    if (!r) continue;
    if (r.level === 'MUST') return 'MUST';
    if (r.level === 'SHOULD' || r.level === 'interp') level = 'SHOULD';
  }
  return level;
}

/** Validates one parsed scenario; throws ScenarioError naming the file and the problem. */
export function validateScenario(value: unknown, where: string): Scenario {
  const fail = (msg: string): never => {
    throw new ScenarioError(`${where}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null) fail('scenario must be an object');
  const s = value as Scenario;
  if (typeof s.id !== 'string' || !ID_PATTERN.test(s.id)) fail(`bad id ${JSON.stringify(s.id)} (expected client.<area>.<rule>)`);
  for (const key of ['title', 'area', 'description', 'expectation'] as const) if (typeof s[key] !== 'string' || s[key] === '') fail(`${s.id}: ${key} must be a non-empty string`);
  const ids = [...(s.requirementIds ?? []), ...(s.checks ?? []).flatMap((c) => c.requirementIds ?? [])];
  if (!Array.isArray(s.requirementIds) || s.requirementIds.length === 0) fail(`${s.id}: requirementIds must be a non-empty array`);
  for (const id of ids) if (!findRequirement(id)) fail(`${s.id}: unknown requirement ID ${id} (not in spec/catalog.ts)`);
  if (!s.server || !Array.isArray(s.server.responses) || s.server.responses.length === 0) fail(`${s.id}: server.responses must be a non-empty array`);
  for (const r of [...s.server.responses, ...(s.server.afterScript ? [s.server.afterScript] : [])]) {
    if (!Number.isInteger(r.status) || r.status < 100 || r.status > 599) fail(`${s.id}: bad status ${r.status}`);
    try {
      for (const c of r.chunks ?? []) chunkBytes(c);
    } catch (error) {
      fail(`${s.id}: ${(error as Error).message}`);
    }
  }
  if (!Array.isArray(s.checks) || s.checks.length === 0) fail(`${s.id}: checks must be a non-empty array`);
  const names = new Set<string>();
  for (const c of s.checks) {
    if (typeof c.name !== 'string' || names.has(c.name)) fail(`${s.id}: check names must be unique strings (${String(c.name)})`);
    names.add(c.name);
    if (!Array.isArray(c.requirementIds) || c.requirementIds.length === 0) fail(`${s.id}:${c.name}: requirementIds must be non-empty`);
  }
  if (typeof s.until !== 'object' || s.until === null || Object.keys(s.until).length === 0) fail(`${s.id}: until must name at least one condition`);
  for (const f of s.requires ?? []) if (!FEATURES.includes(f)) fail(`${s.id}: unknown feature ${f}`);
  return s;
}

export const SCENARIO_DIR = packageFile('fixtures/scenarios/');

/** Loads every scenario file (`*.json` except the schema), each an array of scenarios; IDs must be unique. */
export function loadScenarios(dir = SCENARIO_DIR): Scenario[] {
  const out: Scenario[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json')).sort()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
    } catch (error) {
      throw new ScenarioError(`${file}: not valid JSON: ${(error as Error).message}`);
    }
    const list = (parsed as { scenarios?: unknown }).scenarios;
    if (!Array.isArray(list)) throw new ScenarioError(`${file}: expected {"scenarios": [...]}`);
    for (const item of list) {
      const scenario = validateScenario(item, file);
      if (seen.has(scenario.id)) throw new ScenarioError(`${file}: duplicate scenario id ${scenario.id}`);
      seen.add(scenario.id);
      out.push(scenario);
    }
  }
  return out;
}

/** Every feature a scenario needs, including `ready-state` when a check reads it. */
export function requiredFeatures(s: Scenario): Feature[] {
  const set = new Set<Feature>(s.requires ?? []);
  if (s.client?.headers && Object.keys(s.client.headers).length > 0) set.add('headers');
  if (s.client?.closeOn) set.add('close-in-handler');
  return [...set];
}
