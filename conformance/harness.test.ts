// The harness API from the sources (the artifact test runs the same calls from the installed package).
import { describe, expect, it } from 'vitest';
import { createReferenceServer } from '../reference/server/index.ts';
import { assertConformant, caseResults, checkClient, checkServer, HarnessOptionError, optionsToArgs, runVectors } from './harness.ts';
import type { CaseResult, RunResult } from './model.ts';

function result(cases: Partial<CaseResult>[], extra: Partial<RunResult> = {}): RunResult {
  const full = cases.map((c, i) => ({ id: `server.a.c${i}`, title: `case ${i}`, area: 'a', requirementIds: ['SRV-STATUS-200'], description: '', expectation: '', verdict: 'PASS', checks: [], evidence: [], measurements: [], durationMs: 1, ...c }) as CaseResult);
  return {
    schema: 'sse-conformance/run-result', schemaVersion: 1, harness: { name: 'sse-conformance', version: '0' }, mode: 'server', target: { name: 'http://t' }, seed: 1,
    startedAt: '', endedAt: '', strict: false, options: {},
    summary: { selected: full.length, run: full.length, counts: { PASS: 0, FAIL: 0, NON_STRICT: 0, INFO: 0, UNSUPPORTED: 0, SKIP: 0, ERROR: 0, TIMEOUT: 0 }, staleBaseline: [], ok: true },
    cases: full, ...extra,
  } as RunResult;
}

describe('harness options', () => {
  it('are the CLI flags in camelCase: values, lists, header objects and booleans', () => {
    expect(optionsToArgs({ headerTimeout: 500, case: ['a.*', 'b'], header: { 'x-a': '1' }, strict: true, noReplay: false, seed: undefined }, new Set(['strict', 'noReplay']))).toEqual([
      '--header-timeout', '500', '--case', 'a.*', '--case', 'b', '--header', 'x-a: 1', '--strict',
    ]);
    expect(() => optionsToArgs({ strict: 'yes' }, new Set(['strict']))).toThrow(HarnessOptionError);
    expect(() => optionsToArgs({ observe: true }, new Set())).toThrow(/observe takes a value/);
  });

  it('are refused as the CLI refuses them, named in camelCase, before anything runs', async () => {
    await expect(checkServer('http://127.0.0.1:9/x', { headerTimeout: 1 })).rejects.toThrow(/^headerTimeout needs an integer >= 50/);
    await expect(checkServer('http://127.0.0.1:9/x', { noSuchOption: 1 } as never)).rejects.toThrow(HarnessOptionError);
    await expect(checkServer('ftp://x')).rejects.toThrow(/needs an http\(s\) URL/);
    await expect(checkServer('http://127.0.0.1:9/x', { reporter: 'pdf' })).rejects.toThrow(/unknown format "pdf"/);
    await expect(checkClient({ adapter: 'nope' })).rejects.toThrow(/adapter: unknown adapter "nope"/);
    await expect(runVectors('node x.mjs', { filter: 'no-such-vector-id' })).rejects.toThrow(HarnessOptionError);
  });
});

describe('caseResults and assertConformant', () => {
  it('fail exactly the cases that fail the run, with the failing checks in the message', () => {
    const r = result([
      { verdict: 'PASS' },
      { verdict: 'FAIL', reason: 'wrong', checks: [{ name: 'k', verdict: 'FAIL', requirementIds: ['SRV-STATUS-200'], expected: '200', actual: '500' }] },
      { verdict: 'FAIL', expectedFailure: { reason: 'known' } },
      { verdict: 'NON_STRICT' },
    ], { summary: { selected: 4, run: 4, counts: { PASS: 1, FAIL: 2, NON_STRICT: 1, INFO: 0, UNSUPPORTED: 0, SKIP: 0, ERROR: 0, TIMEOUT: 0 }, staleBaseline: [], ok: false } });
    const outcomes = caseResults(r);
    expect(outcomes.map((c) => c.failed)).toEqual([false, true, false, false]);
    expect(() => outcomes[0]!.assert()).not.toThrow();
    expect(() => outcomes[1]!.assert()).toThrow(/server\.a\.c1: FAIL \(wrong\)\n {2}k \[SRV-STATUS-200\]: expected 200; got 500/);
    expect(() => assertConformant(r)).toThrow(/not conformant \(exit 1\)[\s\S]*server\.a\.c1/);
    expect(caseResults({ ...r, strict: true })[3]!.failed).toBe(true);
    expect(() => assertConformant(result([{ verdict: 'PASS' }]))).not.toThrow();
  });
});

describe('checkServer', () => {
  it('with only a URL runs the black-box check with defaults and returns the run result', async () => {
    const server = await createReferenceServer({ port: 0, heartbeatMs: 500 });
    try {
      const r = await checkServer(`${server.url}/channels/h`, { area: 'response,framing', observe: 800 });
      expect([r.schema, r.mode, r.target.url, r.summary.ok]).toEqual(['sse-conformance/run-result', 'server', `${server.url}/channels/h`, true]);
      expect(r.cases.filter((c) => c.area === 'response' && c.verdict === 'PASS').length).toBeGreaterThan(2);
      assertConformant(r);
    } finally {
      await server.close();
    }
  }, 30_000);
});
