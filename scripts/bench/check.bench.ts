/**
 * `npm run bench check`: wall time of a default `check` against a conformant local server (the
 * embedded reference server, as `npm start` configures it but without a browser: cooperative), the same in
 * black-box mode (stream URL only), and `check --list` beside `--version` (process start-up is the
 * peer: --list must add almost nothing to it). Targets: check < 10 s, --list "instant" (< 0.5 s
 * over the start-up peer). Options: --runs=<n> (default 3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createReferenceServer } from '../../reference/server/index.ts';
import { parseCheckArgs, runCheck } from '../commands/check.ts';
import { machineDescription, median } from './statistics.ts';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);

async function timeCheck(mode: 'cooperative' | 'black-box'): Promise<{ ms: number; verdicts: string }[]> {
  const out: { ms: number; verdicts: string }[] = [];
  for (let i = 0; i < runs; i++) {
    const srv = await createReferenceServer({ heartbeatMs: 500, retryMs: 1000, auth: { tokens: { private: 'bench-secret' } } });
    try {
      const args = mode === 'cooperative'
        ? [`${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '--protected-url', `${srv.url}/channels/private`, '--bearer', 'bench-secret',
          '--heartbeat', '500', '--last-event-id-param', 'lastEventId', '--expect-status', `404=${srv.url}/none`, '--seed', String(i + 1)]
        : [`${srv.url}/channels/bench`, '--heartbeat', '500', '--seed', String(i + 1)];
      const t0 = performance.now();
      const r = await runCheck(parseCheckArgs(args));
      const ms = performance.now() - t0;
      const counts = Object.entries(r.summary.counts).filter(([, n]) => n).map(([v, n]) => `${n} ${v}`).join(', ');
      out.push({ ms, verdicts: counts });
    } finally {
      await srv.close();
    }
  }
  return out;
}

function timeProcess(args: string[]): number {
  const samples: number[] = [];
  const bin = fileURLToPath(new URL('../../bin/sse-conformance.js', import.meta.url));
  if (!existsSync(fileURLToPath(new URL('../../dist/scripts/cli.js', import.meta.url)))) throw new Error('dist/ is missing: run `npm run build` first (the CLI runs from dist/)');
  for (let i = 0; i < Math.max(3, runs); i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    samples.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(samples);
}

const coop = await timeCheck('cooperative');
const black = await timeCheck('black-box');
const listMs = timeProcess(['check', '--list']);
const versionMs = timeProcess(['--version']);
const coopMs = median(coop.map((r) => r.ms));
const blackMs = median(black.map((r) => r.ms));
process.stdout.write(`${machineDescription()}\n\n`);
process.stdout.write('| measurement | median | target | verdicts |\n|---|---:|---|---|\n');
process.stdout.write(`| check, cooperative (reference server, no browser) | ${(coopMs / 1000).toFixed(2)} s | < 10 s ${coopMs < 10_000 ? 'PASS' : 'MISS'} | ${coop[0]!.verdicts} |\n`);
process.stdout.write(`| check, black-box (stream URL only) | ${(blackMs / 1000).toFixed(2)} s | < 10 s ${blackMs < 10_000 ? 'PASS' : 'MISS'} | ${black[0]!.verdicts} |\n`);
process.stdout.write(`| \`check --list\` (process) | ${Math.round(listMs)} ms | < 500 ms over start-up ${listMs - versionMs < 500 ? 'PASS' : 'MISS'} | |\n`);
process.stdout.write(`| \`--version\` (process start-up, the peer) | ${Math.round(versionMs)} ms | | |\n`);
process.stdout.write(`\n(${runs} runs each; processes run the built dist/)\n`);
