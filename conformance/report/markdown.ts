// Markdown summary for CI step summaries ($GITHUB_STEP_SUMMARY): counts, then the cases that need attention.
import { failsRun, VERDICTS, type RunResult } from '../model.ts';
import { anchorFor } from './anchors.ts';

function cell(text: string, max = 300): string {
  const t = text.length > max ? `${text.slice(0, max)}…` : text;
  return t.replace(/[\u0000-\u001f]/g, (c) => (c === '\n' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

export function renderMarkdown(result: RunResult): string {
  const s = result.summary;
  const out: string[] = [];
  const status = s.ok ? '✅ conformant' : s.indeterminate ? '⚠️ indeterminate' : '❌ not conformant';
  out.push(`## SSE conformance: ${status}`, '');
  out.push(`Target \`${cell(result.target.url ?? result.target.name)}\` · ${result.mode} · sse-conformance ${result.harness.version} · seed ${result.seed}${result.strict ? ' · strict' : ''} · ${s.selected} selected / ${s.run} run`, '');
  out.push(`| ${VERDICTS.join(' | ')} |`, `| ${VERDICTS.map(() => '---:').join(' | ')} |`, `| ${VERDICTS.map((v) => s.counts[v]).join(' | ')} |`, '');
  if (s.indeterminate) out.push(`**Indeterminate:** ${cell(s.indeterminate)}`, '');
  if (s.staleBaseline.length) out.push(`**Stale baseline entries** (listed as failing but not failing; remove them): ${s.staleBaseline.map((k) => `\`${cell(k)}\``).join(', ')}`, '');
  const attention = result.cases.filter((c) => c.verdict !== 'PASS' && c.verdict !== 'SKIP');
  if (attention.length) {
    out.push('| Verdict | Case | Reason | Spec |', '| --- | --- | --- | --- |');
    for (const c of attention) {
      const spec = c.requirementIds.slice(0, 3).map((r) => (anchorFor(r) ? `[${r}](${anchorFor(r)})` : r)).join(' ');
      const v = `${failsRun(c.verdict, result.strict) && !c.expectedFailure ? '**' : ''}${c.verdict}${failsRun(c.verdict, result.strict) && !c.expectedFailure ? '**' : ''}${c.expectedFailure ? ' (baseline)' : ''}${c.checks.some((ch) => ch.security && ch.verdict === 'FAIL') ? ' 🔒 security' : ''}`;
      out.push(`| ${v} | \`${c.id}\` | ${cell(c.reason ?? '')} | ${spec} |`);
    }
    out.push('');
    const counterexamples = result.cases.flatMap((c) => c.evidence.filter((e) => e.kind === 'counterexample').map((e) => ({ c, e })));
    for (const { c, e } of counterexamples) out.push(`<details><summary>${c.id}: ${cell(e.label)}</summary>`, '', '```', e.text.replace(/```/g, '`\u200b``'), '```', '', '</details>', '');
  } else out.push('All selected cases passed.', '');
  return `${out.join('\n')}\n`;
}
