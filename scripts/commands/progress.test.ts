// Live progress of `check` and `client`: a status line on stderr only when stderr is a terminal and
// --quiet is not given; never on stdout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startScriptedTarget } from '../../conformance/server/scripted-target.ts';
import { main } from '../cli.ts';
import { parseCheckArgs } from './check.ts';
import { parseClientArgs } from './client.ts';

const CLEAR = '\r\x1b[2K';

/** Runs the CLI with stderr pretending to be (or not to be) a terminal; returns what each stream got. */
async function capture(argv: string[], tty: boolean): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
    if (saved) Object.defineProperty(process.stderr, 'isTTY', saved);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
}

afterEach(() => vi.restoreAllMocks());

describe('check progress', () => {
  const run = async (extra: string[], tty: boolean) => {
    const t = await startScriptedTarget({ heartbeatMs: 100 });
    try {
      return await capture(['check', `${t.url}/channels/x`, '--case', 'server.response.status-200,server.response.content-type', '--seed', '1', '--observe', '300', ...extra], tty);
    } finally {
      await t.close();
    }
  };

  it('on a terminal: counts on stderr, erased at the end, nothing on stdout', async () => {
    const r = await run([], true);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${CLEAR}[0/2] `);
    expect(r.err).toMatch(/\[2\/2\] \d+s last: server\.response\./);
    // Erased before the run's last lines, which start on a clean line.
    expect(r.err.lastIndexOf(CLEAR)).toBeGreaterThan(r.err.lastIndexOf('[2/2]'));
    expect(r.out).not.toContain('\r');
    expect(r.out).toContain('server.response.content-type');
  }, 20_000);

  it('--quiet on a terminal, or stderr not a terminal: no progress at all', async () => {
    for (const [extra, tty] of [[['--quiet'], true], [[], false]] as const) {
      const r = await run([...extra], tty);
      expect(r.code).toBe(0);
      expect(r.err).not.toContain('\r');
      expect(r.err).not.toContain('[0/2]');
      expect(r.err).toContain('sse-conformance check'); // the ordinary stderr lines are still there
    }
  }, 20_000);

  it('--quiet takes no value', () => {
    expect(parseCheckArgs(['http://127.0.0.1:1/', '--quiet']).quiet).toBe(true);
    expect(parseCheckArgs(['http://127.0.0.1:1/']).quiet).toBe(false);
    expect(() => parseCheckArgs(['http://127.0.0.1:1/', '--quiet=yes'])).toThrow(/--quiet takes no value/);
  });
});

describe('client progress', () => {
  const argv = ['client', '--reference', '--case', 'client.status.204-fails,client.status.401-fails', '--no-property', '--seed', '1'];

  it('on a terminal: progress of the scenarios on stderr; --quiet: none', async () => {
    const shown = await capture(argv, true);
    expect(shown.code).toBe(0);
    expect(shown.err).toMatch(/\[2\/2\] \d+s last: client\.status\./);
    expect(shown.out).not.toContain('\r');
    const quiet = await capture([...argv, '--quiet'], true);
    expect(quiet.code).toBe(0);
    expect(quiet.err).not.toContain('\r');
    expect(parseClientArgs(['--reference', '--quiet']).quiet).toBe(true);
  }, 30_000);
});
