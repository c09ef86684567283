import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaybackServer, type PlaybackServer } from '../../reference/server/playback.ts';
import { referenceDriver } from './drivers/reference.ts';
import type { ClientDriver } from './driver.ts';
import { runClientScenarios, runScenario } from './run.ts';
import { loadScenarios } from './scenario.ts';
import { runClientSuite } from './suite.ts';
import { deliveryOf, vectorScenario } from './wire-vectors.ts';
import { loadVectorFiles } from '../../fixtures/vectors/load.ts';

let server: PlaybackServer;
beforeAll(async () => {
  server = await createPlaybackServer();
});
afterAll(async () => {
  await server.close();
});

describe('client scenarios against the reference client (in-process)', () => {
  const scenarios = loadScenarios();
  it('loads scenarios with unique stable IDs and known requirement IDs', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(50);
  });

  it('the reference client passes every scenario (INFO only where the scenario only measures)', async () => {
    const results = await runClientScenarios({ driver: referenceDriver(), scenarios, server, property: { seed: 7, numRuns: 12 } });
    expect(results.at(-1)!.id).toBe('client.parse.generated-streams');
    const bad = results.filter((r) => r.verdict !== 'PASS' && !(r.verdict === 'INFO' && r.checks.every((c) => c.verdict === 'INFO' || c.verdict === 'PASS')));
    expect(bad.map((r) => `${r.id}: ${r.verdict} ${r.reason ?? ''}`)).toEqual([]);
    const lower = results.find((r) => r.id === 'client.reconnect.respects-retry-lower-bound')!;
    expect(lower.measurements[0]!.value).toBeGreaterThanOrEqual(470);
  }, 60_000);

  it('the reference client passes every parser vector delivered over the wire with adversarial chunking', async () => {
    const result = await runClientSuite({
      context: { driver: referenceDriver(), server, epsilonMs: 30, timeoutMultiplier: 1 }, scenarios: [], vectors: true,
      target: { name: 'reference' }, harnessVersion: 'test', seed: 1, strict: false, options: {},
    });
    expect(result.cases.length).toBeGreaterThanOrEqual(10);
    const checks = result.cases.flatMap((c) => c.checks);
    expect(checks.length).toBeGreaterThan(350);
    expect(checks.filter((k) => k.verdict !== 'PASS').map((k) => `${k.name}: ${k.actual}`)).toEqual([]);
  }, 60_000);
});

describe('the time limit counts from the client\'s first request', () => {
  /** The reference client, started `delayMs` late (a browser opening its page on a loaded machine). */
  const slowStart = (delayMs: number): ClientDriver => {
    const inner = referenceDriver();
    return { ...inner, name: 'slow start', async run(run) {
      await new Promise((r) => setTimeout(r, delayMs));
      return inner.run(run);
    } };
  };
  const vector = loadVectorFiles().flatMap((f) => f.vectors).find((v) => v.id === 'line-endings.crlf')!;

  it('a client that starts after the scenario\'s whole limit still gets its window and passes', async () => {
    const scenario = { ...vectorScenario(vector, 'line-endings'), timeoutMs: 600 };
    const result = await runScenario(scenario, slowStart(900), server, 30);
    expect(result.verdict, result.reason).toBe('PASS');
  });

  it('a client that never requests is a TIMEOUT after the start limit, not a FAIL', async () => {
    const never: ClientDriver = { ...referenceDriver(), async run(run) {
      await new Promise<void>((r) => run.signal.addEventListener('abort', () => r(), { once: true }));
      return { status: 'ok' };
    } };
    const started = performance.now();
    const result = await runScenario({ ...vectorScenario(vector, 'line-endings'), timeoutMs: 100 }, never, server, 30, 0.05);
    expect(result.verdict).toBe('TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(500); // 10 s start limit x 0.05
  });

  it('a vector finding says how the bytes were cut', () => {
    const bom = loadVectorFiles().flatMap((f) => f.vectors).find((v) => v.id === 'bom.leading-bom-stripped')!;
    expect(deliveryOf(bom)).toBe('sent in 2 chunks of 1+11 bytes'); // the BOM split after its first byte
    const empty = loadVectorFiles().flatMap((f) => f.vectors).find((v) => v.id === 'bom.bom-after-empty-first-chunk')!;
    expect(deliveryOf(empty)).toContain('empty chunks were not sent');
  });
});
