/**
 * The compatibility matrix (`sse-conformance report <results...>`): several client run results
 * merged into one self-contained HTML page (rows: scenarios grouped by requirement area; columns:
 * browsers and clients with their versions; every cell links to its evidence: observed events,
 * request log, measured delays) and a Markdown table. A WebKit column (WebKitGTK through
 * WebDriver) says which WebKit it is: WebCore's EventSource on libsoup, not Safari's CFNetwork;
 * without one, WebKit is shown as a column not in this run rather than left out. Reporters
 * render verdicts, never decide them.
 */
import { WEBKIT_ENGINE_NOTE } from '../webkit.ts';
import type { CaseResult, RunResult, Verdict } from '../model.ts';
import { findRequirement } from '../../spec/requirements.ts';
import { anchorFor } from './anchors.ts';

export interface CompatibilityOptions {
  readonly title?: string | undefined;
  /** Columns shown as not in this run (default: WebKit, when no result is a WebKit run). */
  readonly notCovered?: readonly string[] | undefined;
  /** Link target for evidence anchors in the Markdown table (e.g. `compatibility.html`). */
  readonly htmlHref?: string | undefined;
  /** Shown under the title (e.g. how to regenerate). */
  readonly note?: string | undefined;
}

interface Column {
  readonly key: string;
  readonly label: string;
  readonly result: RunResult;
  readonly byId: ReadonlyMap<string, CaseResult>;
}

interface Row {
  readonly id: string;
  readonly title: string;
  readonly requirementIds: readonly string[];
  readonly group: string;
}

const GROUP_TITLES: Record<string, string> = {
  decode: 'Decoding and chunk boundaries', lines: 'Line splitting and parsing', fields: 'Fields (event, data, id, retry)',
  dispatch: 'Dispatch', api: 'EventSource API and lifecycle', request: 'Request (headers, Last-Event-ID, redirects)',
  response: 'Response handling (status, content type)', processing: 'Processing model (reconnect, fail, order)',
  lifecycle: 'Lifecycle', wire: 'Wire format', other: 'Other',
};
const GROUP_ORDER = ['decode', 'lines', 'fields', 'dispatch', 'request', 'response', 'processing', 'api', 'lifecycle', 'wire', 'other'];

const SHORT: Record<Verdict, string> = {
  PASS: 'PASS', FAIL: 'FAIL', NON_STRICT: 'NON-STRICT', INFO: 'INFO', UNSUPPORTED: 'UNSUPP.', SKIP: 'SKIP', ERROR: 'ERROR', TIMEOUT: 'TIMEOUT',
};

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function isWebKit(column: Column): boolean {
  return /^WebKitGTK\b/.test(column.result.target.name);
}

/** The engine behind a column when its name alone would mislead (WebKitGTK is not Safari). */
function engineNote(column: Column): string | undefined {
  return isWebKit(column) ? WEBKIT_ENGINE_NOTE : undefined;
}

function defaultNotCovered(columns: readonly Column[]): string[] {
  return columns.some(isWebKit) ? [] : ['WebKit'];
}

function columnsOf(results: readonly RunResult[]): Column[] {
  const seen = new Map<string, number>();
  return results.map((result) => {
    const label = result.target.version && !result.target.name.includes(result.target.version) ? `${result.target.name} ${result.target.version}` : result.target.name;
    let key = slug(label) || 'target';
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    if (n) key = `${key}-${n + 1}`;
    return { key, label, result, byId: new Map(result.cases.map((c) => [c.id, c])) };
  });
}

/** Rows in first-seen order, grouped by the catalog area of each scenario's first requirement. */
function rowsOf(columns: readonly Column[]): Map<string, Row[]> {
  const rows = new Map<string, Row>();
  for (const column of columns) {
    for (const c of column.result.cases) {
      if (c.verdict === 'SKIP' || rows.has(c.id)) continue;
      const area = c.requirementIds.map((id) => findRequirement(id)?.area).find((a) => a !== undefined) ?? 'other';
      rows.set(c.id, { id: c.id, title: c.title, requirementIds: c.requirementIds, group: area });
    }
  }
  const groups = new Map<string, Row[]>();
  for (const g of GROUP_ORDER) groups.set(g, []);
  for (const row of rows.values()) {
    if (!groups.has(row.group)) groups.set(row.group, []);
    groups.get(row.group)!.push(row);
  }
  for (const [g, list] of groups) if (list.length === 0) groups.delete(g);
  return groups;
}

function delayText(c: CaseResult): string {
  const delays = c.measurements.filter((m) => m.unit === 'ms');
  return delays.map((m) => `${m.value} ms`).join(' / ');
}

function evidenceId(column: Column, caseId: string): string {
  return `ev-${column.key}-${slug(caseId)}`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}td.case{font-family:ui-monospace,monospace;font-size:12px}td.case small{font-family:system-ui;color:#555}
.v{display:inline-block;min-width:5.5em;text-align:center;border-radius:3px;padding:1px 4px;font-size:12px;text-decoration:none;color:#000}
.PASS{background:#b7e4b7}.FAIL{background:#f3a5a5}.NON_STRICT{background:#f7d58b}.INFO{background:#cfe3f7}.UNSUPPORTED{background:#ddd}.SKIP{background:#eee}.ERROR{background:#e0a0e0}.TIMEOUT{background:#e0a0e0}
.nc{background:repeating-linear-gradient(45deg,#f6f6f6,#f6f6f6 4px,#ececec 4px,#ececec 8px);color:#777;text-align:center}
tr.group td{background:#e9eef5;font-weight:600}small.ms{color:#555}pre{background:#f7f7f7;padding:6px;white-space:pre-wrap;font-size:12px;margin:4px 0}
section.ev{border-top:1px solid #ddd;padding:6px 0}section.ev:target{background:#fffbe0}details summary{cursor:pointer}`;

/** The self-contained HTML matrix. */
export function renderCompatibilityHtml(results: readonly RunResult[], options: CompatibilityOptions = {}): string {
  const columns = columnsOf(results);
  const notCovered = options.notCovered ?? defaultNotCovered(columns);
  const groups = rowsOf(columns);
  const title = options.title ?? 'SSE client compatibility';
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>${escapeHtml(title)}</h1>`);
  if (options.note) out.push(`<p>${escapeHtml(options.note)}</p>`);
  out.push('<p>Verdicts: <span class="v PASS">PASS</span> <span class="v FAIL">FAIL</span> (a MUST violated) <span class="v NON_STRICT">NON-STRICT</span> (SHOULD, or our reading of a spec gap) <span class="v INFO">INFO</span> (implementation-defined, measured) <span class="v UNSUPPORTED">UNSUPP.</span> (the client cannot do what the scenario needs) <span class="v ERROR">ERROR</span>/<span class="v TIMEOUT">TIMEOUT</span> (the run could not decide). Times are measured reconnection delays. Click a cell for its evidence.</p>');
  out.push('<table><thead><tr><th>Scenario</th>');
  for (const c of columns) {
    const counts = c.result.summary.counts;
    const engine = engineNote(c);
    out.push(`<th>${escapeHtml(c.label)}${engine ? `<br><small>${escapeHtml(engine)}</small>` : ''}<br><small>${counts.PASS} pass · ${counts.FAIL} fail · ${counts.NON_STRICT} non-strict · harness ${escapeHtml(c.result.harness.version)} · ${escapeHtml(c.result.startedAt.slice(0, 10))}</small></th>`);
  }
  for (const n of notCovered) out.push(`<th class="nc">${escapeHtml(n)}<br><small>not in this run</small></th>`);
  out.push('</tr></thead><tbody>');
  for (const [group, rows] of groups) {
    out.push(`<tr class="group"><td colspan="${columns.length + notCovered.length + 1}">${escapeHtml(GROUP_TITLES[group] ?? group)}</td></tr>`);
    for (const row of rows) {
      const reqs = row.requirementIds.map((id) => {
        const url = anchorFor(id);
        return url ? `<a href="${escapeHtml(url)}">${escapeHtml(id)}</a>` : escapeHtml(id);
      }).join(', ');
      out.push(`<tr><td class="case">${escapeHtml(row.id)}<br><small>${escapeHtml(row.title)} · ${reqs}</small></td>`);
      for (const column of columns) {
        const c = column.byId.get(row.id);
        if (!c || c.verdict === 'SKIP') {
          out.push('<td><span class="v SKIP">not run</span></td>');
          continue;
        }
        const ms = delayText(c);
        const expected = c.expectedFailure ? ' (expected)' : '';
        out.push(`<td><a class="v ${c.verdict}" href="#${evidenceId(column, c.id)}" title="${escapeHtml(c.reason ?? c.verdict)}">${SHORT[c.verdict]}${expected}</a>${ms ? `<br><small class="ms">${escapeHtml(ms)}</small>` : ''}</td>`);
      }
      for (let i = 0; i < notCovered.length; i++) out.push('<td class="nc">–</td>');
      out.push('</tr>');
    }
  }
  out.push('</tbody></table><h2>Evidence</h2>');
  for (const column of columns) {
    out.push(`<h3>${escapeHtml(column.label)}</h3><p><small>seed ${column.result.seed} · ${escapeHtml(column.result.startedAt)} · options ${escapeHtml(JSON.stringify(column.result.options))}</small></p>`);
    for (const c of column.result.cases) {
      if (c.verdict === 'SKIP') continue;
      out.push(`<section class="ev" id="${evidenceId(column, c.id)}"><b>${escapeHtml(c.id)}</b> <span class="v ${c.verdict}">${SHORT[c.verdict]}</span> <small>${c.durationMs} ms</small>`);
      if (c.reason) out.push(`<div>${escapeHtml(c.reason)}</div>`);
      if (c.checks.length) {
        out.push('<details><summary>checks</summary><pre>');
        out.push(escapeHtml(c.checks.map((k) => `${k.verdict.padEnd(11)} ${k.name} [${k.requirementIds.join(', ')}]\n  expected: ${k.expected}\n  actual:   ${k.actual}`).join('\n')));
        out.push('</pre></details>');
      }
      for (const e of c.evidence) out.push(`<details${c.verdict !== 'PASS' && (e.kind === 'events' || e.kind === 'requests' || e.kind === 'counterexample') ? ' open' : ''}><summary>${escapeHtml(e.label)}</summary><pre>${escapeHtml(e.text)}</pre></details>`);
      if (c.measurements.length) out.push(`<div><small>measured: ${escapeHtml(c.measurements.map((m) => `${m.name} ${m.value} ${m.unit}`).join(', '))}</small></div>`);
      out.push('</section>');
    }
  }
  out.push('</body></html>\n');
  return out.join('\n');
}

/** The Markdown table (verdicts, measured delays; links to the HTML evidence when `htmlHref` is given). */
export function renderCompatibilityMarkdown(results: readonly RunResult[], options: CompatibilityOptions = {}): string {
  const columns = columnsOf(results);
  const notCovered = options.notCovered ?? defaultNotCovered(columns);
  const groups = rowsOf(columns);
  const lines: string[] = [`# ${options.title ?? 'SSE client compatibility'}`, ''];
  if (options.note) lines.push(options.note, '');
  lines.push('Verdicts: PASS · FAIL (a MUST violated) · NON-STRICT (SHOULD, or our reading of a spec gap) · INFO (implementation-defined, measured) · UNSUPP. (the client cannot do what the scenario needs) · ERROR/TIMEOUT. Times are measured reconnection delays.', '');
  for (const c of columns) {
    const engine = engineNote(c);
    if (engine) lines.push(`${c.label}: ${engine}.`, '');
  }
  lines.push(`| Scenario | ${[...columns.map((c) => c.label), ...notCovered.map((n) => `${n} (not in this run)`)].join(' | ')} |`);
  lines.push(`| --- | ${[...columns, ...notCovered].map(() => ':---:').join(' | ')} |`);
  lines.push(`| **summary** (pass / fail / non-strict) | ${columns.map((c) => `${c.result.summary.counts.PASS} / ${c.result.summary.counts.FAIL} / ${c.result.summary.counts.NON_STRICT}`).join(' | ')}${notCovered.map(() => ' | –').join('')} |`);
  for (const [group, rows] of groups) {
    lines.push(`| **${GROUP_TITLES[group] ?? group}** |${[...columns, ...notCovered].map(() => ' ').join('|')}|`);
    for (const row of rows) {
      const cells = columns.map((column) => {
        const c = column.byId.get(row.id);
        if (!c || c.verdict === 'SKIP') return 'not run';
        const ms = delayText(c);
        const text = `${SHORT[c.verdict]}${c.expectedFailure ? ' (expected)' : ''}${ms ? ` ${ms}` : ''}`;
        return options.htmlHref ? `[${text}](${options.htmlHref}#${evidenceId(column, c.id)})` : text;
      });
      lines.push(`| \`${row.id}\` | ${[...cells, ...notCovered.map(() => '–')].join(' | ')} |`);
    }
  }
  lines.push('');
  // Non-PASS reasons, so the table is readable without the HTML.
  lines.push('## Findings', '');
  for (const column of columns) {
    const bad = column.result.cases.filter((c) => c.verdict !== 'PASS' && c.verdict !== 'SKIP');
    const engine = engineNote(column);
    lines.push(`### ${column.label}${engine ? ` (${engine})` : ''}`, '');
    if (!bad.length) lines.push('Every scenario passes.', '');
    for (const c of bad) lines.push(`- **${SHORT[c.verdict]}** \`${c.id}\`: ${(c.reason ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
