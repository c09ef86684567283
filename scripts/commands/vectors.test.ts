import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadVectors } from '../../fixtures/vectors/load.ts';
import type { RunResult } from '../../conformance/model.ts';
import { main } from '../cli.ts';
import { vectorFilter } from './vectors.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const adapters = join(root, 'fixtures/vectors/adapters');
const vectorCount = loadVectors().length;

/** Runs the CLI in-process and captures what it prints. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['vectors', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

// Misbehaving adapters in plain Node (fast start). The "oracle" answers each vector with its own
// expectations read from the JSON files, so a PASS proves the harness side works; each variant
// then breaks the protocol in one way for the IDs listed in BREAK.
let dir = '';
const oracle = (misbehave: string) => `
import { createInterface } from 'node:readline';
import { readdirSync, readFileSync } from 'node:fs';
const dir = ${JSON.stringify(join(root, 'fixtures/vectors'))};
const byId = new Map();
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'schema.json')) {
  for (const v of JSON.parse(readFileSync(dir + '/' + f, 'utf8')).vectors) byId.set(v.id, v);
}
const BREAK = new Set((process.env.BREAK ?? '').split(','));
for await (const line of createInterface({ input: process.stdin })) {
  const { id } = JSON.parse(line);
  const v = byId.get(id);
  if (BREAK.has(id)) { ${misbehave} }
  process.stdout.write(JSON.stringify({ id, events: v.events, retries: v.retries, retry: v.retry, lastEventId: v.lastEventId }) + '\\n');
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ssec-vectors-'));
  writeFileSync(join(dir, 'oracle.mjs'), oracle(''));
  writeFileSync(join(dir, 'crash.mjs'), oracle('process.stderr.write("boom: cannot handle " + id + "\\n"); process.exit(3);'));
  writeFileSync(join(dir, 'hang.mjs'), oracle('await new Promise(() => {});'));
  writeFileSync(join(dir, 'garbage.mjs'), oracle('process.stdout.write("not json at all\\n"); continue;'));
  writeFileSync(join(dir, 'wrong-id.mjs'), oracle('process.stdout.write(JSON.stringify({ id: "other", events: [], retries: [], lastEventId: "" }) + "\\n"); continue;'));
  writeFileSync(join(dir, 'bad-shape.mjs'), oracle('process.stdout.write(JSON.stringify({ id, events: "nope", lastEventId: "" }) + "\\n"); continue;'));
  writeFileSync(join(dir, 'refuses.mjs'), oracle('process.stdout.write(JSON.stringify({ id, error: "binary input not supported" }) + "\\n"); continue;'));
  writeFileSync(join(dir, 'answer-and-exit.mjs'), oracle('process.stdout.write(JSON.stringify({ id, events: v.events, retries: v.retries, retry: v.retry, lastEventId: v.lastEventId }) + "\\n"); process.exit(0);'));
  writeFileSync(join(dir, 'runaway.mjs'), oracle('const big = "x".repeat(1 << 20); for (let i = 0; i < 40; i++) process.stdout.write(big); await new Promise(() => {});'));
  writeFileSync(join(dir, 'wrong.mjs'), oracle('process.stdout.write(JSON.stringify({ id, events: [], retries: [7], lastEventId: "x" }) + "\\n"); continue;'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const node = (file: string, breakIds = '') => `BREAK=${breakIds} node ${join(dir, file)}`;

describe('sse-conformance vectors (listing)', () => {
  it('lists every vector with its requirements', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('line-endings.crlf-split-across-chunks');
    expect(r.stdout).toContain(`${vectorCount} vectors`);
  });

  it('filters with a glob or a substring, and prints JSON', async () => {
    const r = await cli('--filter', 'bom.*', '--json');
    const listed = JSON.parse(r.stdout) as { id: string }[];
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.every((v) => v.id.startsWith('bom.'))).toBe(true);
    expect(vectorFilter('crlf')('line-endings.crlf-lf')).toBe(true);
    expect(vectorFilter('*.cr')('line-endings.cr')).toBe(true);
    expect(vectorFilter('*.cr')('line-endings.crlf')).toBe(false);
  });

  it.each([
    [['--timeout', 'soon']],
    [['--filter', 'no-such-vector-anywhere']],
    [['--frobnicate']],
    [['--per-vector']],
    [['--exec']],
    [['--reporter', 'junit=x.xml']],
    [['--exec', 'true', '--reporter', 'pdf=x.pdf']],
  ])('exits 64 with a clear message on bad usage %j', async (args) => {
    const r = await cli(...args);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/sse-conformance: vectors: /);
  });
});

describe('sse-conformance vectors --exec', () => {
  it('passes every vector with the reference parser adapter (exit 0)', async () => {
    const r = await cli('--exec', `node --import tsx ${join(adapters, 'reference-adapter.mjs')}`, '--timeout', '20000');
    expect(r.stdout).toContain(`${vectorCount} vectors: ${vectorCount} PASS, 0 FAIL, 0 ERROR, 0 TIMEOUT`);
    expect(r.code).toBe(0);
  });

  it('reports eventsource-parser\'s real divergences with expected and actual, all recorded in its baseline (exit 0)', async () => {
    const r = await cli('--exec', `node ${join(adapters, 'eventsource-parser-adapter.mjs')}`, '--json', '--timeout', '20000',
      '--expected-failures', join(adapters, 'eventsource-parser.expected-failures.txt'));
    const report = JSON.parse(r.stdout) as RunResult;
    expect(report.schema).toBe('sse-conformance/run-result');
    const verdict = (id: string) => report.cases.find((x) => x.id === id)?.verdict;
    // Block parser: ids are not persisted; a CR at EOF is held forever; BOM look-alike characters are stripped.
    expect(verdict('id.persists-across-events')).toBe('FAIL');
    expect(verdict('line-endings.cr-at-eof-dispatches')).toBe('FAIL');
    expect(verdict('bom.bom-lookalike-latin1-chars')).toBe('FAIL');
    // What it does right stays PASS.
    expect(verdict('line-endings.crlf-split-across-chunks')).toBe('PASS');
    expect(verdict('retry.ignored-exponent')).toBe('PASS');
    expect(report.summary.counts.ERROR).toBe(0);
    expect(report.summary.counts.PASS).toBeGreaterThan(vectorCount / 2);
    const events = report.cases.find((x) => x.id === 'id.persists-across-events')!.checks.find((c) => c.name === 'events')!;
    expect(events).toMatchObject({ verdict: 'FAIL', requirementIds: ['FIELD-ID-PERSISTS'] });
    expect(events.expected).toContain('{"type":"message","data":"b","lastEventId":"1"}');
    expect(events.actual).toContain('{"type":"message","data":"b","lastEventId":""}');
    // The committed record of its divergences is exact: nothing unexpected, nothing stale.
    expect(report.summary.staleBaseline).toEqual([]);
    expect(report.cases.filter((c) => c.verdict !== 'PASS' && !c.expectedFailure).map((c) => c.id)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('prints FAIL lines with expected vs actual in text mode', async () => {
    const r = await cli('--exec', node('wrong.mjs', 'dispatch.blank-line-dispatches'), '--filter', 'dispatch.blank-line');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL    dispatch.blank-line-dispatches  [PARSE-BLANK-LINE-DISPATCH, DISPATCH-DEFAULT-TYPE-MESSAGE]');
    expect(r.stdout).toMatch(/expected \[\{"type":"message","data":"hello","lastEventId":""\}\]\n\s+actual\s+\[\]/);
    expect(r.stdout).toContain('retry: expected null, actual 7');
    expect(r.stdout).toContain('lastEventId: expected "", actual "x"');
  });

  it('turns a crash into an ERROR for that vector, restarts the adapter and goes on (exit 1)', async () => {
    const r = await cli('--exec', node('crash.mjs', 'comments.bare-colon'), '--filter', 'comments.*', '--json');
    const report = JSON.parse(r.stdout) as RunResult;
    expect(r.code).toBe(1);
    const crashed = report.cases.find((x) => x.id === 'comments.bare-colon')!;
    expect(crashed.verdict).toBe('ERROR');
    expect(crashed.reason).toMatch(/exited with code 3 before answering.*boom: cannot handle comments.bare-colon/s);
    expect(report.summary.counts.PASS).toBe(report.cases.length - 1);
  });

  it('times out a hanging vector, kills the adapter and continues', async () => {
    const r = await cli('--exec', node('hang.mjs', 'dispatch.type-open'), '--filter', 'dispatch.type-*', '--timeout', '1500', '--json');
    const report = JSON.parse(r.stdout) as RunResult;
    expect(r.code).toBe(1);
    expect(report.cases.find((x) => x.id === 'dispatch.type-open')).toMatchObject({ verdict: 'TIMEOUT', reason: expect.stringMatching(/no answer within 1500 ms$/) });
    expect(report.cases.find((x) => x.id === 'dispatch.type-error')?.verdict).toBe('PASS');
  });

  it.each([
    ['garbage.mjs', /not JSON: "not json at all"/],
    ['wrong-id.mjs', /answered id "other" to request "eof.unterminated-data-line"/],
    ['bad-shape.mjs', /needs "events"/],
    ['refuses.mjs', /adapter reported an error: binary input not supported/],
    ['runaway.mjs', /runaway output/],
  ])('reports %s as an ERROR naming the problem', async (file, message) => {
    const r = await cli('--exec', node(file, 'eof.unterminated-data-line'), '--filter', 'eof.unterminated-*', '--json');
    const report = JSON.parse(r.stdout) as RunResult;
    expect(r.code).toBe(1);
    const broken = report.cases.find((x) => x.id === 'eof.unterminated-data-line')!;
    expect(broken.verdict).toBe('ERROR');
    expect(broken.reason).toMatch(message);
    expect(report.cases.filter((x) => x.verdict === 'PASS').length).toBe(report.cases.length - 1);
  });

  it('exits 2 when the adapter cannot be started', async () => {
    const r = await cli('--exec', 'definitely-not-a-command-ssec-7f3a', '--filter', 'dispatch.*');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/adapter unusable: the adapter gave no valid answer in its first 3 attempts \(last: adapter exited with code 127/);
    expect(r.stdout).toMatch(/0 PASS/);
  });

  it('exits 2 when the adapter only ever prints garbage', async () => {
    const all = loadVectors().filter((v) => v.id.startsWith('eof.')).map((v) => v.id).join(',');
    const r = await cli('--exec', node('garbage.mjs', all), '--filter', 'eof.*');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('adapter unusable');
  });

  it('honours an expected-failures baseline, flags stale entries, and writes JUnit', async () => {
    const adapter = `node ${join(adapters, 'eventsource-parser-adapter.mjs')}`;
    const ungated = await cli('--exec', adapter, '--filter', 'id.*', '--json');
    expect(ungated.code).toBe(1);
    const first = JSON.parse(ungated.stdout) as RunResult;
    const failing = first.cases.filter((c) => c.verdict === 'FAIL').map((c) => c.id);
    expect(failing.length).toBeGreaterThan(5);
    const baseline = join(dir, 'baseline.txt');
    writeFileSync(baseline, failing.map((id) => `${id}: block parser, ids are per block`).join('\n'));
    const junit = join(dir, 'junit.xml');
    const gated = await cli('--exec', adapter, '--filter', 'id.*', '--expected-failures', baseline, '--reporter', `junit=${junit}`);
    expect(gated.code).toBe(0);
    expect(gated.stdout).toContain('FAIL (expected: block parser, ids are per block)');
    expect(gated.stdout).toContain(`(${failing.length} expected failures)`);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuites[\s\S]*id\.persists-across-events/);
    writeFileSync(baseline, [...failing, 'id.set', 'id.no-such-vector'].map((id) => `${id}: listed`).join('\n'));
    const stale = await cli('--exec', adapter, '--filter', 'id.*', '--expected-failures', baseline);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/stale baseline entries .*id\.set.*id\.no-such-vector \(no such case\)/);
    const missing = await cli('--exec', adapter, '--expected-failures', join(dir, 'missing.txt'));
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('cannot read');
  });

  it('runs one process per vector with --per-vector, also when the adapter exits right after answering', async () => {
    const r = await cli('--exec', node('answer-and-exit.mjs', 'retry.ignored-minus-sign'), '--filter', 'retry.ignored-*-sign', '--per-vector');
    expect(r.stdout).toContain('2 vectors: 2 PASS');
    expect(r.code).toBe(0);
  });
});
