import { describe, expect, it } from 'vitest';
import { REQUIREMENTS } from './requirements.ts';
import { readFileSync } from 'node:fs';
import { computeCoverage, coverageMarkdown, scenarioCitations, staleDeferrals, uncoveredRequirementIds, unknownRequirementIds, withCoverageTable, COVERAGE_END, COVERAGE_START, SPEC_README } from './coverage.ts';
import { DEFERRED } from './deferred.ts';
import { UNTESTABLE } from './untestable.ts';

const coverage = await computeCoverage();

describe('requirement coverage', () => {
  it('finds the parser vectors', () => {
    expect(coverage.sources.vectors).toBe(true);
    expect(coverage.rows.find((r) => r.requirement.id === 'PARSE-CRLF-SPLIT-CHUNK')!.vectors.length).toBeGreaterThan(5);
  });

  it('every requirement ID used anywhere (vectors, scenarios, server cases, untestable list) exists in the catalog', () => {
    expect(unknownRequirementIds(coverage)).toEqual([]);
  });

  it('untestable entries are unique, in the catalog, and each has a specific reason', () => {
    const ids = UNTESTABLE.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const u of UNTESTABLE) {
      expect(REQUIREMENTS.some((r) => r.id === u.id), u.id).toBe(true);
      expect(u.reason.length, u.id).toBeGreaterThan(80);
    }
  });

  it('does not declare untestable what a parser vector already tests', () => {
    const tested = coverage.rows.filter((r) => r.untestable !== undefined && r.vectors.length > 0).map((r) => r.requirement.id);
    expect(tested).toEqual([]);
  });

  it('lists uncovered IDs: none of the parser rules, and each listed one really has no citation', () => {
    const uncovered = uncoveredRequirementIds(coverage);
    expect(uncovered).not.toContain('PARSE-BOM');
    for (const id of uncovered) {
      expect(coverage.citations.some((c) => c.requirementIds.includes(id)), id).toBe(false);
    }
    expect(coverage.rows).toHaveLength(REQUIREMENTS.length);
  });

  it('reads scenario files generically and tolerates a missing directory', () => {
    expect(scenarioCitations('/nonexistent/ssec-scenarios')).toEqual([]);
  });

  it('renders a Markdown table with one row per requirement and replaces it between the markers', () => {
    const table = coverageMarkdown(coverage);
    expect(table.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(REQUIREMENTS.length);
    const readme = `intro\n${COVERAGE_START}\nOLD-TABLE-7f3a\n${COVERAGE_END}\noutro\n`;
    const updated = withCoverageTable(readme, table);
    expect(updated).toContain(table);
    expect(updated).not.toContain('OLD-TABLE-7f3a');
    expect(withCoverageTable(updated, table)).toBe(updated);
    expect(() => withCoverageTable('no markers', table)).toThrow(/markers/);
  });

  it('every catalog requirement is covered by a vector, scenario or case, or declared untestable or deferred with a reason', () => {
    expect(coverage.sources).toEqual({ vectors: true, scenarios: true, serverCases: true });
    expect(uncoveredRequirementIds(coverage)).toEqual([]);
  });

  it('deferred entries are unique, in the catalog, not untestable, really untested, and each has a reason', () => {
    const ids = DEFERRED.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of DEFERRED) {
      expect(REQUIREMENTS.some((r) => r.id === d.id), d.id).toBe(true);
      expect(d.reason.length, d.id).toBeGreaterThan(80);
    }
    expect(staleDeferrals(coverage)).toEqual([]);
  });

  it('the table committed in spec/README.md is current (regenerate: npm run build && npx sse-conformance coverage --write)', () => {
    const readme = readFileSync(SPEC_README, 'utf8');
    expect(withCoverageTable(readme, coverageMarkdown(coverage))).toBe(readme);
  });
});
