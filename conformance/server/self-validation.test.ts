// The harness proves itself against the reference server: with defaults every case PASS (or a
// justified INFO/UNSUPPORTED); with each fault switch on, the case that checks the rule FAILs and
// nothing outside the documented collateral does (conformance/server/fault-coverage.ts).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, FAULTS, type FaultName, type ReferenceServer } from '../../reference/server/index.ts';
import { failsRun, type RunResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { FAULT_COVERAGE } from './fault-coverage.ts';
import { SERVER_CASES } from './cases.ts';

// The server beats every 200 ms; 600 ms is declared so scheduling jitter under a loaded CI never trips it.
const HEARTBEAT_MS = 200;
const DECLARED_HEARTBEAT_MS = 600;

async function checkReference(faults: readonly FaultName[]): Promise<RunResult> {
  const srv: ReferenceServer = await createReferenceServer({ heartbeatMs: HEARTBEAT_MS, retryMs: 1000, auth: { tokens: { private: 'reference-secret' } }, faults });
  try {
    const o = parseCheckArgs([
      `${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '--heartbeat', String(DECLARED_HEARTBEAT_MS),
      '--protected-url', `${srv.url}/channels/private`, '--bearer', 'reference-secret', '--last-event-id-param', 'lastEventId',
      '--observe', '1000', '--header-timeout', '1500', '--delivery-timeout', '1500', '--property-runs', '3', '--property-time', '4000',
      '--expect-status', `404=${srv.url}/no-such-route`, '--seed', '42',
    ]);
    return await runCheck(o);
  } finally {
    await srv.close();
  }
}

function verdicts(r: RunResult): string {
  return r.cases.map((c) => `${c.verdict} ${c.id}${c.reason ? `: ${c.reason}` : ''}`).join('\n');
}

describe('self-validation against the reference server', () => {
  let clean: RunResult;
  beforeAll(async () => {
    clean = await checkReference([]);
  });

  it('with defaults every case is PASS or a justified INFO/UNSUPPORTED', () => {
    expect(clean.summary.selected).toBe(SERVER_CASES.length);
    expect(clean.summary.run).toBe(SERVER_CASES.length);
    for (const c of clean.cases) {
      // The cluster cases need --peer (cluster-self-validation.test.ts runs them on two instances);
      // the HTTP/2 cases need --http2 (http2-self-validation.test.ts).
      if (c.area === 'cluster' || c.area === 'http2') {
        expect(c.verdict, c.id).toBe('UNSUPPORTED');
        continue;
      }
      expect(['PASS', 'INFO', 'UNSUPPORTED'], verdicts(clean)).toContain(c.verdict);
      if (c.verdict !== 'PASS') expect(c.reason, c.id).toBeTruthy();
    }
    expect(clean.summary.ok).toBe(true);
    // Cooperative mode with a declared status and a protected URL leaves nothing unsupported.
    expect(clean.cases.filter((c) => c.verdict === 'UNSUPPORTED' && c.area !== 'cluster' && c.area !== 'http2').map((c) => c.id)).toEqual([]);
  });

  it('the README fault table is this coverage table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const f of FAULT_COVERAGE) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${f.fault}\` |`));
      expect(row, f.fault).toBeDefined();
      expect(row!.split('|')[2]!.trim()).toBe(f.caughtBy.map((c) => `\`${c}\``).join(', '));
    }
  });

  it('the coverage table names every fault switch and only known cases', () => {
    expect(FAULT_COVERAGE.map((f) => f.fault).sort()).toEqual(FAULTS.map((f) => f.name).sort());
    const ids = new Set(SERVER_CASES.map((c) => c.id));
    for (const f of FAULT_COVERAGE) for (const id of [...f.caughtBy, ...f.collateral]) expect(ids.has(id), id).toBe(true);
  });

  // Faults run three at a time, each against its own server.
  const results = new Map<string, Promise<RunResult>>();
  const single = FAULT_COVERAGE.filter((f) => f.deployment === undefined);
  const pending = [...single];
  const lanes: Promise<void>[] = [];
  function schedule(): void {
    for (let lane = 0; lane < 3; lane++) {
      lanes.push((async () => {
        for (let f = pending.shift(); f; f = pending.shift()) {
          const p = checkReference([f.fault as FaultName]);
          results.set(f.fault, p);
          await p.catch(() => undefined);
        }
      })());
    }
  }
  afterAll(async () => {
    await Promise.all(lanes);
  });

  it.each(single.map((f) => [f.fault, f] as const))('fault %s is caught by the case that checks it, and nothing unrelated fails', async (fault, f) => {
    if (!lanes.length) schedule();
    while (!results.has(fault)) await new Promise((r) => setTimeout(r, 20));
    const r = await results.get(fault)!;
    for (const id of f.caughtBy) expect(r.cases.find((c) => c.id === id)?.verdict, `${id} under ${fault}\n${verdicts(r)}`).toBe('FAIL');
    const allowed = new Set([...f.caughtBy, ...f.collateral]);
    const unrelated = r.cases.filter((c) => !allowed.has(c.id) && failsRun(c.verdict, false));
    expect(unrelated.map((c) => `${c.verdict} ${c.id}: ${c.reason}`), `under ${fault}`).toEqual([]);
  }, 60_000);
});
