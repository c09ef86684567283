import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaybackServer, type PlaybackServer } from '../../../reference/server/playback.ts';
import { runClientScenarios } from '../run.ts';
import { loadScenarios } from '../scenario.ts';
import { browserDriver, type BrowserDriver } from './browser.ts';

// Real Chromium (CI guarantees it: scripts/setup-browsers.sh). The full run is
// `sse-conformance client --browser chromium`; here a representative subset (`smoke` scenarios).
let server: PlaybackServer;
let driver: BrowserDriver;
beforeAll(async () => {
  server = await createPlaybackServer();
  driver = await browserDriver({ browser: 'chromium', server });
}, 60_000);
afterAll(async () => {
  await driver?.close();
  await server?.close();
});

describe('browser driver: real Chromium', () => {
  it('passes the smoke scenarios (parsing over the wire, reconnect, Last-Event-ID, status, content type, redirect, lifecycle)', async () => {
    const all = loadScenarios();
    const smoke = all.filter((s) => s.smoke);
    expect(smoke.length).toBeGreaterThanOrEqual(15);
    const headers = all.find((s) => s.id === 'client.request.custom-headers-kept-on-reconnect')!;
    const results = await runClientScenarios({ driver, scenarios: [...smoke, headers], server });
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(results.filter((r) => r.id !== headers.id && r.verdict !== 'PASS').map((r) => `${r.id}: ${r.verdict} ${r.reason}`)).toEqual([]);
    expect(byId.get(headers.id)!.verdict).toBe('UNSUPPORTED'); // never PASS for what a browser cannot do
    expect(driver.name).toMatch(/^Chromium \d+/);
    const delay = byId.get('client.reconnect.respects-retry-lower-bound')!.measurements[0]!;
    expect(delay.value).toBeGreaterThanOrEqual(470);
  }, 60_000);
});
