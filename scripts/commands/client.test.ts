import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../conformance/model.ts';
import { bundledAdapterCommand } from '../../conformance/client/adapters/bundle.ts';
import { UsageError } from '../cli.ts';
import { command, parseClientArgs, pathFor } from './client.ts';

let dir: string;
let faulty: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssec-client-cmd-'));
  faulty = (await bundledAdapterCommand('faulty', dir)).command;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client command', () => {
  it('rejects bad usage with UsageError (exit 64)', () => {
    expect(() => parseClientArgs([])).toThrow(UsageError);
    expect(() => parseClientArgs(['--browser', 'safari'])).toThrow(/unknown browser "safari" \(chromium, firefox, webkit\)/);
    expect(parseClientArgs(['--browser', 'webkit']).targets).toEqual([{ kind: 'browser', browser: 'webkit' }]);
    expect(() => parseClientArgs(['--name', 'x'])).toThrow(/must follow an --exec/);
    expect(() => parseClientArgs(['--reference', '--reporter', 'pdf'])).toThrow(/unknown format/);
    expect(() => parseClientArgs(['--reference', '--seed', '-1'])).toThrow(UsageError);
    expect(parseClientArgs(['--browser', 'chromium,firefox', '--exec', 'node a.mjs', '--name', 'A']).targets).toEqual([
      { kind: 'browser', browser: 'chromium' }, { kind: 'browser', browser: 'firefox' }, { kind: 'exec', command: 'node a.mjs', name: 'A' },
    ]);
    expect(() => parseClientArgs(['--adapter', 'nope'])).toThrow(/unknown adapter "nope" \(shipped: reference, undici, eventsource/);
    // A shipped adapter is an exec target on the package's own file (the artifact test runs them installed).
    expect(parseClientArgs(['--adapter', 'undici', '--name', 'U']).targets).toEqual([
      { kind: 'exec', command: expect.stringMatching(/^node '\/.*\/conformance\/client\/adapters\/undici\.mjs'$/), name: 'U' },
    ]);
    expect(pathFor('reports/client.json', 'chromium')).toBe('reports/client-chromium.json');
    expect(pathFor('out', 'firefox')).toBe('out-firefox');
  });

  it('runs an --exec target with selection, JSON report and baseline: exit 1, then 0 with the failures listed, 1 when an entry is stale', async () => {
    const json = join(dir, 'result.json');
    const args = ['--exec', faulty, '--name', 'faulty', '--case', 'client.status.40*', '--no-property', '--reporter', `json=${json}`];
    expect(await command.run(args)).toBe(1);
    const result = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    expect(result.mode).toBe('client');
    expect(result.target.name).toBe('faulty');
    const ran = result.cases.filter((c) => c.verdict !== 'SKIP');
    expect(ran.map((c) => [c.id, c.verdict])).toEqual([
      ['client.status.401-fails', 'FAIL'], ['client.status.403-fails', 'PASS'], ['client.status.404-fails', 'PASS'], ['client.status.401-on-reconnect-stops', 'FAIL'],
    ]);
    const baseline = join(dir, 'baseline.txt');
    writeFileSync(baseline, 'client.status.401-fails: the faulty client retries after 401\nclient.status.401-on-reconnect-stops: same bug\n');
    expect(await command.run([...args, '--expected-failures', baseline])).toBe(0);
    writeFileSync(baseline, 'client.status.401-fails: retries\nclient.status.401-on-reconnect-stops: same\nclient.status.403-fails: not failing any more\n');
    expect(await command.run([...args, '--expected-failures', baseline])).toBe(1);
  }, 60_000);

  it('a browser that is not installed makes the run indeterminate (exit 2)', async () => {
    const saved = process.env['FIREFOX_PATH'];
    process.env['FIREFOX_PATH'] = join(dir, 'no-such-firefox');
    try {
      expect(await command.run(['--browser', 'firefox', '--case', 'client.status.204-fails', '--no-property', '--reporter', `json=${join(dir, 'ff.json')}`])).toBe(2);
    } finally {
      if (saved === undefined) delete process.env['FIREFOX_PATH'];
      else process.env['FIREFOX_PATH'] = saved;
    }
  });
});
