// check --http2 proves itself on serve --http2: over h2c (prior knowledge) and h2 (TLS, ALPN, a
// throw-away CA given with --ca) every case passes as over HTTP/1.1 and the HTTP/2 rules pass; the
// HTTP/2 fault switch is caught by its case and nothing else fails; a target that cannot speak
// HTTP/2 is unreachable with a named reason.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type FaultName, type ReferenceServer } from '../../reference/server/index.ts';
import { failsRun, type RunResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { parseServeArgs } from '../../scripts/commands/serve.ts';
import { FAULT_COVERAGE } from './fault-coverage.ts';
import { SERVER_CASES } from './cases.ts';
import { makeThrowawayPki } from './throwaway-ca.ts';
import { PROBE_ORIGIN_HOST } from './browser.ts';

const pki = makeThrowawayPki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

async function checkOverHttp2(options: { tls?: boolean; http2?: boolean; faults?: readonly FaultName[] }): Promise<RunResult> {
  const srv: ReferenceServer = await createReferenceServer({
    http2: options.http2 ?? true, heartbeatMs: 200, retryMs: 1000, auth: { tokens: { private: 'reference-secret' } }, faults: options.faults ?? [],
    ...(options.tls ? { tls: { cert: pki.certPem, key: pki.keyPem } } : {}),
  });
  try {
    return await runCheck(parseCheckArgs([
      `${srv.url}/channels/{channel}`, '--http2', '--publish', `${srv.url}/channels/{channel}`, '--heartbeat', '600',
      '--protected-url', `${srv.url}/channels/private`, '--bearer', 'reference-secret', '--last-event-id-param', 'lastEventId',
      '--observe', '1000', '--header-timeout', '1500', '--delivery-timeout', '1500', '--property-runs', '3', '--property-time', '4000',
      '--expect-status', `404=${srv.url}/no-such-route`, '--seed', '42', ...(options.tls ? ['--ca', pki.caFile] : []),
    ]));
  } finally {
    await srv.close();
  }
}

function verdicts(r: RunResult): string {
  return r.cases.map((c) => `${c.verdict} ${c.id}${c.reason ? `: ${c.reason}` : ''}`).join('\n');
}

describe('the --http2 flags', () => {
  it('serve --http2 and check --http2 parse; check records http2 in its options only when given', () => {
    expect(parseServeArgs(['--http2', '--port', '0']).options.http2).toBe(true);
    expect(parseServeArgs(['--port', '0']).options.http2).toBeUndefined();
    expect(parseCheckArgs(['http://127.0.0.1:1/', '--http2']).http2).toBe(true);
    expect(() => parseCheckArgs(['http://127.0.0.1:1/', '--http2=yes'])).toThrow(/takes no value/);
  });
});

describe('check --http2 against serve --http2', () => {
  it.each([['h2c, prior knowledge', false], ['h2 over TLS, ALPN', true]] as const)('%s: every case passes (the multi-instance cases need --peer)', async (_name, tls) => {
    const r = await checkOverHttp2({ tls });
    expect(r.summary.run).toBe(SERVER_CASES.length);
    for (const c of r.cases) expect(c.verdict, `${c.id}\n${verdicts(r)}`).toBe(c.area === 'cluster' ? 'UNSUPPORTED' : 'PASS');
    expect(r.options['http2']).toBe(true);
    const end = r.cases.find((c) => c.id === 'server.http2.stream-end')!;
    expect(end.evidence.find((e) => e.label === 'HTTP/2')!.text).toMatch(tls ? /^h2 \(TLS, ALPN\).*END_STREAM/ : /^h2c \(prior knowledge\).*END_STREAM/);
  }, 60_000);

  it.each(FAULT_COVERAGE.filter((f) => f.deployment === 'http2').map((f) => [f.fault, f] as const))('fault %s is caught by its case and nothing unrelated fails', async (fault, f) => {
    const r = await checkOverHttp2({ faults: [fault as FaultName] });
    for (const id of f.caughtBy) expect(r.cases.find((c) => c.id === id)?.verdict, `${id}\n${verdicts(r)}`).toBe('FAIL');
    const allowed = new Set([...f.caughtBy, ...f.collateral]);
    expect(r.cases.filter((c) => !allowed.has(c.id) && failsRun(c.verdict, false)).map((c) => `${c.verdict} ${c.id}: ${c.reason}`)).toEqual([]);
    const end = r.cases.find((c) => c.id === 'server.http2.stream-end')!;
    expect(end.checks.map((c) => `${c.name}: ${c.verdict}`)).toEqual(['end-stream: FAIL', 'not-reset-mid-event: FAIL']);
    expect(end.checks[0]!.actual).toContain('RST_STREAM INTERNAL_ERROR (2)');
  }, 60_000);

  it('the same fault is invisible over HTTP/1.1 (the switch acts on HTTP/2 streams only) and the HTTP/2 cases say they need --http2', async () => {
    const srv = await createReferenceServer({ heartbeatMs: 200, faults: ['h2-reset-on-end'] });
    try {
      const r = await runCheck(parseCheckArgs([`${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '--area', 'http2,stop', '--observe', '500', '--seed', '1']));
      expect(r.cases.filter((c) => c.area === 'http2').map((c) => `${c.verdict}: ${c.reason}`)).toEqual(['UNSUPPORTED: HTTP/2 rules: run with --http2', 'UNSUPPORTED: HTTP/2 rules: run with --http2']);
      expect(r.cases.find((c) => c.id === 'server.stop.closed-channel-204')!.verdict).toBe('PASS');
    } finally {
      await srv.close();
    }
  });

  it('the Chromium cases pass against serve --http2 over TLS (the browser reaches it through the relay\'s CONNECT tunnel and negotiates by ALPN itself)', async () => {
    const srv = await createReferenceServer({
      http2: true, tls: { cert: pki.certPem, key: pki.keyPem }, heartbeatMs: 1000, retryMs: 500,
      auth: { tokens: { private: 'reference-secret' } }, cors: { origins: [`https://${PROBE_ORIGIN_HOST}`], credentials: true },
    });
    try {
      const r = await runCheck(parseCheckArgs([
        `${srv.url}/channels/{channel}`, '--http2', '--ca', pki.caFile, '--publish', `${srv.url}/channels/{channel}`, '--protected-url', `${srv.url}/channels/private`,
        '--bearer', 'reference-secret', '--browser', 'chromium', '--case', 'server.browser.*', '--exclude', 'server.browser.*.connection-limit',
        '--observe', '1000', '--header-timeout', '2000', '--seed', '7',
      ]));
      expect(r.cases.filter((c) => c.area === 'browser' && c.verdict !== 'SKIP').map((c) => `${c.verdict} ${c.id}`), verdicts(r)).toEqual(
        ['dispatch-matches-wire', 'reconnect-replay', '401-stops', 'cross-origin-credentials'].map((k) => `PASS server.browser.chromium.${k}`));
    } finally {
      await srv.close();
    }
  }, 90_000);

  it('--http2 against a TLS server without h2 is unreachable with a named reason', async () => {
    const srv = await createReferenceServer({ heartbeatMs: 0, tls: { cert: pki.certPem, key: pki.keyPem } });
    try {
      const r = await runCheck(parseCheckArgs([`${srv.url}/channels/x`, '--http2', '--ca', pki.caFile, '--area', 'response', '--observe', '500', '--seed', '1']));
      expect(r.summary.indeterminate ?? '').toContain('did not negotiate HTTP/2');
    } finally {
      await srv.close();
    }
  });
});
