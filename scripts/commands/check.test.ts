// `check` end to end: legal wire variations never produce a false failure; exit codes, baselines,
// reporters and --list behave as documented.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failsRun, type RunResult } from '../../conformance/model.ts';
import { parseRunResult } from '../../conformance/report/json.ts';
import { startRawTcpTarget, type RawTcpTarget } from '../../conformance/server/raw-tcp-target.ts';
import { startScriptedTarget, type ScriptedTarget, type WireStyle } from '../../conformance/server/scripted-target.ts';
import { main } from '../cli.ts';
import { parseCheckArgs, runCheck } from './check.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssec-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function argsFor(t: ScriptedTarget, extra: string[] = []): string[] {
  return [`${t.url}/channels/{channel}`, '--publish', `${t.url}/channels/{channel}`, '--heartbeat', '300', '--protected-url', `${t.url}/channels/private`,
    '--bearer', 'tok', '--last-event-id-param', 'lastEventId', '--observe', '800', '--delivery-timeout', '3000', '--property-runs', '3', '--property-time', '3000', '--seed', '1', ...extra];
}

async function withTarget<T>(style: WireStyle, fn: (t: ScriptedTarget) => Promise<T>): Promise<T> {
  const t = await startScriptedTarget({ style, heartbeatMs: 100, protectedChannels: { private: 'tok' } });
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

function failures(r: RunResult): string[] {
  return r.cases.filter((c) => failsRun(c.verdict, true)).map((c) => `${c.verdict} ${c.id}: ${c.reason}`);
}

describe('no false failures for legal wire variations (cooperative, strict)', () => {
  const styles: Record<string, WireStyle> = {
    'CRLF + BOM + comments + no space after colon': { lineEnding: '\r\n', bom: true, comments: true, spaceAfterColon: false },
    'CR endings, data before id, charset parameter, mixed-case type, retry': { lineEnding: '\r', order: 'data-event-id', contentType: 'Text/Event-Stream; charset=utf-8', retry: '0500' },
    'mixed endings, events split across writes': { lineEnding: 'mixed', splitWritesMs: 15, comments: true },
  };
  for (const [name, style] of Object.entries(styles)) {
    it(name, async () => {
      const r = await withTarget(style, (t) => runCheck(parseCheckArgs(argsFor(t, ['--strict']))));
      expect(failures(r)).toEqual([]);
      expect(r.summary.ok).toBe(true);
    }, 30_000);
  }
});

it('a server that sends ids but never replays is NON_STRICT (application-defined), not a FAIL', async () => {
  const t = await startScriptedTarget({ heartbeatMs: 100, noReplay: true });
  try {
    const r = await runCheck(parseCheckArgs([`${t.url}/channels/{channel}`, '--publish', `${t.url}/channels/{channel}`, '--area', 'replay,publish', '--last-event-id-param', 'lastEventId',
      '--observe', '600', '--delivery-timeout', '800', '--property-runs', '3', '--property-time', '3000', '--seed', '3']));
    expect(failures(r).filter((f) => !f.startsWith('NON_STRICT'))).toEqual([]);
    const byId = Object.fromEntries(r.cases.map((c) => [c.id, c.verdict]));
    expect(byId['server.replay.resumes-after-id']).toBe('NON_STRICT');
    expect(byId['server.replay.publish-while-disconnected']).toBe('NON_STRICT');
    expect(byId['server.publish.property']).toBe('NON_STRICT');
    expect(byId['server.publish.round-trip']).toBe('PASS');
    expect(r.summary.ok).toBe(true);
  } finally {
    await t.close();
  }
}, 30_000);

describe('the check command', () => {
  let target: ScriptedTarget;
  beforeAll(async () => {
    target = await startScriptedTarget({ heartbeatMs: 100, protectedChannels: { private: 'tok' }, staticEvents: 3 });
  });
  afterAll(() => target.close());

  it('black-box mode (no publish) judges what the stream sends and replays by id', async () => {
    const r = await runCheck(parseCheckArgs([`${target.url}/channels/static`, '--observe', '600', '--case', 'server.framing.*,server.replay.*,server.response.status-200']));
    expect(failures(r)).toEqual([]);
    const byId = Object.fromEntries(r.cases.map((c) => [c.id, c.verdict]));
    expect(byId['server.framing.field-names']).toBe('PASS');
    expect(byId['server.replay.resumes-after-id']).toBe('PASS');
    expect(byId['server.replay.publish-while-disconnected']).toBe('UNSUPPORTED');
    expect(byId['server.auth.no-credentials']).toBe('SKIP');
    expect(r.summary.selected).toBe(11);
  });

  it('cooperative on one shared stream (no {channel}): publishing cases take turns, no false failure', async () => {
    const r = await runCheck(parseCheckArgs([`${target.url}/channels/shared`, '--publish', `${target.url}/channels/shared`, '--heartbeat', '300', '--observe', '800', '--property-runs', '3', '--strict']));
    expect(failures(r)).toEqual([]);
    const byId = Object.fromEntries(r.cases.map((c) => [c.id, c.verdict]));
    expect(byId['server.publish.round-trip']).toBe('PASS');
    expect(byId['server.replay.publish-while-disconnected']).toBe('PASS');
    expect(byId['server.stop.closed-channel-204']).toBe('UNSUPPORTED');
  }, 20_000);

  it('writes every report format and exits 0 when conformant', async () => {
    const out = (f: string) => join(dir, f);
    const code = await main(['check', ...argsFor(target), '--area', 'response,framing,auth', '--reporter', `json=${out('r.json')}`, '--reporter', `junit=${out('j.xml')}`,
      '--reporter', `html=${out('r.html')}`, '--reporter', `markdown=${out('s.md')}`, '--reporter', `text=${out('r.txt')}`]);
    expect(code).toBe(0);
    const result = parseRunResult(readFileSync(out('r.json'), 'utf8'));
    expect(result.seed).toBe(1);
    expect(JSON.stringify(result)).not.toContain('tok"'); // bearer redacted
    expect(readFileSync(out('j.xml'), 'utf8')).toContain('<testsuites');
    expect(readFileSync(out('r.html'), 'utf8')).toContain('<!doctype html>');
    expect(readFileSync(out('s.md'), 'utf8')).toContain('## SSE conformance');
    expect(readFileSync(out('r.txt'), 'utf8')).toMatch(/selected \/ \d+ run/);
  });

  it('exit 1 for a failure, 0 when the baseline lists it, 1 again when the listed entry is stale', async () => {
    // The protected channel without --bearer: valid-credentials cannot be judged, but a wrong
    // --expect-status is a plain failure.
    const base = [`${target.url}/channels/{channel}`, '--publish', `${target.url}/channels/{channel}`, '--case', 'server.stop.declared-status', '--reporter', `json=${join(dir, 'b.json')}`];
    const failing = [...base, '--expect-status', `410=${target.url}/nowhere`];
    expect(await main(['check', ...failing])).toBe(1);
    writeFileSync(join(dir, 'baseline.txt'), '# known\nserver.stop.declared-status: upstream returns 404, issue #1\n');
    expect(await main(['check', ...failing, '--expected-failures', join(dir, 'baseline.txt')])).toBe(0);
    const passing = [...base, '--expect-status', `404=${target.url}/nowhere`, '--expected-failures', join(dir, 'baseline.txt')];
    expect(await main(['check', ...passing])).toBe(1);
    expect(parseRunResult(readFileSync(join(dir, 'b.json'), 'utf8')).summary.staleBaseline).toEqual(['server.stop.declared-status']);
  });

  it('--write-baseline writes the failures; with it the next run is conformant', async () => {
    const failing = [`${target.url}/channels/{channel}`, '--publish', `${target.url}/channels/{channel}`, '--case', 'server.stop.*', '--expect-status', `410=${target.url}/nowhere`];
    expect(await main(['check', ...failing, '--write-baseline', join(dir, 'written.txt'), '--reporter', `json=${join(dir, 'w.json')}`])).toBe(1);
    const text = readFileSync(join(dir, 'written.txt'), 'utf8');
    expect(text).toMatch(/^server\.stop\.declared-status: FAIL: /m);
    expect(await main(['check', ...failing, '--expected-failures', join(dir, 'written.txt'), '--reporter', `json=${join(dir, 'w.json')}`])).toBe(0);
  });

  it('exit 2 when the target is unreachable, with every case ERROR', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCheck(parseCheckArgs([`http://127.0.0.1:${port}/events`]));
    expect(r.summary.indeterminate).toMatch(/unreachable/);
    expect(r.summary.run).toBe(0);
    expect(await main(['check', `http://127.0.0.1:${port}/events`, '--reporter', `json=${join(dir, 'u.json')}`])).toBe(2);
  });

  it('exit 64 for usage errors', async () => {
    expect(await main(['check'])).toBe(64);
    expect(await main(['check', 'not a url'])).toBe(64);
    expect(await main(['check', 'http://x/', '--reporter', 'pdf'])).toBe(64);
    expect(await main(['check', 'http://x/', '--heartbeat', 'soon'])).toBe(64);
    expect(await main(['check', 'http://x/{channel}', '--publish', 'http://x/p'])).toBe(64);
    writeFileSync(join(dir, 'bad.json'), '{"x y": 1');
    expect(await main(['check', 'http://x/', '--expected-failures', join(dir, 'bad.json')])).toBe(64);
  });
});

describe('hostile targets end with a clear FAIL/ERROR, fast', () => {
  let target: RawTcpTarget;
  let base = '';
  beforeAll(async () => {
    target = await startRawTcpTarget(({ path, socket, every }) => {
      socket.write(path === '/headers' ? 'HTTP/1.1 200 OK\r\n' : 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: ');
      every(2, () => socket.write(path === '/headers' ? `x-pad: ${'y'.repeat(1000)}\r\n` : 'x'.repeat(8192)) || true);
    });
    base = target.base;
  });
  afterAll(() => target.close());

  it('an endless line: the terminator case FAILs naming the line cap', async () => {
    const t0 = performance.now();
    const r = await runCheck(parseCheckArgs([`${base}/line`, '--observe', '800', '--heartbeat', '200', '--run-timeout', '15000']));
    expect(performance.now() - t0).toBeLessThan(10_000);
    const term = r.cases.find((c) => c.id === 'server.framing.event-terminator')!;
    expect(term.verdict).toBe('FAIL');
    expect(term.reason).toMatch(/exceeded 262144 bytes without a line ending/);
  }, 20_000);

  it('never-ending headers: cases ERROR with the reason, the run is indeterminate (exit 2)', async () => {
    const r = await runCheck(parseCheckArgs([`${base}/headers`, '--observe', '500', '--area', 'response,framing']));
    expect(r.cases.find((c) => c.id === 'server.response.status-200')!.reason).toMatch(/header-overflow/);
    expect(r.cases.filter((c) => c.verdict !== 'SKIP').every((c) => ['ERROR', 'UNSUPPORTED'].includes(c.verdict))).toBe(true);
    expect(r.summary.indeterminate).toBeTruthy();
  }, 20_000);
});
