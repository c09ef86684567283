import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStream } from '../../reference/server/http-probe.ts';
import { main } from '../cli.ts';
import { parseServeArgs } from './serve.ts';

describe('sse-conformance serve', () => {
  it('parses every option into server options', () => {
    const { options } = parseServeArgs([
      '--port', '0', '--host', '::1', '--retry', '500', '--heartbeat', '0', '--replay-size', '10', '--replay-age', '60000',
      '--token', 'a=t1', '--token', 'a=t2', '--token', '*=all', '--publish-token', 'p', '--cors-origin', 'https://x.example',
      '--cors-credentials', '--fault', 'bad-retry', '--fault', 'no-heartbeat', '--allow-request-faults',
    ]);
    expect(options).toMatchObject({
      port: 0, host: '::1', retryMs: 500, heartbeatMs: 0, replay: { maxEvents: 10, maxAgeMs: 60000 },
      auth: { tokens: { a: ['t1', 't2'], '*': ['all'] } }, publishToken: 'p',
      cors: { origins: ['https://x.example'], credentials: true }, faults: ['bad-retry', 'no-heartbeat'], allowRequestFaults: true,
    });
  });

  it.each([
    [['--port', 'x'], /--port must be a non-negative integer/],
    [['--port', '70000'], /at most 65535/],
    [['--retry'], /--retry needs a value/],
    [['--token', 'nochannel'], /--token takes <channel>=<token>/],
    [['--fault', 'nope'], /unknown fault "nope"/],
    [['--cors-credentials'], /needs at least one --cors-origin/],
    [['--bogus'], /unknown option --bogus/],
    [['--tls-cert', '/nonexistent/cert.pem', '--tls-key', 'package.json'], /--tls-cert: cannot read \/nonexistent\/cert.pem: ENOENT/],
    [['--tls-cert', 'package.json'], /--tls-cert and --tls-key go together/],
    [['--port', '0', '--tls-cert', 'package.json', '--tls-key', 'package.json'], /--tls-cert\/--tls-key: .*no start line/],
  ])('exits 64 for %j with a clear message', async (args, message) => {
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['serve', ...args])).toBe(64);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(message);
  });

  it('prints its URL, serves, and on SIGTERM ends open streams cleanly and exits 0', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { main } from './scripts/cli.ts'; process.exitCode = await main(process.argv.slice(1));", 'serve', '--port', '0', '--heartbeat', '0', '--quiet'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s; stdout: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const s = await openStream(`${url}/channels/demo`);
      await s.until((p) => p.retries.length === 1);
      child.kill('SIGTERM');
      await s.closed(10_000);
      expect(s.endedCleanly).toBe(true);
      expect(s.body().toString()).toBe('retry: 3000\n\n');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
