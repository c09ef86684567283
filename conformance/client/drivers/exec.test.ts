import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaybackServer, type PlaybackServer } from '../../../reference/server/playback.ts';
import { runClientScenarios, runScenario } from '../run.ts';
import { loadScenarios, type Scenario } from '../scenario.ts';
import { execDriver, shellQuote } from './exec.ts';
import { bundledAdapterCommand } from '../adapters/bundle.ts';

let server: PlaybackServer;
let dir: string;
beforeAll(async () => {
  server = await createPlaybackServer();
  dir = mkdtempSync(join(tmpdir(), 'ssec-adapters-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const scenarios = loadScenarios();
const byId = (id: string): Scenario => {
  const s = scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
};

/** Writes a throwaway adapter script and returns the command that runs it. */
function adapter(name: string, source: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  return `node ${shellQuote(file)}`;
}

// A minimal adapter: only the four required line kinds, no hello, no readyState.
const MINIMAL = `
const es = new (await import(${JSON.stringify(new URL('../../../node_modules/undici/index.js', import.meta.url).pathname)})).EventSource(process.argv[2]);
const print = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
es.onopen = () => print({ kind: 'open' });
es.onerror = () => { print({ kind: 'error' }); if (es.readyState === 2) print({ kind: 'closed' }); };
for (const t of (process.env.SSE_CONFORMANCE_EVENT_TYPES || 'message').split(',')) es.addEventListener(t, (e) => print({ kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId }));
setInterval(() => {}, 1 << 30);
`;

describe('exec driver: adapter protocol and robustness', () => {
  it('a minimal adapter (no hello, no readyState) works; scenarios needing features are UNSUPPORTED', async () => {
    const driver = execDriver({ command: adapter('minimal', MINIMAL) });
    const [open, status, closeIn] = await Promise.all([
      runScenario(byId('client.parse.custom-event-types'), driver, server, 30),
      runScenario(byId('client.status.404-fails'), driver, server, 30),
      runScenario(byId('client.lifecycle.close-in-onmessage'), driver, server, 30),
    ]);
    expect([open.verdict, open.reason]).toEqual(['PASS', undefined]);
    expect([status.verdict, status.reason]).toEqual(['PASS', undefined]);
    expect(closeIn.verdict).toBe('UNSUPPORTED');
    expect(closeIn.reason).toMatch(/close-in-handler/);
  });

  it('garbage, crashes, exit 127, missing commands and hangs give clear verdicts', async () => {
    const s = byId('client.parse.custom-event-types');
    const garbage = execDriver({ command: adapter('garbage', `console.log('hello there'); setInterval(() => {}, 1000);`) });
    const crash = execDriver({ command: adapter('crash', `process.stdout.write('{"kind":"open"}\\n'); process.exit(3);`) });
    const unsupported = execDriver({ command: adapter('unsupported', `process.exit(127);`) });
    const declared = execDriver({ command: adapter('declared', `console.log(JSON.stringify({ kind: 'unsupported', feature: 'custom-types' })); setInterval(() => {}, 1000);`) });
    const missing = execDriver({ command: 'ssec-no-such-adapter-command' });
    const hang = execDriver({ command: adapter('hang', `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`) });
    const quick = { ...s, timeoutMs: 800 };
    const [g, c, u, d, m, h] = await Promise.all([
      runScenario(s, garbage, server, 30),
      runScenario(s, crash, server, 30),
      runScenario(s, unsupported, server, 30),
      runScenario(s, declared, server, 30),
      runScenario(s, missing, server, 30),
      runScenario(quick, hang, server, 30),
    ]);
    expect([g.verdict, g.reason]).toEqual(['ERROR', 'adapter printed a line that is not a JSON object: "hello there"']);
    expect(c.verdict).toBe('ERROR');
    expect(c.reason).toMatch(/exited with code 3/);
    expect([u.verdict, u.reason]).toEqual(['UNSUPPORTED', 'adapter exited with code 127 (unsupported)']);
    expect(d.verdict).toBe('UNSUPPORTED');
    expect(d.reason).toMatch(/custom-types/);
    expect(m.verdict).toBe('ERROR');
    expect(m.reason).toMatch(/not found/);
    expect(h.verdict).toBe('TIMEOUT'); // ignored SIGTERM: killed with SIGKILL, no request, nothing reported
  });
});

describe('exec driver: the deliberately faulty adapter fails exactly the scenarios covering its bugs', () => {
  // The default-delay scenario only measures (3 s); it proves nothing here.
  const selected = scenarios.filter((s) => s.id !== 'client.reconnect.default-delay');
  const EXPECTED_FAILURES = [
    // reconnects early (retry shortened to a tenth)
    'client.reconnect.respects-retry-lower-bound',
    'client.reconnect.retry-persists',
    'client.reconnect.retry-leading-zeros',
    'client.reconnect.invalid-retry-ignored',
    'client.reconnect.empty-retry-ignored',
    'client.reconnect.retry-applies-without-dispatch',
    'client.parse.no-space-after-colon', // retry:400 too (and its Last-Event-ID: 7, below)
    // ignores Last-Event-ID
    'client.last-event-id.sent-on-reconnect',
    'client.last-event-id.persists-across-reconnect',
    'client.last-event-id.utf8-encoded',
    'client.last-event-id.not-from-incomplete-event',
    'client.last-event-id.id-only-block-updates',
    // retries after 401
    'client.status.401-fails',
    'client.status.401-on-reconnect-stops',
    // CRLF split across chunks read as two line ends
    'client.parse.crlf-split-across-chunks',
    // keeps the id when an empty id should reset it (every spelling: "id:", "id", "id: ")
    'client.last-event-id.cleared-after-empty-id',
    'client.last-event-id.cleared-after-bare-id',
    // generated streams (seed 42 produces an empty-id reset the faulty client ignores)
    'client.parse.generated-streams',
  ].sort();

  it('faulty adapter: FAIL exactly on the expected scenarios, PASS elsewhere', async () => {
    const driver = execDriver({ command: (await bundledAdapterCommand('faulty', dir)).command, parallel: 5 });
    const results = await runClientScenarios({ driver, scenarios: selected, server, property: { seed: 42, numRuns: 8, shrinkBudgetMs: 6000 } });
    const failed = results.filter((r) => r.verdict === 'FAIL').map((r) => r.id).sort();
    expect(failed).toEqual(EXPECTED_FAILURES);
    const other = results.filter((r) => r.verdict !== 'FAIL' && r.verdict !== 'PASS');
    expect(other.map((r) => `${r.id}: ${r.verdict} ${r.reason}`)).toEqual([]);
    const generated = results.find((r) => r.id === 'client.parse.generated-streams')!;
    expect(generated.evidence.find((e) => e.kind === 'counterexample')?.text).toMatch(/^body: /); // shrunk counterexample reported
  }, 90_000);

  it('faulty adapter with only the no-colon bug (SSEC_FAULTY=no-colon): each bare field form is caught over the wire, the colon forms are not blamed', async () => {
    // Every scenario with a bare field line, plus the "id:" scenario as the control this bug must pass.
    const bare = /(?:^|[\r\n])(?:id|data|event|retry)(?:\r\n|\r|\n)/;
    const subset = selected.filter((s) => s.id === 'client.last-event-id.cleared-after-empty-id' || s.server.responses.some((r) => (r.chunks ?? []).some((c) => typeof c.text === 'string' && bare.test(c.text))));
    expect(subset.map((s) => s.id).sort()).toEqual([
      'client.last-event-id.cleared-after-bare-id', 'client.last-event-id.cleared-after-empty-id', 'client.parse.empty-event-field-resets-type',
      'client.parse.field-parsing', 'client.reconnect.empty-retry-ignored',
    ]);
    const driver = execDriver({ command: `SSEC_FAULTY=no-colon ${(await bundledAdapterCommand('faulty', dir)).command}`, parallel: 5 });
    const results = await runClientScenarios({ driver, scenarios: subset, server });
    const verdicts = Object.fromEntries(results.map((r) => [r.id, r.verdict]));
    expect(verdicts, results.map((r) => `${r.id}: ${r.verdict} ${r.reason ?? ''}`).join('\n')).toEqual({
      'client.last-event-id.cleared-after-bare-id': 'FAIL', // bare "id": the old id is sent again
      'client.parse.field-parsing': 'FAIL', // bare "data": no empty line appended
      'client.parse.empty-event-field-resets-type': 'FAIL', // bare "event": the type stays "foo"
      'client.last-event-id.cleared-after-empty-id': 'PASS', // "id:" is handled: the bug is the spelling
      'client.reconnect.empty-retry-ignored': 'PASS', // a bare "retry" is ignored, as the spec asks
    });
    const bareId = results.find((r) => r.id === 'client.last-event-id.cleared-after-bare-id')!;
    expect(bareId.checks.filter((c) => c.verdict === 'FAIL').map((c) => c.name).sort()).toEqual(['events', 'no-header-after-bare-id']);
    expect(driver.identity?.().name).toBe('faulty client (no-colon field lines ignored)');
  }, 60_000);

  it('reference adapter over exec: the same scenarios that catch the faulty one all PASS', async () => {
    // Through tsx, exactly as the README shows it.
    const driver = execDriver({ command: 'node --import tsx conformance/client/adapters/reference.ts', parallel: 4 });
    const subset = selected.filter((s) => s.client?.headers || s.client?.closeOn || ['client.status.401-on-reconnect-stops', 'client.last-event-id.cleared-after-empty-id', 'client.last-event-id.cleared-after-bare-id', 'client.parse.crlf-split-across-chunks', 'client.reconnect.respects-retry-lower-bound'].includes(s.id));
    const results = await runClientScenarios({ driver, scenarios: subset, server });
    expect(results.filter((r) => r.verdict !== 'PASS').map((r) => `${r.id}: ${r.verdict} ${r.reason}`)).toEqual([]);
    expect(driver.identity?.().name).toBe('sse-conformance reference client');
  }, 90_000);
});
