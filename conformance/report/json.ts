/**
 * The canonical JSON result (schema `sse-conformance/run-result`, version 1) and its reader. Every
 * other report format, and `diff`, is rendered from this. Reporters never decide verdicts.
 */
import { VERDICTS, type RunResult } from '../model.ts';

export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export class ResultFileError extends Error {
  override name = 'ResultFileError';
}

/** Parses and structurally validates a result file; throws ResultFileError naming what is wrong. */
export function parseRunResult(text: string, source = 'result'): RunResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ResultFileError(`${source}: not JSON (${(error as Error).message})`);
  }
  const r = json as Partial<RunResult> | null;
  if (!r || typeof r !== 'object' || r.schema !== 'sse-conformance/run-result') throw new ResultFileError(`${source}: not an sse-conformance run result (schema field missing or different)`);
  if (r.schemaVersion !== 1) throw new ResultFileError(`${source}: unsupported schemaVersion ${String(r.schemaVersion)} (this harness reads 1)`);
  if (!Array.isArray(r.cases)) throw new ResultFileError(`${source}: "cases" is not an array`);
  r.cases.forEach((c, i) => {
    if (!c || typeof c.id !== 'string' || !VERDICTS.includes(c.verdict)) throw new ResultFileError(`${source}: cases[${i}] lacks a string id or a known verdict`);
  });
  if (!r.summary || typeof r.summary !== 'object') throw new ResultFileError(`${source}: "summary" missing`);
  return r as RunResult;
}
