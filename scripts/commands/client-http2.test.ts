// client --http2: the scenarios over HTTP/2 (h2 over TLS with a throw-away CA for the run). The
// reference EventSource passes every scenario with every request on HTTP/2 (from the playback
// server's log); an adapter process trusts the CA through NODE_EXTRA_CA_CERTS; Chromium accepts the
// run's key and passes the parse scenarios over h2.
import { describe, expect, it } from 'vitest';
import { builtinAdapterCommand } from '../../conformance/client/adapters/builtin.ts';
import { parseClientArgs, runClientTargets } from './client.ts';

describe('client --http2', () => {
  it('the reference EventSource passes every scenario, every request on HTTP/2', async () => {
    const { results, failedToStart } = await runClientTargets(parseClientArgs(['--reference', '--http2', '--no-property', '--seed', '3']));
    expect(failedToStart).toBe(0);
    const r = results[0]!.result;
    expect(r.options['http2']).toBe(true);
    expect(r.options['httpVersions']).toEqual(['2.0']);
    const bad = r.cases.filter((c) => c.verdict !== 'PASS' && c.verdict !== 'INFO').map((c) => `${c.verdict} ${c.id}: ${c.reason}`);
    expect(bad).toEqual([]);
    expect(r.summary.run).toBeGreaterThan(40);
  }, 120_000);

  it('an adapter process trusts the run\'s CA (NODE_EXTRA_CA_CERTS) and its requests are logged with their HTTP version', async () => {
    const { results } = await runClientTargets(parseClientArgs(['--exec', builtinAdapterCommand('reference'), '--http2', '--case', 'client.parse.*', '--no-property', '--seed', '3']));
    const r = results[0]!.result;
    // undici's default dispatcher negotiates HTTP/1.1 by ALPN: the log says which version was used.
    expect(r.options['httpVersions']).toEqual(['1.1']);
    expect(r.cases.filter((c) => c.verdict === 'ERROR').map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
    expect(r.summary.counts.PASS).toBeGreaterThan(5);
  }, 120_000);

  it('Chromium accepts the run\'s key for this launch and reads the parse scenarios over h2', async () => {
    const { results, failedToStart } = await runClientTargets(parseClientArgs(['--browser', 'chromium', '--http2', '--case', 'client.parse.*', '--no-property', '--seed', '3']));
    expect(failedToStart).toBe(0);
    const r = results[0]!.result;
    expect(r.options['httpVersions']).toEqual(['2.0']);
    expect(r.cases.filter((c) => c.verdict === 'ERROR' || c.verdict === 'FAIL').map((c) => `${c.verdict} ${c.id}: ${c.reason}`)).toEqual([]);
  }, 120_000);
});
