import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaybackServer, type PlaybackServer } from '../../reference/server/playback.ts';
import { referenceDriver } from './drivers/reference.ts';
import { runClientScenarios } from './run.ts';
import { loadScenarios } from './scenario.ts';
import { runClientSuite } from './suite.ts';

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
