/**
 * Requirement coverage: which requirement IDs are exercised by what. Sources, each optional:
 * parser vectors (fixtures/vectors/*.json), client scenarios (fixtures/scenarios/**\/*.json),
 * server-check cases (`SERVER_CASES` from conformance/server/cases.ts, loaded only if present),
 * the declared-untestable list (spec/untestable.ts) and the deferred list (spec/deferred.ts: testable,
 * no case yet, with the reason).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadVectors } from '../fixtures/vectors/load.ts';
import { packageFile } from '../conformance/package-files.ts';
import { REQUIREMENTS } from './requirements.ts';
import type { Requirement } from './types.ts';
import { DEFERRED } from './deferred.ts';
import { UNTESTABLE } from './untestable.ts';

/** One use of requirement IDs by a test artifact. */
export interface Citation {
  readonly source: 'vector' | 'scenario' | 'server-case' | 'untestable';
  /** Vector, scenario or case ID (for `untestable`, the requirement ID itself). */
  readonly id: string;
  readonly requirementIds: readonly string[];
}

export interface CoverageRow {
  readonly requirement: Requirement;
  readonly vectors: readonly string[];
  readonly scenarios: readonly string[];
  readonly serverCases: readonly string[];
  /** Set when the requirement is declared untestable. */
  readonly untestable?: string | undefined;
  /** Set when the requirement is testable but deferred (spec/deferred.ts), with the reason. */
  readonly deferred?: string | undefined;
}

export interface Coverage {
  readonly rows: readonly CoverageRow[];
  readonly citations: readonly Citation[];
  /** Which optional sources were found (a missing one is not an error: other work lands later). */
  readonly sources: { readonly vectors: boolean; readonly scenarios: boolean; readonly serverCases: boolean };
}


function jsonFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...jsonFilesUnder(path));
    else if (name.endsWith('.json') && !name.endsWith('.schema.json') && name !== 'schema.json') out.push(path);
  }
  return out;
}

/** Scenario citations: every scenario's `requirementIds` plus its checks' `requirementIds`. */
export function scenarioCitations(dir = packageFile('fixtures/scenarios/')): Citation[] {
  const citations: Citation[] = [];
  for (const file of jsonFilesUnder(dir)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : (parsed as { scenarios?: unknown }).scenarios;
    if (!Array.isArray(list)) throw new Error(`${file}: expected {"scenarios": [...]} or an array of scenarios`);
    for (const item of list as { id?: unknown; requirementIds?: unknown; checks?: { requirementIds?: unknown }[] }[]) {
      const ids = [item.requirementIds, ...(Array.isArray(item.checks) ? item.checks.map((c) => c.requirementIds) : [])]
        .flatMap((list) => (Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : []));
      citations.push({ source: 'scenario', id: String(item.id), requirementIds: [...new Set(ids)] });
    }
  }
  return citations;
}

/** Server-case citations, or null when conformance/server/cases.ts (or its compiled copy) does not exist yet. */
export async function serverCaseCitations(): Promise<Citation[] | null> {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const path = fileURLToPath(new URL(`../conformance/server/cases${extension}`, import.meta.url));
  if (!existsSync(path)) return null;
  type CaseList = readonly { id: string; requirementIds: readonly string[] }[];
  const module = (await import(pathToFileURL(path).href)) as { SERVER_CASES?: CaseList; BROWSER_CASES?: CaseList };
  if (!Array.isArray(module.SERVER_CASES)) throw new Error(`${path} does not export SERVER_CASES (an array of CaseInfo)`);
  // Real-browser cases (`check --browser`) are server-check cases too; they are listed apart because they need a browser.
  return [...module.SERVER_CASES, ...(module.BROWSER_CASES ?? [])].map((c) => ({ source: 'server-case' as const, id: c.id, requirementIds: [...c.requirementIds] }));
}

export function vectorCitations(): Citation[] {
  return loadVectors().map((v) => ({ source: 'vector' as const, id: v.id, requirementIds: v.requirements }));
}

export function untestableCitations(): Citation[] {
  return UNTESTABLE.map((u) => ({ source: 'untestable' as const, id: u.id, requirementIds: [u.id] }));
}

/** Computes the coverage of every catalog requirement. */
export async function computeCoverage(): Promise<Coverage> {
  const vectors = vectorCitations();
  const scenarios = scenarioCitations();
  const cases = await serverCaseCitations();
  const citations = [...vectors, ...scenarios, ...(cases ?? []), ...untestableCitations()];
  const untestable = new Map(UNTESTABLE.map((u) => [u.id, u.reason]));
  const deferred = new Map(DEFERRED.map((d) => [d.id, d.reason]));
  const rows = REQUIREMENTS.map((requirement): CoverageRow => {
    const by = (source: Citation['source']) => citations.filter((c) => c.source === source && c.requirementIds.includes(requirement.id)).map((c) => c.id);
    return { requirement, vectors: by('vector'), scenarios: by('scenario'), serverCases: by('server-case'), untestable: untestable.get(requirement.id), deferred: deferred.get(requirement.id) };
  });
  return { rows, citations, sources: { vectors: vectors.length > 0, scenarios: scenarios.length > 0, serverCases: cases !== null } };
}

/** IDs cited anywhere that are not in the catalog (must be empty). */
export function unknownRequirementIds(coverage: Coverage): string[] {
  const known = new Set<string>(REQUIREMENTS.map((r) => r.id));
  return [...new Set(coverage.citations.flatMap((c) => c.requirementIds.filter((id) => !known.has(id)).map((id) => `${c.source} ${c.id}: ${id}`)))];
}

function tested(row: CoverageRow): boolean {
  return row.vectors.length + row.scenarios.length + row.serverCases.length > 0;
}

/** Catalog requirements that nothing exercises and that are neither declared untestable nor deferred with a reason. */
export function uncoveredRequirementIds(coverage: Coverage): string[] {
  return coverage.rows.filter((r) => r.untestable === undefined && r.deferred === undefined && !tested(r)).map((r) => r.requirement.id);
}

/** Deferred requirements that something now tests: their deferral is stale and must be removed. */
export function staleDeferrals(coverage: Coverage): string[] {
  return coverage.rows.filter((r) => r.deferred !== undefined && (tested(r) || r.untestable !== undefined)).map((r) => r.requirement.id);
}

function status(row: CoverageRow): string {
  if (row.untestable !== undefined) return 'untestable';
  if (tested(row)) return 'covered';
  return row.deferred !== undefined ? 'deferred' : '**not covered**';
}

function cell(ids: readonly string[], max = 3): string {
  if (ids.length === 0) return '';
  const shown = ids.slice(0, max).map((id) => `\`${id}\``).join(', ');
  return ids.length > max ? `${ids.length}: ${shown}, …` : shown;
}

/** The coverage table as Markdown (deterministic: catalog order, IDs in source order). */
export function coverageMarkdown(coverage: Coverage): string {
  const counts = { covered: 0, untestable: 0, deferred: 0, uncovered: 0 };
  for (const row of coverage.rows) {
    const s = status(row);
    if (s === 'covered') counts.covered++;
    else if (s === 'untestable') counts.untestable++;
    else if (s === 'deferred') counts.deferred++;
    else counts.uncovered++;
  }
  const missing = Object.entries(coverage.sources).filter(([, found]) => !found).map(([name]) => name);
  const lines = [
    `${coverage.rows.length} requirements: ${counts.covered} covered, ${counts.untestable} declared untestable, ${counts.deferred} deferred (testable, no case yet), ${counts.uncovered} not covered.` +
      (missing.length > 0 ? ` Sources not present yet: ${missing.join(', ')}.` : ''),
    '',
    '| Requirement | Level | Binds | Parser vectors | Client scenarios | Server cases | Status |',
    '|---|---|---|---|---|---|---|',
    ...coverage.rows.map((row) =>
      `| \`${row.requirement.id}\` | ${row.requirement.levelText} | ${row.requirement.binds} | ${row.vectors.length || ''} | ${cell(row.scenarios)} | ${cell(row.serverCases)} | ${status(row)} |`),
    '',
    'Declared untestable (spec/untestable.ts):',
    '',
    ...UNTESTABLE.map((u) => `- \`${u.id}\`: ${u.reason}`),
    '',
    'Deferred: testable, but no vector, scenario or case yet (spec/deferred.ts):',
    '',
    ...DEFERRED.map((d) => `- \`${d.id}\`: ${d.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Plain-text summary for terminals. */
export function coverageText(coverage: Coverage): string {
  const width = Math.max(...coverage.rows.map((r) => r.requirement.id.length));
  const lines = coverage.rows.map((row) =>
    `${row.requirement.id.padEnd(width)}  ${status(row).replace(/\*/g, '').padEnd(11)}  vectors ${String(row.vectors.length).padStart(3)}  scenarios ${String(row.scenarios.length).padStart(2)}  server ${String(row.serverCases.length).padStart(2)}`);
  const uncovered = uncoveredRequirementIds(coverage);
  lines.push('', `${coverage.rows.length} requirements, ${DEFERRED.length} deferred (spec/deferred.ts), ${uncovered.length} not covered${uncovered.length ? `: ${uncovered.join(', ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export const COVERAGE_START = '<!-- coverage:start (generated by `sse-conformance coverage --write`; do not edit by hand) -->';
export const COVERAGE_END = '<!-- coverage:end -->';

/** spec/README.md with the generated table between the markers replaced. */
export function withCoverageTable(readme: string, table: string): string {
  const start = readme.indexOf(COVERAGE_START);
  const end = readme.indexOf(COVERAGE_END);
  if (start === -1 || end === -1 || end < start) throw new Error('spec/README.md lacks the coverage markers');
  return `${readme.slice(0, start + COVERAGE_START.length)}\n\n${table}\n${readme.slice(end)}`;
}

export const SPEC_README = packageFile('spec/README.md');
