import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffRuns } from '../../conformance/report/diff.ts';
import { emptyCounts, type CaseResult, type RunResult, type Verdict } from '../../conformance/model.ts';
import { main } from '../cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssec-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(verdicts: Record<string, Verdict>): RunResult {
  const cases: CaseResult[] = Object.entries(verdicts).map(([id, verdict]) => ({ id, title: id, area: 'a', requirementIds: [], description: '', expectation: '', verdict, checks: [], evidence: [], measurements: [], durationMs: 1 }));
  return { schema: 'sse-conformance/run-result', schemaVersion: 1, harness: { name: 'sse-conformance', version: '0' }, mode: 'server', target: { name: 't' }, seed: 1,
    startedAt: '', endedAt: '', strict: false, options: {}, summary: { selected: cases.length, run: cases.length, counts: emptyCounts(), staleBaseline: [], ok: true }, cases };
}

describe('diff', () => {
  const a = run({ 's.a.1': 'PASS', 's.a.2': 'FAIL', 's.a.3': 'INFO', 's.a.4': 'PASS', 's.a.gone': 'PASS' });
  const b = run({ 's.a.1': 'FAIL', 's.a.2': 'PASS', 's.a.3': 'ERROR', 's.a.4': 'PASS', 's.a.new': 'PASS' });
  it('lists regressions, new passes, other changes, added and removed', () => {
    const d = diffRuns(a, b);
    expect(d.regressions.map((r) => r.id)).toEqual(['s.a.1', 's.a.3']);
    expect(d.newPasses.map((r) => r.id)).toEqual(['s.a.2']);
    expect(d.added).toEqual(['s.a.new']);
    expect(d.removed).toEqual(['s.a.gone']);
  });
  it('exits 1 on regressions, 0 without, 2 for an unreadable file, 64 for usage', async () => {
    writeFileSync(join(dir, 'a.json'), JSON.stringify(a));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
    writeFileSync(join(dir, 'x.json'), '{"hello": 1}');
    expect(await main(['diff', join(dir, 'a.json'), join(dir, 'b.json')])).toBe(1);
    expect(await main(['diff', join(dir, 'b.json'), join(dir, 'b.json')])).toBe(0);
    expect(await main(['diff', join(dir, 'a.json'), join(dir, 'x.json')])).toBe(2);
    expect(await main(['diff', join(dir, 'a.json')])).toBe(64);
  });
});
