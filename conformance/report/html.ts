// Self-contained HTML report: summary, a filterable case table (filter kept in the URL hash),
// and per case the checks (expected/actual, spec links), evidence and measurements. No external assets.
import { VERDICTS, type RunResult, type Verdict } from '../model.ts';
import { anchorFor } from './anchors.ts';

function esc(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS: Record<Verdict, string> = {
  PASS: '#1a7f37', FAIL: '#cf222e', NON_STRICT: '#bf8700', INFO: '#0969da', UNSUPPORTED: '#6e7781', SKIP: '#8c959f', ERROR: '#8250df', TIMEOUT: '#a40e26',
};

export function renderHtml(result: RunResult): string {
  const s = result.summary;
  const rows = result.cases.map((c) => {
    const checks = c.checks.map((ch) => `<tr><td>${esc(ch.name)}</td><td><span class="v" style="background:${COLORS[ch.verdict]}">${ch.verdict}</span>${ch.security ? ' <b>security</b>' : ''}</td><td>${esc(ch.expected)}</td><td>${esc(ch.actual)}</td><td>${ch.requirementIds.map((r) => (anchorFor(r) ? `<a href="${esc(anchorFor(r)!)}">${esc(r)}</a>` : esc(r))).join(' ')}</td></tr>`).join('');
    const evidence = c.evidence.map((e) => `<h4>${esc(e.label)} <small>(${e.kind})</small></h4><pre>${esc(e.text)}</pre>`).join('');
    const measurements = c.measurements.length ? `<p>${c.measurements.map((m) => `${esc(m.name)} = ${m.value} ${m.unit}`).join(' · ')}</p>` : '';
    return `<tr class="case" data-verdict="${c.verdict}"><td><span class="v" style="background:${COLORS[c.verdict]}">${c.verdict}</span>${c.expectedFailure ? ' <small>(baseline)</small>' : ''}</td><td><details><summary><code>${esc(c.id)}</code> ${esc(c.title)}</summary>
<p><b>What we do:</b> ${esc(c.description)}<br><b>What must happen:</b> ${esc(c.expectation)}</p>${c.reason ? `<p><b>Reason:</b> ${esc(c.reason)}</p>` : ''}${c.expectedFailure ? `<p><b>Baseline:</b> ${esc(c.expectedFailure.reason)}</p>` : ''}
${checks ? `<table class="checks"><tr><th>check</th><th>verdict</th><th>expected</th><th>actual</th><th>spec</th></tr>${checks}</table>` : ''}${measurements}${evidence}</details></td><td>${esc(c.area)}</td><td>${c.requirementIds.map((r) => (anchorFor(r) ? `<a href="${esc(anchorFor(r)!)}">${esc(r)}</a>` : esc(r))).join(' ')}</td><td>${c.durationMs} ms</td></tr>`;
  }).join('\n');
  const filters = VERDICTS.filter((v) => s.counts[v]).map((v) => `<label><input type="checkbox" value="${v}" checked> <span class="v" style="background:${COLORS[v]}">${v}</span> ${s.counts[v]}</label>`).join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SSE conformance: ${esc(result.target.url ?? result.target.name)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}.v{color:#fff;border-radius:3px;padding:0 .35rem;font-size:12px;font-weight:600}pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:24rem;white-space:pre-wrap}.checks td{font-size:13px}summary{cursor:pointer}</style></head>
<body><h1>SSE conformance: <span class="v" style="font-size:inherit;background:${s.ok ? COLORS.PASS : s.indeterminate ? COLORS.ERROR : COLORS.FAIL}">${s.ok ? 'conformant' : s.indeterminate ? 'indeterminate' : 'not conformant'}</span></h1>
<p>Target <code>${esc(result.target.url ?? result.target.name)}</code> · ${result.mode} · sse-conformance ${esc(result.harness.version)} · seed ${result.seed}${result.strict ? ' · strict' : ''} · ${esc(result.startedAt)} → ${esc(result.endedAt)} · ${s.selected} selected / ${s.run} run</p>
${s.indeterminate ? `<p><b>Indeterminate:</b> ${esc(s.indeterminate)}</p>` : ''}${s.staleBaseline.length ? `<p><b>Stale baseline entries:</b> ${s.staleBaseline.map(esc).join(', ')}</p>` : ''}
<p id="filters">${filters}</p>
<table><thead><tr><th>verdict</th><th>case</th><th>area</th><th>requirements</th><th>time</th></tr></thead><tbody>
${rows}
</tbody></table>
<script>
const boxes=[...document.querySelectorAll('#filters input')];
function apply(){const on=new Set(boxes.filter(b=>b.checked).map(b=>b.value));for(const r of document.querySelectorAll('tr.case'))r.style.display=on.has(r.dataset.verdict)?'':'none';location.hash=boxes.every(b=>b.checked)?'':'show='+[...on].join(',');}
const h=new URLSearchParams(location.hash.slice(1)).get('show');if(h){const want=new Set(h.split(','));for(const b of boxes)b.checked=want.has(b.value);}
boxes.forEach(b=>b.addEventListener('change',apply));apply();
</script>
</body></html>
`;
}
