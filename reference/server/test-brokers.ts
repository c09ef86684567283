/**
 * Private Redis and RabbitMQ instances for tests and benchmarks (the Debian packages
 * `redis-server` and `rabbitmq-server`): one temp dir each, loopback only, random ports, spawned
 * in the foreground so this process owns the PID, ready when the protocol answers, stopped by PID.
 * A missing package is an error naming the install step: tests that need a broker fail, never skip.
 * Not part of the shipped API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_BIN = '/usr/bin/redis-server';
const RABBIT_BIN = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const INSTALL_HINT = 'install the Debian packages: apt-get install -y --no-install-recommends redis-server rabbitmq-server (.ci/run does this)';

/** A port that is free now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or interrupted test run leaves no broker behind.
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Sends `probe` to the port and resolves true when `accept` likes the first reply bytes. */
function ask(port: number, probe: Buffer | string, accept: (reply: Buffer) => boolean, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let got = Buffer.alloc(0);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => sock.write(probe));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (accept(got)) done(true);
      else if (got.length > 64) done(false);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

async function waitReady(child: ChildProcess, check: () => Promise<boolean>, timeoutMs: number, what: string, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited before it was ready (${child.exitCode ?? child.signalCode}):\n${logTail(log)}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${logTail(log)}`);
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface RedisInstance {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** SIGKILL (like a crash); the data dir stays for a restart. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Starts again on the same port and dir (AOF reloads the streams when `persistent`). */
  restart(): Promise<void>;
  /** Stops it and removes the dir. */
  dispose(): Promise<void>;
}

/** Starts a private redis-server on a random loopback port; `persistent` turns AOF on (everysec). */
export async function startRedis(options: { persistent?: boolean } = {}): Promise<RedisInstance> {
  if (!existsSync(REDIS_BIN)) throw new Error(`redis-server not found at ${REDIS_BIN}: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'sse-redis-'));
  const log = join(dir, 'redis.log');
  let port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const fd = openSync(log, 'a');
      const c = spawn(REDIS_BIN, [
        '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '',
        '--appendonly', options.persistent ? 'yes' : 'no', '--appendfsync', 'everysec',
        '--daemonize', 'no', '--logfile', '', '--protected-mode', 'yes',
      ], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      track(c);
      try {
        await waitReady(c, () => ask(port, 'PING\r\n', (r) => r.toString().startsWith('+PONG')), 10_000, `redis-server on port ${port}`, log);
        child = c;
        return;
      } catch (error) {
        // Someone took the port between the pick and the bind: pick again (not on a restart).
        if (attempt < 3 && child === undefined && /Address already in use/.test(logTail(log))) {
          port = await freePort();
          continue;
        }
        throw error;
      }
    }
  };
  await launch();
  return {
    get url() { return `redis://127.0.0.1:${port}`; },
    get port() { return port; },
    dir,
    get pid() { return child?.pid; },
    async kill() {
      if (!child) return;
      const c = child;
      const gone = new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
      c.kill('SIGKILL');
      await gone;
    },
    async stop() {
      if (child) await stopChild(child, 5000);
    },
    async restart() {
      if (child && child.exitCode === null && child.signalCode === null) await stopChild(child, 5000);
      await launch();
    },
    async dispose() {
      if (child) await stopChild(child, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RabbitInstance {
  readonly url: string;
  readonly port: number;
  dispose(): Promise<void>;
}

/** Starts a private RabbitMQ node (own epmd, loopback only, state in a temp dir); ~2 s on this machine kind. */
export async function startRabbit(): Promise<RabbitInstance> {
  if (!existsSync(RABBIT_BIN)) throw new Error(`rabbitmq-server not found at ${RABBIT_BIN}: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'sse-rabbit-'));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${port}\nlog.console = true\nlog.console.level = warning\nlog.file = false\n`);
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const epmdLog = join(dir, 'epmd.log');
  const efd = openSync(epmdLog, 'a');
  const epmd = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { stdio: ['ignore', efd, efd] });
  closeSync(efd);
  track(epmd);
  await waitReady(epmd, () => probePort(epmdPort), 10_000, 'epmd', epmdLog);
  const log = join(dir, 'rabbit.log');
  const fd = openSync(log, 'a');
  const node = spawn(RABBIT_BIN, [], {
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      HOME: dir,
      ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_NODENAME: `sse-test-${port}@localhost`,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1', RABBITMQ_NODE_PORT: String(port), RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'), RABBITMQ_LOG_BASE: join(dir, 'log'), RABBITMQ_LOGS: '-',
      RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    },
  });
  closeSync(fd);
  track(node);
  const header = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');
  try {
    await waitReady(node, () => ask(port, header, (r) => r.length >= 11 && r[0] === 1 && r.readUInt16BE(7) === 10 && r.readUInt16BE(9) === 10), 60_000, 'rabbitmq-server', log);
  } catch (error) {
    epmd.kill('SIGKILL');
    throw error;
  }
  const beamPid = (): number | undefined => {
    try {
      const n = Number(readFileSync(join(dir, 'rabbit.pid'), 'utf8').trim());
      return Number.isSafeInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    async dispose() {
      // SIGTERM to beam.smp (its pid file); the wrapper script then exits by itself.
      const pid = beamPid();
      if (pid !== undefined) {
        try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      }
      await stopChild(node, 10_000);
      if (pid !== undefined) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone, as expected */ }
      }
      await stopChild(epmd, 2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function probePort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const t = setTimeout(() => { s.destroy(); resolve(false); }, 300);
    s.on('connect', () => { clearTimeout(t); s.destroy(); resolve(true); });
    s.on('error', () => { clearTimeout(t); resolve(false); });
  });
}

/** Whether the broker packages are installed (for messages; tests still fail without them). */
export function brokersInstalled(): { redis: boolean; rabbit: boolean } {
  return { redis: existsSync(REDIS_BIN), rabbit: existsSync(RABBIT_BIN) && spawnSync('sh', ['-c', 'command -v epmd']).status === 0 };
}

export interface ServeInstance {
  readonly url: string;
  readonly port: number;
  /** PID of the running server process. */
  readonly pid: number | undefined;
  /** SIGKILL (a crash): open streams are cut without their terminating chunk. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/** Runs `sse-conformance serve` as a child process (from the sources, through tsx) with these arguments. */
export async function startServe(args: readonly string[], port?: number): Promise<ServeInstance> {
  const root = new URL('../..', import.meta.url).pathname;
  const fixedPort = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', "import { main } from './scripts/cli.ts'; process.exitCode = await main(process.argv.slice(1));",
      'serve', '--port', String(fixedPort), '--quiet', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    track(c);
    let err = '';
    c.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => { c.kill('SIGKILL'); reject(new Error(`serve did not print its URL within 30 s: ${err}`)); }, 30_000);
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^https?:\/\/\S+\n/.test(out)) { clearTimeout(timer); resolve(); }
      });
      c.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before listening: ${err}`)); });
    });
    child = c;
  };
  await launch();
  return {
    url: `http://127.0.0.1:${fixedPort}`,
    port: fixedPort,
    get pid() { return child?.pid; },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await gone;
    },
    async restart() {
      if (child && child.exitCode === null && child.signalCode === null) await stopChild(child, 5000);
      await launch();
    },
    async stop() {
      if (child) await stopChild(child, 5000);
    },
  };
}
