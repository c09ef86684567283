/**
 * The shipped package, as a user gets it: built from the current sources in a staging copy (so the
 * repository's own dist/ is never rewritten under other tests), packed with `npm pack`, and
 * installed from the tarball into a fresh project folder outside the repository. Every process
 * started here has a time limit and is ended by its PID (its process group).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly timeoutMs: number;
  readonly input?: string | undefined;
}

/**
 * The environment a user's shell would give: without the npm_* variables of our own `npm test`
 * (they would point npm at this repository) and without vitest's markers (the example suite runs
 * its own vitest). Loopback targets never go through a proxy the machine may have set.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|TEST$|INIT_CWD$)/i.test(k)) continue;
    env[k] = v;
  }
  const noProxy = [env['NO_PROXY'] ?? env['no_proxy'], '127.0.0.1', 'localhost', '::1'].filter(Boolean).join(',');
  return { ...env, NO_PROXY: noProxy, no_proxy: noProxy, NO_COLOR: '1', ...extra };
}

/** Runs a command to completion (or its time limit: then its process group is killed). */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A command may exit without reading its input (e.g. a usage error): EPIPE then is not a failure.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A long-running process (e.g. `serve`): its first stdout line, and a stop that waits for its exit. */
export interface Started {
  readonly pid: number;
  readonly firstLine: string;
  output(): string;
  stop(): Promise<number | null>;
}

export function start(command: string, args: readonly string[], options: Omit<RunOptions, 'input'>): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let settled = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: ${why}\n${out}`));
    };
    const timer = setTimeout(() => fail(`no output line within ${options.timeoutMs} ms`), options.timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (settled || nl < 0) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        firstLine: out.slice(0, nl).trim(),
        output: () => out,
        async stop() {
          killGroup(child.pid, 'SIGTERM');
          const hard = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
          const code = await exited;
          clearTimeout(hard);
          return code;
        },
      });
    });
    child.on('error', (error) => fail(error.message));
    void exited.then((code) => fail(`exited with ${code} before printing a line`));
  });
}

function ok(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r;
}

export interface PackedPackage {
  readonly tarball: string;
  /** Paths in the tarball, package-relative (`package/` stripped). */
  readonly files: readonly string[];
}

/** Folders never copied into the staging tree: installed, built or generated things. */
const NOT_STAGED = new Set(['node_modules', 'dist', '.git', 'reports', '.vitest-results.json']);

/**
 * Builds the current sources and packs them, without touching the repository's dist/: the
 * sources are copied to a staging folder (with a link to the repository's node_modules for the
 * compiler), built there with the repository's build command and packed with `npm pack`.
 */
export async function packFromSources(workDir: string): Promise<PackedPackage> {
  const stage = join(workDir, 'stage');
  cpSync(REPO_ROOT, stage, { recursive: true, filter: (src) => !NOT_STAGED.has(relative(REPO_ROOT, src).split('/')[0] ?? '') });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  ok(await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: stage, timeoutMs: 120_000 }), 'build');
  const out = join(workDir, 'tarball');
  mkdirSync(out);
  // The build ran above; --ignore-scripts keeps prepack from building a second time.
  const packed = ok(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: stage, timeoutMs: 60_000 }), 'npm pack');
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package: ${packed.stdout}`);
  return { tarball: join(out, info.filename), files: info.files.map((f) => f.path) };
}

/** A fresh user project (ESM) outside the repository with the tarball and `extra` packages installed. */
export async function installProject(workDir: string, tarball: string, extra: readonly string[] = []): Promise<{ dir: string; log: string }> {
  const dir = join(workDir, 'user-project');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2)}\n`);
  const r = ok(await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=warn', tarball, ...extra], { cwd: dir, timeoutMs: 240_000 }), 'npm install');
  return { dir, log: r.stdout + r.stderr };
}

export function tempWorkDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
