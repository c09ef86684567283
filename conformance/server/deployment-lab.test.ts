// The deployment lab on real nginx (Debian package; started here on random loopback ports with a
// generated configuration in a temp prefix, stopped by PID): each configuration in front of the
// reference server gives exactly the verdicts of LAB_CONFIGS, black-box and cooperative, and the
// README table is that data. A missing nginx FAILS these tests (never skips).
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type ReferenceServer } from '../../reference/server/index.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import type { RunResult } from '../model.ts';
import { LAB_AREAS, LAB_CONFIGS, LAB_OBSERVE_MS, renderLabTable, type LabConfig } from './deployment-lab.ts';
import { NGINX_INSTALL_HINT, nginxBinary, startNginx, type RunningNginx } from './nginx-lab.ts';
import { SERVER_CASES } from './cases.ts';
import { makeThrowawayPki } from './throwaway-ca.ts';

interface Lab {
  readonly upstream: ReferenceServer;
  readonly nginx: RunningNginx;
}

const pki = makeThrowawayPki();

async function startLab(c: LabConfig): Promise<Lab> {
  const upstream = await createReferenceServer({ heartbeatMs: c.upstreamHeartbeatMs, retryMs: 1000, auth: { tokens: { private: 'lab-secret' } } });
  try {
    const nginx = await startNginx({
      upstream: upstream.url, location: c.location, server: c.server,
      ...(c.http2 ? { listen: 'ssl http2', tls: { cert: pki.certPem, key: pki.keyPem } } : {}),
    });
    return { upstream, nginx };
  } catch (error) {
    await upstream.close();
    throw error;
  }
}

function labArgs(c: LabConfig, lab: Lab, cooperative: boolean): string[] {
  const url = `${lab.nginx.url}/channels/{channel}`;
  return [
    url, '--observe', String(LAB_OBSERVE_MS), '--header-timeout', '3000', '--delivery-timeout', '1500', '--seed', '7',
    ...(c.declaredHeartbeatMs !== undefined ? ['--heartbeat', String(c.declaredHeartbeatMs)] : []),
    ...(cooperative ? ['--publish', url] : []),
    ...(c.http2 ? ['--http2', '--ca', pki.caFile] : []),
  ];
}

function verdicts(r: RunResult): string {
  return r.cases.filter((c) => c.verdict !== 'SKIP').map((c) => `${c.verdict} ${c.id}: ${c.reason ?? ''}`).join('\n');
}

const haveNginx = nginxBinary() !== undefined;

/** The lab's areas, plus http2 for a configuration checked with --http2. */
function areasOf(c: LabConfig): string[] {
  return [...LAB_AREAS, ...(c.http2 ? ['http2'] : [])];
}

describe('deployment lab (real nginx in front of the reference server)', () => {
  const labs = new Map<string, Lab>();
  const runs = new Map<string, { blackBox: RunResult; cooperative: RunResult }>();
  let fullCorrect: RunResult | undefined;

  beforeAll(async () => {
    if (!haveNginx) return;
    await Promise.all(LAB_CONFIGS.map(async (c) => labs.set(c.key, await startLab(c))));
    // Four checks at a time: each is mostly waiting on the wire; the machine has two cores.
    const jobs: (() => Promise<void>)[] = [];
    for (const c of LAB_CONFIGS) {
      jobs.push(async () => {
        const lab = labs.get(c.key)!;
        const [blackBox, cooperative] = await Promise.all([
          runCheck(parseCheckArgs([...labArgs(c, lab, false), '--area', areasOf(c).join(',')])),
          runCheck(parseCheckArgs([...labArgs(c, lab, true), '--area', areasOf(c).join(',')])),
        ]);
        runs.set(c.key, { blackBox, cooperative });
      });
    }
    jobs.push(async () => {
      const lab = labs.get('correct')!;
      fullCorrect = await runCheck(parseCheckArgs([
        ...labArgs(LAB_CONFIGS.find((c) => c.key === 'correct')!, lab, true),
        '--protected-url', `${lab.nginx.url}/channels/private`, '--bearer', 'lab-secret', '--last-event-id-param', 'lastEventId',
        '--property-runs', '3', '--property-time', '4000', '--expect-status', `404=${lab.nginx.url}/no-such-route`,
      ]));
    });
    const lanes = Array.from({ length: 2 }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    });
    await Promise.all(lanes);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...labs.values()].map(async (lab) => {
      await lab.nginx.stop();
      await lab.upstream.close();
    }));
    rmSync(pki.dir, { recursive: true, force: true });
  });

  it('nginx is installed (the lab needs it; CI installs nginx-light)', () => {
    expect(nginxBinary(), `nginx not found: ${NGINX_INSTALL_HINT}`).toBeDefined();
  });

  it.each(LAB_CONFIGS.map((c) => [c.key, c] as const))('%s: exactly the expected verdicts, black-box and cooperative', (key, c) => {
    expect(haveNginx, NGINX_INSTALL_HINT).toBe(true);
    const run = runs.get(key)!;
    const areaCases = SERVER_CASES.filter((s) => areasOf(c).includes(s.area)).map((s) => s.id);
    for (const [mode, result] of [['blackBox', run.blackBox], ['cooperative', run.cooperative]] as const) {
      const expected = new Map<string, string>();
      for (const e of c.expected) for (const id of e.cases) expected.set(id, e[mode]);
      for (const id of areaCases) {
        const want = expected.get(id) ?? (mode === 'blackBox' && id === 'server.response.compression' ? 'UNSUPPORTED' : 'PASS');
        const got = result.cases.find((r) => r.id === id);
        expect(got?.verdict, `${key} ${mode}: ${id}\n${verdicts(result)}\n--- nginx.conf ---\n${labs.get(key)!.nginx.config}`).toBe(want);
      }
    }
  });

  it('the findings name the cause and the fix, with measurements', () => {
    expect(haveNginx, NGINX_INSTALL_HINT).toBe(true);
    const check = (key: string, mode: 'blackBox' | 'cooperative', id: string) => {
      const c = runs.get(key)![mode].cases.find((r) => r.id === id)!;
      return { text: c.checks.map((k) => k.actual).join('\n'), measurements: c.measurements };
    };
    const buffered = check('buffering', 'blackBox', 'server.path.buffering').text;
    expect(buffered).toMatch(/Server: nginx\/[\d.]+/);
    expect(buffered).toContain('confidence: likely');
    expect(buffered).toContain('proxy_buffering off;');
    expect(buffered).toContain('X-Accel-Buffering: no');
    expect(check('buffering', 'cooperative', 'server.path.buffering').text).toContain('proxy_buffering off;');

    const gzip = check('gzip', 'blackBox', 'server.path.compression');
    expect(gzip.text).toContain('Content-Encoding: gzip');
    expect(gzip.text).toContain('gzip_types');
    expect(gzip.measurements.find((m) => m.name === 'held-back-bytes')?.value).toBe(0);
    expect(gzip.measurements.find((m) => m.name === 'browser-decoded-bytes')!.value).toBeGreaterThan(0);

    for (const mode of ['blackBox', 'cooperative'] as const) {
      const idle = check('read-timeout-no-heartbeat', mode, 'server.path.idle-timeout');
      expect(idle.text).toContain('left the body unterminated');
      expect(idle.text).toContain('proxy_read_timeout');
      const observed = idle.measurements.find((m) => m.name === 'observed-idle-timeout-ms')!.value;
      // nginx's proxy_read_timeout is 3 s; the silence starts at the retry line, right after the headers.
      expect(observed).toBeGreaterThan(2500);
      expect(observed).toBeLessThan(4500);
    }
    const latency = runs.get('correct')!.cooperative.cases.find((r) => r.id === 'server.path.buffering')!.measurements;
    expect(latency.map((m) => m.name)).toEqual(expect.arrayContaining(['publish-to-receive-p50-ms', 'publish-to-receive-p99-ms']));
  });

  it('the reference server behind the correct configuration passes the whole cooperative check', () => {
    expect(haveNginx, NGINX_INSTALL_HINT).toBe(true);
    const r = fullCorrect!;
    expect(r.summary.run).toBe(SERVER_CASES.length);
    for (const c of r.cases) {
      // Multi-instance rules need a second instance (--peer): one nginx in front of one server has none;
      // the HTTP/2 rules need --http2 (this lab proxies HTTP/1.1).
      const allowed = c.id === 'server.response.proxy-buffering' ? 'INFO' : c.area === 'cluster' || c.area === 'http2' ? 'UNSUPPORTED' : 'PASS';
      expect(c.verdict, `${c.id}\n${verdicts(r)}`).toBe(allowed);
    }
    expect(r.summary.ok).toBe(true);
  });

  it('the README lab table is this data', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('<!-- lab:start -->');
    const end = readme.indexOf('<!-- lab:end -->');
    expect(start, 'README lab markers').toBeGreaterThan(0);
    expect(readme.slice(start + '<!-- lab:start -->'.length, end).trim()).toBe(renderLabTable());
  });
});
