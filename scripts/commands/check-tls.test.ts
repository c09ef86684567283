// `check` against an HTTPS target on a private CA and through a forwarding proxy, end to end: the
// reference server runs as `serve --tls-cert --tls-key` (a real process), `check` runs as a real
// process with its own environment (proxy variables never touch this process's env).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser } from '../../conformance/browsers.ts';
import type { RunResult } from '../../conformance/model.ts';
import { SERVER_CASES } from '../../conformance/server/cases.ts';
import { startCountingProxy, type CountingProxy } from '../../conformance/server/counting-proxy.ts';
import { makeThrowawayPki, type ThrowawayPki } from '../../conformance/server/throwaway-ca.ts';
import { createTransport, targetSpkiSha256 } from '../../conformance/server/transport.ts';
import { createReferenceServer } from '../../reference/server/index.ts';
import { parseCheckArgs, runCheck } from './check.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', '--input-type=module', '-e', "import { main } from './scripts/cli.ts'; process.exitCode = await main(process.argv.slice(1));"];
// The child's environment without any proxy variable of this machine: each test adds its own.
const BASE_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no|all)_proxy$/i.test(k)));

let pki: ThrowawayPki;
let serve: ChildProcess | undefined;
let url = '';
let proxy: CountingProxy;

interface CliRun { code: number | null; stdout: string; stderr: string }

/** Runs the CLI as a child process; killed (by PID) if it outlives `timeoutMs`. */
function cli(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<CliRun> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: root, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => {
    const timer = setTimeout(() => { if (child.pid) process.kill(child.pid, 'SIGKILL'); }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The self-validation arguments (conformance/server/self-validation.test.ts) for a base URL. */
function checkArgs(base: string, extra: readonly string[]): string[] {
  return [
    'check', `${base}/channels/{channel}`, '--publish', `${base}/channels/{channel}`, '--heartbeat', '600',
    '--protected-url', `${base}/channels/private`, '--bearer', 'reference-secret', '--last-event-id-param', 'lastEventId',
    '--observe', '1000', '--header-timeout', '1500', '--delivery-timeout', '1500', '--property-runs', '3', '--property-time', '4000',
    '--expect-status', `404=${base}/no-such-route`, '--seed', '42', '--quiet', ...extra,
  ];
}

function jsonReport(name: string): { file: string; read: () => RunResult } {
  const file = join(pki.dir, `${name}.json`);
  return { file, read: () => JSON.parse(readFileSync(file, 'utf8')) as RunResult };
}

beforeAll(async () => {
  pki = makeThrowawayPki();
  proxy = await startCountingProxy({ requireAuth: `Basic ${Buffer.from('ci:s3cret').toString('base64')}` });
  const child = spawn(process.execPath, [...CLI, 'serve', '--port', '0', '--heartbeat', '200', '--retry', '1000', '--token', 'private=reference-secret',
    '--tls-cert', pki.certFile, '--tls-key', pki.keyFile, '--quiet'], { cwd: root, env: BASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  serve = child;
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 20 s: ${out}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}, 30_000);

afterAll(async () => {
  if (serve?.pid && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve!.once('exit', resolve));
    process.kill(serve.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (serve.exitCode === null) process.kill(serve.pid, 'SIGKILL');
  }
  await proxy?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe('check --ca / --insecure', () => {
  it('serve --tls-cert/--tls-key prints an https URL', () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('rejects an unreadable or certificate-less --ca, and --ca with --insecure, as usage errors naming the file', () => {
    const missing = join(pki.dir, 'missing.pem');
    expect(() => parseCheckArgs([url, '--ca', missing])).toThrow(`--ca: cannot read ${missing}: ENOENT`);
    expect(() => parseCheckArgs([url, '--ca', pki.keyFile])).toThrow(`--ca: ${pki.keyFile}: no PEM certificate`);
    expect(() => parseCheckArgs([url, '--ca', pki.caFile, '--insecure'])).toThrow('use --ca <pem> or --insecure, not both');
    expect(parseCheckArgs([url, '--ca', pki.caFile]).ca).toEqual({ file: pki.caFile, pem: pki.caPem });
  });

  it('without --ca the private CA is not trusted: exit 2 with the named reason', async () => {
    const r = await cli(checkArgs(url, []));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/indeterminate: target unreachable: unreachable: certificate not trusted: [A-Z_]+; pass --ca <pem> or --insecure/);
  }, 60_000);

  it('with --ca every case gets the verdict it gets over plain HTTP (all PASS or justified INFO)', async () => {
    const report = jsonReport('ca');
    const r = await cli(checkArgs(url, ['--ca', pki.caFile, '--reporter', `json=${report.file}`]));
    expect(r.code, r.stderr).toBe(0);
    const overHttps = report.read();
    expect(overHttps.options).toMatchObject({ ca: pki.caFile });
    expect(overHttps.options['insecure']).toBeUndefined();
    expect(overHttps.summary.run).toBe(SERVER_CASES.length);
    // The same server and options over plain HTTP, in-process: the verdicts are the same.
    const plain = await createReferenceServer({ heartbeatMs: 200, retryMs: 1000, auth: { tokens: { private: 'reference-secret' } } });
    let overHttp: RunResult;
    try {
      overHttp = await runCheck(parseCheckArgs(checkArgs(plain.url, []).slice(1)));
    } finally {
      await plain.close();
    }
    const verdicts = (res: RunResult) => Object.fromEntries(res.cases.map((c) => [c.id, c.verdict]));
    expect(verdicts(overHttps)).toEqual(verdicts(overHttp));
    // The multi-instance cases need --peer, the HTTP/2 rules --http2 (neither is given here).
    expect(overHttps.cases.filter((c) => !(c.verdict === 'UNSUPPORTED' && (c.area === 'cluster' || c.area === 'http2'))).every((c) => c.verdict === 'PASS' || c.verdict === 'INFO')).toBe(true);
  }, 90_000);

  it('with --insecure the cases pass and the report says verification was off', async () => {
    const report = jsonReport('insecure');
    const r = await cli(checkArgs(url, ['--insecure', '--area', 'response,framing', '--reporter', 'text', '--reporter', `json=${report.file}`]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("WARNING: TLS certificate verification was disabled (--insecure): the target's identity was not checked");
    expect(r.stderr).toContain('WARNING: --insecure');
    const result = report.read();
    expect(result.options).toMatchObject({ insecure: true, warnings: [expect.stringContaining('--insecure')] });
    expect(result.cases.filter((c) => c.verdict !== 'SKIP').every((c) => c.verdict === 'PASS' || c.verdict === 'INFO')).toBe(true);
  }, 60_000);
});

describe('check through HTTPS_PROXY', () => {
  const proxyEnv = () => ({ HTTPS_PROXY: `http://ci:s3cret@127.0.0.1:${proxy.port}` });

  it('every request to the target goes through the proxy (CONNECT, with the proxy credentials); the result names the proxy, redacted', async () => {
    const before = proxy.requests.length;
    const report = jsonReport('proxied');
    const r = await cli(checkArgs(url, ['--ca', pki.caFile, '--area', 'response,framing,auth', '--reporter', `json=${report.file}`]), proxyEnv());
    expect(r.code, r.stderr).toBe(0);
    const seen = proxy.requests.slice(before);
    // The primary capture, its publishes and the response/auth reads: many connections, all tunnelled.
    expect(seen.length).toBeGreaterThan(5);
    expect(new Set(seen.map((s) => `${s.method} ${s.target} ${s.proxyAuthorization}`))).toEqual(new Set([`CONNECT ${new URL(url).host} Basic ${Buffer.from('ci:s3cret').toString('base64')}`]));
    const text = readFileSync(report.file, 'utf8');
    expect(report.read().options['proxy']).toBe(`http://<redacted>@127.0.0.1:${proxy.port}`);
    expect(text).not.toContain('s3cret');
  }, 60_000);

  it('NO_PROXY=127.0.0.1 bypasses it', async () => {
    const before = proxy.requests.length;
    const report = jsonReport('bypassed');
    const r = await cli(checkArgs(url, ['--ca', pki.caFile, '--area', 'response', '--reporter', `json=${report.file}`]), { ...proxyEnv(), NO_PROXY: 'localhost,127.0.0.1' });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.requests.length).toBe(before);
    expect(report.read().options['proxy']).toBe('none (NO_PROXY matches the target)');
  }, 60_000);

  it('a proxy refusing the credentials makes the target unreachable (exit 2), naming the proxy without the secret', async () => {
    const r = await cli(checkArgs(url, ['--ca', pki.caFile, '--area', 'response']), { HTTPS_PROXY: `http://ci:wrong-secret@127.0.0.1:${proxy.port}` });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain(`via proxy http://<redacted>@127.0.0.1:${proxy.port}: CONNECT ${new URL(url).host} answered HTTP 407`);
    expect(r.stdout).not.toContain('wrong-secret');
  }, 60_000);
});

// A missing Chromium fails these (launchBrowser names the install step), never skips them.
describe('browser cases over HTTPS', () => {
  it('Chromium accepts the target only with the key the run trusts', async () => {
    const spki = await targetSpkiSha256(url, createTransport({ ca: pki.caPem }), 5000);
    for (const [tls, expected] of [[undefined, /ERR_CERT_AUTHORITY_INVALID/], [{ spkiSha256: [spki] }, 200]] as const) {
      const browser = await launchBrowser('chromium', 30_000, { tls });
      try {
        const page = await browser.browser.newPage();
        const outcome = await page.goto(`${url}/no-such-route`, { timeout: 10_000 }).then((res) => res?.status(), (error: Error) => error.message);
        // The reference server answers 404 for unknown routes: any HTTP status means TLS was accepted.
        if (expected === 200) expect(outcome).toBe(404);
        else expect(String(outcome)).toMatch(expected);
      } finally {
        await browser.close();
      }
    }
  }, 60_000);

  it('check --browser chromium with --ca: dispatch-matches-wire passes over HTTPS', async () => {
    const report = jsonReport('browser');
    const r = await cli(['check', `${url}/channels/{channel}`, '--publish', `${url}/channels/{channel}`, '--ca', pki.caFile, '--browser', 'chromium',
      '--case', 'server.browser.chromium.dispatch-matches-wire', '--observe', '1000', '--seed', '7', '--quiet', '--reporter', `json=${report.file}`]);
    const result = report.read();
    expect(r.code, `${r.stderr}\n${JSON.stringify(result.cases.filter((c) => c.verdict !== 'SKIP'), null, 1).slice(0, 3000)}`).toBe(0);
    expect(result.cases.find((c) => c.id === 'server.browser.chromium.dispatch-matches-wire')?.verdict).toBe('PASS');
    expect(String(result.options['browserTls'])).toMatch(/^chromium: accepts the target's key sha256\/[A-Za-z0-9+/]{43}= for this run$/);
  }, 90_000);
});

