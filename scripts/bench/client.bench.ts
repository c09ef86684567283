/**
 * `npm run bench client`: wall time of full client runs as `sse-conformance client` does them:
 * every scenario plus the generated one (10 streams), timing scenarios alone, the rest in parallel.
 * Targets (the issue's): the full Chromium run < 60 s; a client adapter run (--exec, one process
 * per scenario) < 60 s. Peers in the same run: the in-process reference client (no browser, no
 * process start-up) and the undici adapter, so the cost of the browser and of the adapter
 * processes shows as a ratio. Firefox is measured when installed (no target). Options: --runs=<n>.
 */
import { browserAvailable } from '../../conformance/browsers.ts';
import { parseClientArgs, runClientTargets } from '../commands/client.ts';
import { machineDescription, median } from './statistics.ts';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 1);

async function timeTarget(targetArgs: string[]): Promise<{ ms: number; verdicts: string; name: string }> {
  const samples: number[] = [];
  let verdicts = '';
  let name = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const { results, failedToStart } = await runClientTargets(parseClientArgs([...targetArgs, '--seed', String(i + 1)]));
    samples.push(performance.now() - t0);
    if (failedToStart || !results[0]) throw new Error(`${targetArgs.join(' ')} could not start`);
    const r = results[0].result;
    name = r.target.version && !r.target.name.includes(r.target.version) ? `${r.target.name} ${r.target.version}` : r.target.name;
    verdicts = Object.entries(r.summary.counts).filter(([, n]) => n).map(([v, n]) => `${n} ${v}`).join(', ');
  }
  return { ms: median(samples), verdicts, name };
}

const rows: { label: string; target?: number; m: { ms: number; verdicts: string; name: string } }[] = [];
rows.push({ label: 'reference client, in-process (peer)', m: await timeTarget(['--reference']) });
rows.push({ label: 'Chromium, full run', target: 60_000, m: await timeTarget(['--browser', 'chromium']) });
if (browserAvailable('firefox')) rows.push({ label: 'Firefox, full run', m: await timeTarget(['--browser', 'firefox']) });
rows.push({ label: 'undici adapter (--exec), full run', target: 60_000, m: await timeTarget(['--exec', 'node conformance/client/adapters/undici.mjs']) });
rows.push({ label: 'eventsource adapter (--exec), full run', target: 60_000, m: await timeTarget(['--exec', 'node conformance/client/adapters/eventsource.mjs']) });
const peer = rows[0]!.m.ms;
process.stdout.write(`${machineDescription()}\n\n`);
process.stdout.write('| run (61 scenarios incl. 10 generated streams) | wall time | vs in-process reference | target | verdicts |\n|---|---:|---:|---|---|\n');
for (const r of rows) {
  const target = r.target === undefined ? '–' : `< ${r.target / 1000} s ${r.m.ms < r.target ? 'PASS' : 'MISS'}`;
  process.stdout.write(`| ${r.label}: ${r.m.name} | ${(r.m.ms / 1000).toFixed(1)} s | ${(r.m.ms / peer).toFixed(2)}× | ${target} | ${r.m.verdicts} |\n`);
}
