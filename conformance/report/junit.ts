/**
 * JUnit XML: one <testsuite> per area, one <testcase name=<case id> classname=<mode>.<area>> per
 * case. FAIL (and NON_STRICT under --strict) → <failure> with expected/actual and the spec anchor;
 * ERROR/TIMEOUT → <error>; SKIP/UNSUPPORTED and baseline-expected failures → <skipped>.
 * Follows the Ant/Jenkins JUnit schema (attributes name, tests, failures, errors, skipped, time).
 */
import { failsRun, type CaseResult, type RunResult } from '../model.ts';
import { anchorFor } from './anchors.ts';

/** Escapes text for XML 1.0 and replaces characters XML cannot carry at all (NUL, most C0 controls, lone surrogates). */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

type Kind = 'pass' | 'failure' | 'error' | 'skipped';

function kindOf(c: CaseResult, strict: boolean): Kind {
  if (c.expectedFailure) return 'skipped';
  if (c.verdict === 'ERROR' || c.verdict === 'TIMEOUT') return 'error';
  if (failsRun(c.verdict, strict)) return 'failure';
  if (c.verdict === 'SKIP' || c.verdict === 'UNSUPPORTED') return 'skipped';
  return 'pass';
}

function detail(c: CaseResult): string {
  const lines: string[] = [`${c.title}`, `What we do: ${c.description}`, `What must happen: ${c.expectation}`, ''];
  for (const ch of c.checks) {
    if (ch.verdict === 'PASS') continue;
    lines.push(`${ch.name} [${ch.verdict}]${ch.security ? ' SECURITY' : ''}`, `  expected: ${ch.expected}`, `  actual:   ${ch.actual}`);
    for (const r of ch.requirementIds) lines.push(`  spec: ${r} ${anchorFor(r) ?? ''}`.trimEnd());
  }
  if (!c.checks.some((ch) => ch.verdict !== 'PASS')) for (const r of c.requirementIds) lines.push(`spec: ${r} ${anchorFor(r) ?? ''}`.trimEnd());
  return lines.join('\n');
}

function evidenceText(c: CaseResult): string {
  const parts = c.evidence.map((e) => `--- ${e.label} (${e.kind}) ---\n${e.text}`);
  for (const m of c.measurements) parts.push(`measurement ${m.name} = ${m.value} ${m.unit}`);
  return parts.join('\n');
}

export function renderJunit(result: RunResult): string {
  const areas = [...new Set(result.cases.map((c) => c.area))];
  const suites: string[] = [];
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  for (const area of areas) {
    const cases = result.cases.filter((c) => c.area === area);
    const counts = { failures: 0, errors: 0, skipped: 0, time: 0 };
    const body: string[] = [];
    for (const c of cases) {
      const kind = kindOf(c, result.strict);
      counts.time += c.durationMs;
      const open = `    <testcase name="${xmlEscape(c.id)}" classname="${xmlEscape(`${result.mode}.${area}`)}" time="${seconds(c.durationMs)}"`;
      const inner: string[] = [];
      const message = xmlEscape(`${c.verdict}: ${c.reason ?? c.title}`);
      if (kind === 'failure') {
        counts.failures++;
        inner.push(`      <failure message="${message}" type="${c.verdict}">${xmlEscape(detail(c))}</failure>`);
      } else if (kind === 'error') {
        counts.errors++;
        inner.push(`      <error message="${message}" type="${c.verdict}">${xmlEscape(detail(c))}</error>`);
      } else if (kind === 'skipped') {
        counts.skipped++;
        inner.push(`      <skipped message="${xmlEscape(c.expectedFailure ? `expected failure (baseline): ${c.expectedFailure.reason}; ${c.verdict}: ${c.reason ?? ''}` : `${c.verdict}: ${c.reason ?? ''}`)}"/>`);
      }
      const ev = evidenceText(c);
      if (ev || (kind === 'pass' && c.verdict !== 'PASS')) inner.push(`      <system-out>${xmlEscape(`${c.verdict !== 'PASS' && kind === 'pass' ? `${c.verdict}: ${c.reason ?? ''}\n` : ''}${ev}`)}</system-out>`);
      body.push(inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    totals.tests += cases.length;
    totals.failures += counts.failures;
    totals.errors += counts.errors;
    totals.skipped += counts.skipped;
    totals.time += counts.time;
    suites.push(`  <testsuite name="${xmlEscape(`${result.mode}.${area}`)}" tests="${cases.length}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(counts.time)}" timestamp="${xmlEscape(result.startedAt.replace(/\.\d+Z$/, ''))}">\n${body.join('\n')}\n  </testsuite>`);
  }
  const name = xmlEscape(`sse-conformance ${result.mode} ${result.target.url ?? result.target.name}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${name}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${seconds(totals.time)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
