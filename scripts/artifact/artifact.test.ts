/**
 * The artifact test: the package as users get it. Builds and packs the current sources, installs
 * the tarball into a fresh project outside the repository (no access to our sources or
 * devDependencies), and runs every command and the programmatic API there against real targets
 * (a `serve` started from the installed package, real Chromium). Only the package's own files and
 * its declared dependencies are available to what runs here.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_FILES } from '../../conformance/package-files.ts';
import type { RunResult } from '../../conformance/model.ts';
import { installProject, packFromSources, readJson, REPO_ROOT, run, start, tempWorkDir, type PackedPackage, type Run, type Started } from './package-under-test.ts';

const work = tempWorkDir('ssec-artifact-');
let packed: PackedPackage;
let project: string;
let installLog: string;
let server: Started;
let base: string;

/** `npx sse-conformance …` in the user's project. */
function cli(args: readonly string[], options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return run('npx', ['--no-install', 'sse-conformance', ...args], { cwd: project, timeoutMs: options.timeoutMs ?? 60_000, input: options.input, env: options.env });
}

function json(r: Run): RunResult {
  try {
    return JSON.parse(r.stdout) as RunResult;
  } catch {
    throw new Error(`not a JSON result (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`);
  }
}

function verdicts(result: RunResult): Record<string, string> {
  return Object.fromEntries(result.cases.map((c) => [c.id, c.verdict]));
}

beforeAll(async () => {
  packed = await packFromSources(work);
  // eventsource@5 for the shipped `eventsource` adapter; vitest for the embedding example.
  ({ dir: project, log: installLog } = await installProject(work, packed.tarball, ['eventsource@5', 'vitest@4']));
  server = await start('npx', ['--no-install', 'sse-conformance', 'serve', '--port', '0', '--heartbeat', '1000', '--publish-token', 'pub', '--token', 'private=s3cret', '--quiet'], { cwd: project, timeoutMs: 20_000 });
  base = server.firstLine;
}, 300_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships every file the code reads at run time', () => {
    const shipped = new Set(packed.files);
    const missing = RUNTIME_FILES.filter((f) => (f.endsWith('/') ? ![...shipped].some((p) => p.startsWith(f)) : !shipped.has(f)));
    expect(missing).toEqual([]);
    // Every declared directory holds files in the installed copy as well.
    for (const f of RUNTIME_FILES) expect(existsSync(join(project, 'node_modules/sse-conformance', f)), f).toBe(true);
  });

  it('installs with no install scripts and no install-script notice', () => {
    const manifest = readJson<{ scripts?: Record<string, string>; engines?: { node?: string } }>(join(project, 'node_modules/sse-conformance/package.json'));
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[hook], hook).toBeUndefined();
    expect(installLog).not.toMatch(/sse-conformance@[^ ]* \((pre|post)?install|prepare/);
    expect(manifest.engines?.node).toMatch(/20.*22.*24/);
  });

  it('--version and --help', async () => {
    const v = await cli(['--version']);
    expect([v.code, v.stdout.trim()]).toEqual([0, readJson<{ version: string }>(join(REPO_ROOT, 'package.json')).version]);
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    for (const name of ['check', 'client', 'coverage', 'demo', 'diff', 'parse', 'report', 'serve', 'vectors']) expect(h.stdout).toContain(`  ${name} `);
    const bad = await cli(['check', '--no-such-flag']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('unknown option --no-such-flag');
  });

  it('parse reads a stream from stdin', async () => {
    const r = await cli(['parse'], { input: 'id: 7\nevent: a\ndata: x\ndata: y\n\n' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toEqual({ type: 'a', data: 'x\ny', lastEventId: '7' });
  });

  it('serve answers with an event stream', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const controller = new AbortController();
    const res = await fetch(`${base}/channels/hello`, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(5000)]) });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
    controller.abort();
  });

  it('check, black-box: the reference server passes (exit 0)', async () => {
    const r = await cli(['check', `${base}/channels/blackbox`, '--observe', '1500', '--reporter', 'json'], { timeoutMs: 90_000 });
    const result = json(r);
    expect([r.code, result.summary.ok, result.mode]).toEqual([0, true, 'server']);
    expect(result.cases.filter((c) => c.verdict === 'PASS').length).toBeGreaterThan(5);
    expect(result.cases.filter((c) => ['FAIL', 'ERROR', 'TIMEOUT'].includes(c.verdict))).toEqual([]);
  }, 100_000);

  it('check, cooperative with one Chromium case: every case reaches its verdict (exit 0)', async () => {
    const r = await cli([
      'check', `${base}/channels/{channel}`, '--publish', `${base}/channels/{channel}`, '--publish-token', 'pub', '--protected-url', `${base}/channels/private`,
      '--bearer', 's3cret', '--heartbeat', '1000', '--last-event-id-param', 'lastEventId', '--browser', 'chromium',
      '--exclude', 'server.browser.chromium.reconnect-replay,server.browser.chromium.401-stops,server.browser.chromium.cross-origin-credentials,server.browser.chromium.connection-limit',
      '--property-runs', '3', '--reporter', 'json', '--reporter', `junit=${join(work, 'out/junit.xml')}`,
    ], { timeoutMs: 110_000 });
    const result = json(r);
    expect(r.code, JSON.stringify(result.cases.filter((c) => c.verdict !== 'PASS').map((c) => [c.id, c.verdict, c.reason]))).toBe(0);
    const v = verdicts(result);
    expect(v['server.browser.chromium.dispatch-matches-wire']).toBe('PASS');
    expect(v['server.publish.property']).toBe('PASS');
    expect(v['server.replay.resumes-after-id']).toBe('PASS');
    expect(readFileSync(join(work, 'out/junit.xml'), 'utf8')).toContain('<testsuite');
    writeFileSync(join(work, 'cooperative.json'), r.stdout);
  }, 120_000);

  it('client --reference, --adapter undici, --exec eventsource@5 and --browser chromium', async () => {
    const eventsourceAdapter = 'node node_modules/sse-conformance/conformance/client/adapters/eventsource.mjs';
    const [reference, undici, eventsource, chromium] = await Promise.all([
      cli(['client', '--reference', '--property-runs', '3', '--reporter', 'json'], { timeoutMs: 100_000 }),
      cli(['client', '--adapter', 'undici', '--area', 'parse,last-event-id', '--no-property', '--reporter', 'json'], { timeoutMs: 100_000 }),
      cli(['client', '--exec', eventsourceAdapter, '--area', 'last-event-id,status', '--no-property', '--reporter', 'json'], { timeoutMs: 100_000 }),
      cli(['client', '--browser', 'chromium', '--case', 'client.parse.*', '--no-property', '--reporter', 'json'], { timeoutMs: 100_000 }),
    ]);
    writeFileSync(join(work, 'client-reference.json'), reference.stdout);
    writeFileSync(join(work, 'client-chromium.json'), chromium.stdout);
    const ref = json(reference);
    expect([reference.code, ref.summary.ok, ref.summary.counts.FAIL, ref.summary.counts.ERROR]).toEqual([0, true, 0, 0]);
    expect(ref.summary.run).toBeGreaterThanOrEqual(60);
    // Third-party clients: the verdicts are theirs; what the package must do is run every selected
    // scenario to a verdict through the shipped adapters (no ERROR: the adapter started and spoke).
    for (const [r, name] of [[undici, 'undici EventSource'], [eventsource, 'eventsource (npm)']] as const) {
      const result = json(r);
      expect([r.code === 0 || r.code === 1, result.target.name]).toEqual([true, name]);
      expect(result.summary.counts.ERROR).toBe(0);
      expect(result.summary.run).toBeGreaterThan(3);
    }
    expect(json(eventsource).target.version).toMatch(/^5\./);
    const browser = json(chromium);
    expect(browser.target.name).toMatch(/chrom/i);
    expect([chromium.code, browser.summary.counts.ERROR, browser.summary.counts.FAIL]).toEqual([0, 0, 0]);
  }, 110_000);

  it('client --vectors and vectors --exec', async () => {
    const [wire, vectors] = await Promise.all([
      cli(['client', '--reference', '--vectors', '--area', 'vectors', '--no-property', '--reporter', 'json'], { timeoutMs: 100_000 }),
      cli(['vectors', '--exec', 'node node_modules/sse-conformance/fixtures/vectors/adapters/reference-adapter.mjs', '--json'], { timeoutMs: 100_000 }),
    ]);
    const w = json(wire);
    expect([wire.code, w.summary.ok]).toEqual([0, true]);
    expect(w.summary.run).toBeGreaterThan(10);
    const v = json(vectors);
    expect([vectors.code, v.summary.counts.FAIL, v.summary.counts.ERROR]).toEqual([0, 0, 0]);
    expect(v.summary.run).toBeGreaterThan(300);
  }, 110_000);

  it('report merges saved client results; diff compares two check results', async () => {
    const clients = [join(work, 'client-reference.json'), join(work, 'client-chromium.json')];
    const saved = join(work, 'cooperative.json');
    for (const f of [...clients, saved]) if (!existsSync(f)) throw new Error(`an earlier test did not save ${f}`);
    const html = join(work, 'out/compatibility.html');
    const r = await cli(['report', ...clients, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<html[\s\S]*client\.parse\./);
    const same = await cli(['diff', saved, saved]);
    expect(same.code, same.stderr).toBe(0);
    const worse = readJson<RunResult & { cases: { verdict: string }[] }>(saved);
    const pass = worse.cases.findIndex((c) => c.verdict === 'PASS');
    worse.cases[pass]!.verdict = 'FAIL';
    writeFileSync(join(work, 'worse.json'), JSON.stringify(worse));
    const regressed = await cli(['diff', saved, join(work, 'worse.json')]);
    expect(regressed.code).toBe(1);
    expect(regressed.stdout).toContain(worse.cases[pass]!.id);
  });

  it('coverage and demo', async () => {
    const coverage = await cli(['coverage']);
    expect(coverage.code, coverage.stderr).toBe(0);
    expect(coverage.stdout).toMatch(/requirements/);
    const out = join(work, 'demo');
    const demo = await cli(['demo', '--out', out, '--exclude', 'server.browser.*', '--property-runs', '3'], { timeoutMs: 100_000 });
    expect(demo.code, demo.stderr.slice(-2000)).toBe(0);
    for (const f of ['result.json', 'junit.xml', 'report.html', 'summary.md']) expect(existsSync(join(out, f)), f).toBe(true);
  }, 110_000);

  it('the harness API and every subpath export, from a script of the user', async () => {
    const script = join(project, 'embed.mjs');
    writeFileSync(script, `
import { checkServer, checkClient, runVectors, caseResults, assertConformant, HarnessOptionError } from 'sse-conformance/harness';
import { createParser } from 'sse-conformance/parser';
import { encodeEvent } from 'sse-conformance/encoder';
import { EventSource } from 'sse-conformance/client';
import { createReferenceServer } from 'sse-conformance/server';
import { REQUIREMENTS } from 'sse-conformance/spec';
import * as root from 'sse-conformance';
const base = process.argv[2];
const server = await checkServer(base + '/channels/embedded', { observe: 1000, case: 'server.response.*' });
assertConformant(server);
const client = await checkClient('reference', { area: 'parse', noProperty: true });
assertConformant(client);
const vectors = await runVectors('node node_modules/sse-conformance/fixtures/vectors/adapters/reference-adapter.mjs', { filter: 'bom.*' });
assertConformant(vectors);
let refused = '';
try { await checkServer(base, { headerTimeout: -1 }); } catch (e) { refused = (e instanceof HarnessOptionError) + ' ' + e.message; }
const events = [];
createParser({ onEvent: (e) => events.push(e.data) }).feed(encodeEvent({ data: 'a\\nb' }));
console.log(JSON.stringify({
  server: [server.mode, server.summary.run, caseResults(server).every((c) => !c.failed)],
  client: [client.mode, client.summary.run], vectors: vectors.summary.run, refused, events,
  exports: [typeof EventSource, typeof createReferenceServer, REQUIREMENTS.length > 100, typeof root.createParser],
}));
`);
    const r = await run(process.execPath, [script, base], { cwd: project, timeoutMs: 90_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(out).toMatchObject({ server: ['server', expect.any(Number), true], client: ['client', expect.any(Number)], events: ['a\nb'], exports: ['function', 'function', true, 'function'] });
    expect(out['refused']).toMatch(/^true .*headerTimeout/);
    expect(out['vectors']).toBeGreaterThan(3);
  }, 100_000);

  it('the README vitest example runs in the user project, and its types check', async () => {
    const example = join(REPO_ROOT, 'docs/examples/vitest-conformance.ts');
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(readFileSync(example, 'utf8').trim());
    mkdirSync(join(project, 'test'), { recursive: true });
    copyFileSync(example, join(project, 'test/sse-conformance.test.ts'));
    const r = await run(join(project, 'node_modules/.bin/vitest'), ['run', '--reporter', 'json'], {
      cwd: project, timeoutMs: 100_000,
      env: { ...(await import('./package-under-test.ts')).userEnv(), SSE_URL: `${base}/channels/{channel}`, SSE_PUBLISH_URL: `${base}/channels/{channel}`, SSE_PUBLISH_TOKEN: 'pub' },
    });
    const report = JSON.parse(r.stdout) as { numPassedTests: number; numFailedTests: number };
    expect([r.code, report.numFailedTests], r.stderr.slice(-3000)).toEqual([0, 0]);
    expect(report.numPassedTests).toBeGreaterThan(20);
    // The shipped declarations type-check the example (TypeScript from this repository, strict, NodeNext).
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      include: ['test'],
    }));
    const tsc = await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, timeoutMs: 60_000 });
    expect(tsc.code, tsc.stdout).toBe(0);
  }, 110_000);

  it('the GitHub Action script: JUnit, job summary and the exit code', async () => {
    const summary = join(work, 'step-summary.md');
    writeFileSync(summary, '');
    const env = { ...(await import('./package-under-test.ts')).userEnv(), GITHUB_STEP_SUMMARY: summary, INPUT_JUNIT: join(work, 'action/junit.xml'), INPUT_ARGS: `--observe 1000 --case server.response.*` };
    const passing = await run('bash', [join(REPO_ROOT, 'scripts/ci/check.sh')], { cwd: project, timeoutMs: 60_000, env: { ...env, INPUT_URL: `${base}/channels/action` } });
    expect(passing.code, passing.stderr.slice(-2000)).toBe(0);
    expect(passing.stderr).toContain('node_modules/.bin/sse-conformance check');
    expect(readFileSync(summary, 'utf8')).toMatch(/sse-conformance/i);
    expect(readFileSync(join(work, 'action/junit.xml'), 'utf8')).toContain('<testcase');
    // A target that is down: the step fails with the CLI's exit code 2.
    const down = await run('bash', [join(REPO_ROOT, 'scripts/ci/check.sh')], { cwd: project, timeoutMs: 60_000, env: { ...env, INPUT_URL: 'http://127.0.0.1:9/events' } });
    expect(down.code).toBe(2);
    const missing = await run('bash', [join(REPO_ROOT, 'scripts/ci/check.sh')], { cwd: project, timeoutMs: 10_000, env: { ...env, INPUT_URL: '' } });
    expect([missing.code, missing.stderr]).toEqual([64, expect.stringContaining('INPUT_URL')]);
    // action.yml passes each input to the script.
    const action = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');
    for (const input of ['url', 'args', 'baseline', 'junit', 'reporters', 'version']) expect(action).toContain(`INPUT_${input.toUpperCase()}: \${{ inputs.${input} }}`);
  }, 100_000);
});

// The same artifact under the other supported majors: the `node` package on npm brings each
// runtime as an ordinary registry package (its binary comes from a platform package, no other
// download). A smaller set: the CLI, a server check, a client run and the harness API.
describe.each(['22', '24'])('the packed package under Node %s', (major) => {
  let env: NodeJS.ProcessEnv;
  let nodeServer: Started | undefined;

  beforeAll(async () => {
    const dir = join(work, `node${major}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `node@${major}`], { cwd: dir, timeoutMs: 240_000 });
    if (installed.code !== 0) throw new Error(`npm install node@${major} failed:\n${installed.stderr.slice(-3000)}`);
    const { userEnv } = await import('./package-under-test.ts');
    const base = userEnv();
    env = { ...base, PATH: `${join(dir, 'node_modules/node/bin')}:${base['PATH'] ?? ''}` };
  }, 300_000);

  afterAll(async () => {
    await nodeServer?.stop();
  });

  it('runs the CLI, serve, check, client and the harness API', async () => {
    const version = await run('node', ['-p', 'process.version'], { cwd: project, timeoutMs: 10_000, env });
    expect(version.stdout.trim()).toMatch(new RegExp(`^v${major}\\.`));
    nodeServer = await start('npx', ['--no-install', 'sse-conformance', 'serve', '--port', '0', '--heartbeat', '1000', '--quiet'], { cwd: project, timeoutMs: 20_000, env });
    const url = `${nodeServer.firstLine}/channels/runtime`;
    const [check, client, embedded] = await Promise.all([
      run('npx', ['--no-install', 'sse-conformance', 'check', url, '--observe', '1000', '--reporter', 'json'], { cwd: project, timeoutMs: 90_000, env }),
      run('npx', ['--no-install', 'sse-conformance', 'client', '--reference', '--area', 'parse,reconnect', '--no-property', '--reporter', 'json'], { cwd: project, timeoutMs: 90_000, env }),
      run('node', ['--input-type=module', '-e', `
        import { checkServer, runVectors } from 'sse-conformance/harness';
        const r = await checkServer(${JSON.stringify(url)}, { observe: 800, area: 'response' });
        const v = await runVectors('node node_modules/sse-conformance/fixtures/vectors/adapters/reference-adapter.mjs', { filter: 'utf8.*' });
        console.log(JSON.stringify([process.version, r.summary.ok, v.summary.ok, v.summary.run]));`], { cwd: project, timeoutMs: 90_000, env }),
    ]);
    const c = json(check);
    expect([check.code, c.summary.ok], check.stderr.slice(-2000)).toEqual([0, true]);
    const k = json(client);
    expect([client.code, k.summary.ok, k.summary.counts.ERROR], client.stderr.slice(-2000)).toEqual([0, true, 0]);
    expect(k.summary.run).toBeGreaterThan(10);
    expect(embedded.code, embedded.stderr.slice(-2000)).toBe(0);
    const [v, serverOk, vectorsOk, vectorsRun] = JSON.parse(embedded.stdout.trim().split('\n').at(-1)!) as [string, boolean, boolean, number];
    expect([v.startsWith(`v${major}.`), serverOk, vectorsOk]).toEqual([true, true, true]);
    expect(vectorsRun).toBeGreaterThan(3);
  }, 100_000);
});
