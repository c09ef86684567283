// Every format renders from the canonical JSON; JUnit is checked against the JUnit (Ant/Jenkins)
// schema's structure by a small XML reader written here (no network, no schema download).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateJsonSchema } from '../../fixtures/vectors/json-schema-subset.ts';
import { emptyCounts, type CaseResult, type RunResult, type Verdict } from '../model.ts';
import { renderHtml } from './html.ts';
import { parseRunResult, renderJson, ResultFileError } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { renderText } from './text.ts';

function kase(id: string, verdict: Verdict, extra: Partial<CaseResult> = {}): CaseResult {
  return {
    id, title: `title of ${id}`, area: id.split('.')[1]!, requirementIds: ['SRV-UTF8'], description: 'we do <this> & that', expectation: 'it holds',
    verdict, reason: verdict === 'PASS' ? undefined : `reason with "quotes" & <tags> and a NUL \u0000 and \u001b`,
    checks: [{ name: 'c', verdict: verdict === 'SKIP' ? 'PASS' : verdict, requirementIds: ['SRV-UTF8'], expected: 'a]]>b', actual: 'lone \uD800 surrogate', security: verdict === 'FAIL' }],
    evidence: [{ kind: 'bytes', label: 'body', text: 'data: x\\n\n' }, { kind: 'counterexample', label: 'shrunk counterexample', text: '{"payloads":["\\r"]}' }],
    measurements: [{ name: 'latency', value: 3, unit: 'ms' }], durationMs: 12, ...extra,
  };
}

const verdicts: Verdict[] = ['PASS', 'FAIL', 'NON_STRICT', 'INFO', 'UNSUPPORTED', 'SKIP', 'ERROR', 'TIMEOUT'];
const cases = [...verdicts.map((v, i) => kase(`server.area${i % 3}.case-${v.toLowerCase()}`, v)), kase('server.area0.baselined', 'FAIL', { expectedFailure: { reason: 'known' } })];
const counts = emptyCounts();
for (const c of cases) counts[c.verdict]++;
const result: RunResult = {
  schema: 'sse-conformance/run-result', schemaVersion: 1, harness: { name: 'sse-conformance', version: '0.1.0' }, mode: 'server',
  target: { name: 'http://127.0.0.1:1/x?a=1&b=<2>', url: 'http://127.0.0.1:1/x?a=1&b=<2>' }, seed: 42, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z',
  strict: false, options: {}, summary: { selected: 8, run: 8, counts, staleBaseline: ['server.x.y'], ok: false }, cases,
};

interface XmlNode { name: string; attrs: Record<string, string>; children: XmlNode[]; text: string }

/** A strict little XML reader: well-formedness (matching tags, quoted attributes, known entities, legal characters). */
function parseXml(xml: string): XmlNode {
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml)) throw new Error('illegal XML character');
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(xml)) throw new Error('lone surrogate');
  let i = xml.startsWith('<?xml') ? xml.indexOf('?>') + 2 : 0;
  const stack: XmlNode[] = [{ name: '#root', attrs: {}, children: [], text: '' }];
  const entity = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(s)) throw new Error(`bad entity in ${s.slice(0, 40)}`);
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.trim()) stack[stack.length - 1]!.text += entity(text);
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error('unclosed tag');
    const tag = xml.slice(lt + 1, gt);
    if (tag.includes('<')) throw new Error(`"<" inside a tag: ${tag.slice(0, 40)}`);
    if (tag.startsWith('/')) {
      const open = stack.pop()!;
      if (open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open.name}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const m = /^([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"]*")*)\s*\/?$/.exec(tag);
      if (!m) throw new Error(`malformed tag <${tag.slice(0, 60)}>`);
      const attrs: Record<string, string> = {};
      for (const a of m[2]!.matchAll(/([\w.-]+)="([^"]*)"/g)) {
        if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]!] = entity(a[2]!);
      }
      const node = { name: m[1]!, attrs, children: [], text: '' };
      stack[stack.length - 1]!.children.push(node);
      if (!selfClosing) stack.push(node);
    }
    i = gt + 1;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  const roots = stack[0]!.children;
  if (roots.length !== 1) throw new Error('exactly one root element expected');
  return roots[0]!;
}

/** The JUnit schema's structural rules for testsuites/testsuite/testcase. */
function validateJunit(root: XmlNode): void {
  const num = (v: string | undefined, what: string) => {
    if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new Error(`${what} must be a number, got ${v}`);
    return Number(v);
  };
  if (root.name !== 'testsuites') throw new Error('root must be <testsuites>');
  let tests = 0;
  for (const suite of root.children) {
    if (suite.name !== 'testsuite') throw new Error(`unexpected <${suite.name}> in <testsuites>`);
    if (!suite.attrs['name']) throw new Error('testsuite needs name');
    const declared = { tests: num(suite.attrs['tests'], 'tests'), failures: num(suite.attrs['failures'], 'failures'), errors: num(suite.attrs['errors'], 'errors'), skipped: num(suite.attrs['skipped'], 'skipped') };
    num(suite.attrs['time'], 'time');
    if (suite.attrs['timestamp'] && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(suite.attrs['timestamp'])) throw new Error('timestamp must be ISO8601 without timezone');
    const seen = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    for (const tc of suite.children) {
      if (tc.name !== 'testcase') throw new Error(`unexpected <${tc.name}> in <testsuite>`);
      if (!tc.attrs['name'] || !tc.attrs['classname']) throw new Error('testcase needs name and classname');
      num(tc.attrs['time'], 'testcase time');
      seen.tests++;
      const outcomes = tc.children.filter((c) => ['failure', 'error', 'skipped'].includes(c.name));
      if (outcomes.length > 1) throw new Error('a testcase has at most one of failure/error/skipped');
      for (const c of tc.children) {
        if (!['failure', 'error', 'skipped', 'system-out', 'system-err'].includes(c.name)) throw new Error(`unexpected <${c.name}> in <testcase>`);
        if ((c.name === 'failure' || c.name === 'error') && (!('message' in c.attrs) || !('type' in c.attrs))) throw new Error(`${c.name} needs message and type`);
        if (c.name === 'failure') seen.failures++;
        if (c.name === 'error') seen.errors++;
        if (c.name === 'skipped') seen.skipped++;
      }
    }
    expect(seen).toEqual(declared);
    tests += seen.tests;
  }
  expect(num(root.attrs['tests'], 'tests')).toBe(tests);
}

describe('reports', () => {
  it('JSON round-trips, follows run-result.schema.json, and the reader rejects other files', () => {
    expect(parseRunResult(renderJson(result))).toEqual(result);
    const schema = JSON.parse(readFileSync(new URL('./run-result.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(validateJsonSchema(JSON.parse(renderJson(result)), schema)).toEqual([]);
    expect(validateJsonSchema({ ...result, cases: [{ ...cases[0], verdict: 'MAYBE' }] }, schema).join('\n')).toMatch(/verdict/);
    expect(() => parseRunResult('{}')).toThrow(ResultFileError);
    expect(() => parseRunResult(JSON.stringify({ ...result, schemaVersion: 2 }))).toThrow(/schemaVersion 2/);
    expect(() => parseRunResult('nope')).toThrow(/not JSON/);
  });
  it('JUnit is well-formed and follows the JUnit schema structure; outcomes map as documented', () => {
    const xml = renderJunit(result);
    const root = parseXml(xml);
    validateJunit(root);
    const testcases = root.children.flatMap((s) => s.children);
    expect(testcases).toHaveLength(cases.length);
    const outcome = (id: string) => testcases.find((t) => t.attrs['name'] === id)!.children.find((c) => c.name !== 'system-out')?.name ?? 'pass';
    expect(outcome('server.area1.case-fail')).toBe('failure');
    expect(outcome('server.area0.case-error')).toBe('error');
    expect(outcome('server.area1.case-timeout')).toBe('error');
    expect(outcome('server.area1.case-unsupported')).toBe('skipped');
    expect(outcome('server.area2.case-non_strict')).toBe('pass');
    expect(outcome('server.area0.baselined')).toBe('skipped');
    const failure = testcases.find((t) => t.attrs['name'] === 'server.area1.case-fail')!.children[0]!;
    expect(failure.text).toContain('expected: a]]>b');
    expect(failure.text).toContain('https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream');
    validateJunit(parseXml(renderJunit({ ...result, strict: true })));
  });
  it('HTML is self-contained and escapes everything', () => {
    const html = renderHtml(result);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).not.toContain('<tags>');
    expect(html).toContain('shrunk counterexample');
    expect(html).toContain('id="filters"');
  });
  it('Markdown summary lists what needs attention, with spec links and the counterexample', () => {
    const md = renderMarkdown(result);
    expect(md).toContain('❌ not conformant');
    expect(md).toContain('`server.area1.case-fail`');
    expect(md).toContain('[SRV-UTF8](https://html.spec.whatwg.org/');
    expect(md).toContain('server.x.y');
    expect(md).toContain('{"payloads":["\\r"]}');
    expect(md).not.toContain('\u0000');
  });
  it('text report names non-passing cases with expected/actual and the count line', () => {
    const text = renderText(result);
    expect(text).toContain('8 selected / 8 run');
    expect(text).toContain('expected: a]]>b');
    expect(text).toContain('SECURITY');
    expect(text).not.toMatch(/[\u0000\u001b]/);
  });
});
