// Plain-text report (the default, to stdout): one line per case, details for non-passing cases.
import { failsRun, VERDICTS, type RunResult } from '../model.ts';

export function renderText(result: RunResult, options: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`sse-conformance ${result.harness.version} · ${result.mode} check of ${result.target.url ?? result.target.name} · seed ${result.seed}${result.strict ? ' · strict' : ''}`);
  // Options that weaken what the result proves (check --insecure) are said at the top.
  const warnings = result.options['warnings'];
  if (Array.isArray(warnings)) for (const w of warnings) out.push(`WARNING: ${String(w)}`);
  out.push('');
  const width = Math.max(...result.cases.map((c) => c.id.length), 10);
  for (const c of result.cases) {
    if (c.verdict === 'SKIP' && !options.verbose) continue;
    const mark = c.expectedFailure ? `${c.verdict} (expected)` : c.verdict;
    out.push(`${mark.padEnd(11)} ${c.id.padEnd(width)}  ${c.durationMs} ms`);
    if (c.verdict !== 'PASS' && c.reason) out.push(`            ${c.reason}`);
    if (failsRun(c.verdict, result.strict) || options.verbose) {
      for (const ch of c.checks) {
        if (ch.verdict === 'PASS' && !options.verbose) continue;
        out.push(`            - ${ch.name} [${ch.verdict}]${ch.security ? ' SECURITY' : ''} (${ch.requirementIds.join(', ')})`);
        out.push(`              expected: ${ch.expected}`);
        out.push(`              actual:   ${ch.actual}`);
      }
      if (c.expectedFailure) out.push(`            baseline: ${c.expectedFailure.reason}`);
    }
    for (const m of c.measurements) if (options.verbose) out.push(`            ${m.name} = ${m.value} ${m.unit}`);
  }
  const s = result.summary;
  out.push('');
  out.push(`${s.selected} selected / ${s.run} run: ${VERDICTS.filter((v) => s.counts[v]).map((v) => `${s.counts[v]} ${v}`).join(', ')}`);
  if (s.staleBaseline.length) out.push(`stale baseline entries (listed as failing, but not failing): ${s.staleBaseline.join(', ')}`);
  if (s.indeterminate) out.push(`indeterminate: ${s.indeterminate}`);
  out.push(s.ok ? 'RESULT: conformant' : s.indeterminate ? 'RESULT: indeterminate' : 'RESULT: not conformant');
  // Target-controlled text (reasons, actual values) must not drive the terminal: escape control characters.
  return `${out.join('\n').replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}\n`;
}
