/**
 * Expected-failure baselines (`--expected-failures <file>`): known failures keyed by stable case ID,
 * or by one check (`caseId:checkName`), each with a reason. A listed entry that no longer fails is
 * stale and fails the run, so a fixed bug forces the baseline to shrink (harness-anchors §6.7).
 *
 * Accepted formats:
 *   JSON object   {"server.framing.utf8": "reason", "server.auth.www-authenticate:challenge": "reason"}
 *   JSON array    [{"id": "server.framing.utf8", "reason": "..."}]
 *   JSON wrapper  {"expectedFailures": <object or array>}
 *   Lines         server.framing.utf8: reason      (also "- id: reason", "id  # reason"; # comments, blank lines)
 */

import { failsRun, type RunResult } from './model.ts';

export interface BaselineEntry {
  /** `caseId` or `caseId:checkName`. */
  readonly key: string;
  readonly caseId: string;
  readonly check?: string | undefined;
  readonly reason: string;
}

/** A baseline (line format) listing every case that fails this run, with its reason; read back by {@link parseBaseline}. */
export function renderBaseline(result: RunResult): string {
  const lines = [`# sse-conformance expected failures for ${result.target.url ?? result.target.name}, written ${result.endedAt}`, '# Remove an entry once the case passes: listed cases that pass fail the run (stale).'];
  for (const c of result.cases) {
    if (!failsRun(c.verdict, result.strict)) continue;
    const reason = (c.expectedFailure?.reason ?? `${c.verdict}: ${c.reason ?? ''}`).replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u001f]/g, ' ').trim();
    lines.push(`${c.id}: ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export class BaselineError extends Error {
  override name = 'BaselineError';
}

function entry(key: string, reason: unknown, where: string): BaselineEntry {
  const k = key.trim();
  if (!/^[A-Za-z0-9_.*-]+(:[A-Za-z0-9_.-]+)?$/.test(k)) throw new BaselineError(`${where}: not a case ID or caseId:check key: ${JSON.stringify(key)}`);
  const [caseId, check] = k.split(':') as [string, string | undefined];
  return { key: k, caseId, check, reason: typeof reason === 'string' && reason.trim() ? reason.trim() : '(no reason given)' };
}

/** Parses baseline text; throws BaselineError naming the line or shape that is wrong. */
export function parseBaseline(text: string, source = 'baseline'): BaselineEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new BaselineError(`${source}: invalid JSON: ${(error as Error).message}`);
    }
    if (json && typeof json === 'object' && !Array.isArray(json) && 'expectedFailures' in json) json = (json as { expectedFailures: unknown }).expectedFailures;
    if (Array.isArray(json)) {
      return json.map((item, i) => {
        if (typeof item === 'string') return entry(item, undefined, `${source}[${i}]`);
        if (item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string') {
          return entry((item as { id: string }).id, (item as { reason?: unknown }).reason, `${source}[${i}]`);
        }
        throw new BaselineError(`${source}[${i}]: expected a string or {"id","reason"}`);
      });
    }
    if (json && typeof json === 'object') return Object.entries(json).map(([k, v]) => entry(k, v, `${source}: key ${k}`));
    throw new BaselineError(`${source}: expected an object or array of expected failures`);
  }
  const out: BaselineEntry[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('- ')) line = line.slice(2).trim();
    let reason = '';
    const hash = line.indexOf(' #');
    if (hash >= 0) {
      reason = line.slice(hash + 2).trim();
      line = line.slice(0, hash).trim();
    }
    // `id: reason` (the first ": " separates; `case:check` has no space after its colon).
    const sep = line.search(/:\s/);
    if (sep >= 0) {
      reason = line.slice(sep + 1).trim().replace(/^["']|["']$/g, '') || reason;
      line = line.slice(0, sep).trim();
    } else if (line.endsWith(':')) line = line.slice(0, -1);
    out.push(entry(line, reason, `${source}:${i + 1}`));
  });
  return out;
}
