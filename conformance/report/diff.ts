// Compares two run results by stable case ID: regressions (was not failing, now fails), new passes
// (was failing, now PASS), and every other verdict change, plus cases added or removed.
import { failsRun, type CaseResult, type RunResult, type Verdict } from '../model.ts';

export interface VerdictChange {
  readonly id: string;
  readonly before: Verdict;
  readonly after: Verdict;
  readonly reason?: string | undefined;
}

export interface RunDiff {
  readonly regressions: readonly VerdictChange[];
  readonly newPasses: readonly VerdictChange[];
  readonly otherChanges: readonly VerdictChange[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

function failing(c: CaseResult, strict: boolean): boolean {
  return failsRun(c.verdict, strict) && !c.expectedFailure;
}

export function diffRuns(a: RunResult, b: RunResult): RunDiff {
  const before = new Map(a.cases.map((c) => [c.id, c]));
  const after = new Map(b.cases.map((c) => [c.id, c]));
  const regressions: VerdictChange[] = [];
  const newPasses: VerdictChange[] = [];
  const otherChanges: VerdictChange[] = [];
  for (const [id, c2] of after) {
    const c1 = before.get(id);
    if (!c1 || c1.verdict === c2.verdict) continue;
    const change = { id, before: c1.verdict, after: c2.verdict, reason: c2.reason };
    if (c1.verdict === 'SKIP' || c2.verdict === 'SKIP') otherChanges.push(change);
    else if (!failing(c1, a.strict) && failing(c2, b.strict)) regressions.push(change);
    else if (failing(c1, a.strict) && c2.verdict === 'PASS') newPasses.push(change);
    else otherChanges.push(change);
  }
  return {
    regressions, newPasses, otherChanges,
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
  };
}

export function renderDiff(d: RunDiff, aName: string, bName: string): string {
  const out = [`Comparing ${aName} → ${bName}`];
  const section = (title: string, rows: readonly VerdictChange[]) => {
    out.push('', `${title} (${rows.length}):`);
    for (const r of rows) out.push(`  ${r.id}: ${r.before} → ${r.after}${r.reason && r.after !== 'PASS' ? ` (${r.reason})` : ''}`);
  };
  section('Regressions', d.regressions);
  section('New passes', d.newPasses);
  section('Other verdict changes', d.otherChanges);
  if (d.added.length) out.push('', `Cases only in ${bName}: ${d.added.join(', ')}`);
  if (d.removed.length) out.push('', `Cases only in ${aName}: ${d.removed.join(', ')}`);
  return `${out.join('\n').replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}\n`;
}
