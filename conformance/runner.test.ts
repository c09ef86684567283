import { describe, expect, it } from 'vitest';
import { parseBaseline } from './baseline.ts';
import { exitCodeFor, globToRegExp, runCases, type RunnableCase } from './runner.ts';

type Ctx = { calls: string[] };
function mk(id: string, run: RunnableCase<Ctx>['run'], extra: Partial<RunnableCase<Ctx>> = {}): RunnableCase<Ctx> {
  return { id, title: id, area: id.split('.')[1]!, requirementIds: ['SRV-STATUS-200'], description: 'd', expectation: 'e', run, ...extra };
}
const pass = (name = 'c') => async () => ({ checks: [{ name, verdict: 'PASS' as const, requirementIds: [], expected: 'x', actual: 'x' }] });
const fail = (name = 'c') => async () => ({ checks: [{ name, verdict: 'FAIL' as const, requirementIds: [], expected: 'x', actual: 'y' }] });
const opts = { mode: 'server' as const, target: { name: 't' }, harnessVersion: '0', seed: 1, strict: false, options: {}, caseTimeoutMs: 500, runTimeoutMs: 5000 };

describe('runCases', () => {
  it('selects by glob and area, reports deselected as SKIP, counts selected/run', async () => {
    const cases = [mk('server.a.one', pass()), mk('server.a.two', pass()), mk('server.b.one', pass())];
    const r = await runCases(cases, { calls: [] }, { ...opts, selection: { ids: ['server.*.one'], areas: ['a'] } });
    expect(r.cases.map((c) => c.verdict)).toEqual(['PASS', 'SKIP', 'SKIP']);
    expect(r.summary).toMatchObject({ selected: 1, run: 1, ok: true });
    expect(globToRegExp('server.*').test('server.x.y')).toBe(true);
    expect(globToRegExp('server.a').test('serverXa')).toBe(false);
  });
  it('turns a hung case into TIMEOUT, a throwing one into ERROR, an empty one into ERROR', async () => {
    const cases = [
      mk('server.a.hang', () => new Promise(() => undefined), { timeoutMs: 50 }),
      mk('server.a.throw', async () => { throw new Error('boom'); }),
      mk('server.a.empty', async () => ({ checks: [] })),
    ];
    const r = await runCases(cases, { calls: [] }, opts);
    expect(r.cases.map((c) => c.verdict)).toEqual(['TIMEOUT', 'ERROR', 'ERROR']);
    expect(r.cases[1]!.reason).toMatch(/boom/);
    expect(r.summary.indeterminate).toBeTruthy();
    expect(exitCodeFor(r)).toBe(2);
  });
  it('stops everything at the whole-run limit', async () => {
    const cases = Array.from({ length: 4 }, (_, i) => mk(`server.a.s${i}`, () => new Promise(() => undefined), { serial: true }));
    const t0 = performance.now();
    const r = await runCases(cases, { calls: [] }, { ...opts, caseTimeoutMs: 10_000, runTimeoutMs: 100 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.cases.every((c) => c.verdict === 'TIMEOUT')).toBe(true);
    expect(r.summary.run).toBe(1);
  });
  it('case-count guard: fewer cases run than expected is indeterminate', async () => {
    const cases = [mk('server.a.one', pass()), mk('server.a.two', pass())];
    const r = await runCases(cases, { calls: [] }, { ...opts, selection: { ids: ['server.a.one'] }, expectCases: 2 });
    expect(r.summary.indeterminate).toMatch(/only 1 cases ran, 2 expected/);
    expect(exitCodeFor(r)).toBe(2);
    expect((await runCases(cases, { calls: [] }, { ...opts, expectCases: 2 })).summary.ok).toBe(true);
  });

  it('runs serial cases one at a time', async () => {
    let running = 0;
    let most = 0;
    const slow = async () => {
      most = Math.max(most, ++running);
      await new Promise((res) => setTimeout(res, 20));
      running--;
      return pass()();
    };
    await runCases([mk('server.a.x', slow, { serial: true }), mk('server.a.y', slow, { serial: true })], { calls: [] }, opts);
    expect(most).toBe(1);
  });
  it('applies a baseline: expected failures pass the run, case:check keys, stale entries fail it; NON_STRICT fails only with strict', async () => {
    const cases = [mk('server.a.f', fail('status')), mk('server.a.p', pass()),
      mk('server.a.ns', async () => ({ checks: [{ name: 'c', verdict: 'NON_STRICT' as const, requirementIds: [], expected: '', actual: '' }] }))];
    const r1 = await runCases(cases, { calls: [] }, { ...opts, baseline: parseBaseline('server.a.f: known\n') });
    expect(r1.summary.ok).toBe(true);
    expect(r1.cases[0]!.expectedFailure?.reason).toBe('known');
    const r2 = await runCases(cases, { calls: [] }, { ...opts, baseline: parseBaseline('{"server.a.f:status": "known", "server.a.p": "was broken"}') });
    expect(r2.summary.staleBaseline).toEqual(['server.a.p']);
    expect(r2.cases[0]!.expectedFailure).toBeTruthy();
    expect(exitCodeFor(r2)).toBe(1);
    const r3 = await runCases(cases, { calls: [] }, { ...opts, strict: true, baseline: parseBaseline('server.a.f: known') });
    expect(r3.summary.ok).toBe(false);
  });
});

describe('parseBaseline', () => {
  it('reads JSON object, array, wrapper and simple lines', () => {
    expect(parseBaseline('{"a.b.c": "r"}')).toEqual([{ key: 'a.b.c', caseId: 'a.b.c', check: undefined, reason: 'r' }]);
    expect(parseBaseline('[{"id": "a.b.c:chk", "reason": "r"}]')[0]).toMatchObject({ caseId: 'a.b.c', check: 'chk' });
    expect(parseBaseline('{"expectedFailures": ["a.b.c"]}')[0]!.reason).toBe('(no reason given)');
    expect(parseBaseline('# c\n\n- a.b.c: needs fix\nx.y.z:chk  # why\nq.r.s: "quoted"\n').map((e) => [e.key, e.reason])).toEqual([['a.b.c', 'needs fix'], ['x.y.z:chk', 'why'], ['q.r.s', 'quoted']]);
  });
  it('names bad input', () => {
    expect(() => parseBaseline('{"a": 1')).toThrow(/invalid JSON/);
    expect(() => parseBaseline('not an id with spaces\n', 'f.txt')).toThrow(/f\.txt:1/);
    expect(() => parseBaseline('[3]')).toThrow(/\[0\]/);
  });
});
