import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaybackServer, type PlaybackServer } from '../../../reference/server/playback.ts';
import { liveWebKitGroups } from '../../webkit.ts';
import { runClientScenarios } from '../run.ts';
import { loadScenarios } from '../scenario.ts';
import { webkitDriver, type WebKitClientDriver } from './webkit.ts';

// Real WebKit (WebKitGTK's WebKitWebDriver + MiniBrowser under a private Xvfb; CI installs it:
// scripts/setup-browsers.sh). A machine without it FAILS here. The full run is
// `sse-conformance client --browser webkit`; here the smoke scenarios plus two WebKit findings.
let server: PlaybackServer;
let driver: WebKitClientDriver | undefined;
beforeAll(async () => {
  server = await createPlaybackServer();
  driver = await webkitDriver({ browser: 'webkit', server });
}, 60_000);
afterAll(async () => {
  await driver?.close();
  await server?.close();
  expect(liveWebKitGroups()).toEqual([]);
});

/** Smoke scenarios WebKit fails (asserted below with their evidence). */
const FINDINGS = ['client.parse.bom-split-across-chunks'];

describe('WebKit client driver: real WebKitGTK through WebDriver', () => {
  it('runs the smoke scenarios in a page: what the page saw and what it sent, with the engine version from the WebDriver session', async () => {
    const all = loadScenarios();
    const smoke = all.filter((s) => s.smoke && !FINDINGS.includes(s.id));
    expect(smoke.length).toBeGreaterThanOrEqual(14);
    const headers = all.find((s) => s.id === 'client.request.custom-headers-kept-on-reconnect')!;
    const results = await runClientScenarios({ driver: driver!, scenarios: [...smoke, headers], server });
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(results.filter((r) => r.id !== headers.id && r.verdict !== 'PASS').map((r) => `${r.id}: ${r.verdict} ${r.reason}`)).toEqual([]);
    expect(byId.get(headers.id)!.verdict).toBe('UNSUPPORTED'); // never PASS for what a browser cannot do
    expect(driver!.name).toMatch(/^WebKitGTK \d+\.\d+\.\d+$/);
    const delay = byId.get('client.reconnect.respects-retry-lower-bound')!.measurements[0]!;
    expect(delay.value).toBeGreaterThanOrEqual(470);
  }, 90_000);

  it('finds what WebKit does differently, backed by the page and the request log: an id-only block does not update the last event ID; an invalid retry value is not ignored; a BOM split across chunks loses the event', async () => {
    const all = loadScenarios();
    const ids = ['client.last-event-id.id-only-block-updates', 'client.reconnect.invalid-retry-ignored', ...FINDINGS];
    const results = await runClientScenarios({ driver: driver!, scenarios: all.filter((s) => ids.includes(s.id)), server });
    const byId = new Map(results.map((r) => [r.id, r]));
    const idOnly = byId.get(ids[0]!)!;
    expect(idOnly.verdict).toBe('FAIL');
    expect(idOnly.reason).toContain('expected request #1: last-event-id: "3"; got last-event-id: "1"');
    // The evidence is the server's request log, not the page's word.
    expect(idOnly.evidence.find((e) => e.label.startsWith('request log'))?.text).toMatch(/#1 .*last-event-id: "1"/);
    const retry = byId.get(ids[1]!)!;
    expect(retry.verdict).toBe('FAIL');
    expect(retry.measurements.find((m) => m.name === 'reconnect-delay')!.value).toBeLessThan(300);
    const bom = byId.get(FINDINGS[0]!)!;
    expect(bom.verdict).toBe('FAIL');
    expect(bom.reason).toBe('events: expected message:"x"; got (no events)');
    expect(bom.evidence.find((e) => e.label.startsWith('observed'))?.text).toMatch(/open readyState=1/); // it opened, then dispatched nothing
  }, 60_000);
});
