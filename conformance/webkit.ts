/**
 * WebKit (WebKitGTK) for the browser checks, beside the puppeteer-driven Chromium and Firefox:
 * WebKitWebDriver, which launches MiniBrowser (WebKit's test shell on the same WebCore
 * `EventSource` code Safari runs; the network stack is libsoup, not Safari's CFNetwork), driven
 * through W3C WebDriver classic over HTTP. Recipe: shared/reference/webkit.md.
 *
 * The WebDriver client is Node's global `fetch`: the harness needs seven endpoints (status, new
 * session, url, execute/sync, execute/async, cookie, delete session), every request with a timeout. An npm
 * client would not earn its place: `webdriver@10` needs Node 22, and none adds what we need here.
 *
 * Processes: MiniBrowser has no headless mode, so every host starts its own Xvfb
 * (`-displayfd`: it picks a free display, parallel runs never collide; `-noreset`: see
 * `WebKitHost.start`) and one WebKitWebDriver per
 * concurrent session (a driver takes one session at a time). Each is spawned detached, leading
 * its own process group that MiniBrowser and the WebKit helper processes inherit; the groups are
 * recorded in a process-wide registry and killed by group on close, on process exit (also after
 * an uncaught exception) and on SIGINT/SIGTERM. Sessions are deleted before their driver is
 * stopped, because a driver killed first leaves MiniBrowser behind (webkit.md, "Shut down").
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// ---- the process-group registry -----------------------------------------------------------------

const groups = new Set<number>();
/** Private temp dirs of live hosts: removed with the processes, also on a signal or a crash. */
const dirs = new Set<string>();
let hooked = false;

function removeDirs(): void {
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a process still dying may hold it; nothing more can be done on the way out
    }
  }
  dirs.clear();
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function onSignal(signal: NodeJS.Signals): void {
  for (const g of groups) killGroup(g, 'SIGKILL');
  groups.clear();
  removeDirs();
  // Our handler must not swallow the signal: when nobody else handles it, die of it as usual.
  process.removeListener('SIGINT', onSigint);
  process.removeListener('SIGTERM', onSigterm);
  hooked = false;
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
const onSigint = () => onSignal('SIGINT');
const onSigterm = () => onSignal('SIGTERM');
const onExit = () => {
  for (const g of groups) killGroup(g, 'SIGKILL');
  removeDirs();
};

function register(pgid: number): void {
  groups.add(pgid);
  if (!hooked) {
    hooked = true;
    process.on('exit', onExit);
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  }
}

function unregister(pgid: number): void {
  groups.delete(pgid);
  if (groups.size === 0 && hooked) {
    hooked = false;
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
  }
}

/** Process groups (driver, display) still running that this process started: for tests. */
export function liveWebKitGroups(): number[] {
  return [...groups].filter(groupAlive);
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the group is gone (or after the kill). */
async function stopGroup(pgid: number, graceMs = 2000): Promise<void> {
  killGroup(pgid, 'SIGTERM');
  const until = performance.now() + graceMs;
  while (groupAlive(pgid) && performance.now() < until) await sleep(20);
  if (groupAlive(pgid)) {
    killGroup(pgid, 'SIGKILL');
    const hard = performance.now() + 1000;
    while (groupAlive(pgid) && performance.now() < hard) await sleep(20);
  }
  unregister(pgid);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- the WebDriver client -----------------------------------------------------------------------

export class WebDriverError extends Error {
  override name = 'WebDriverError';
  constructor(readonly error: string, message: string) {
    super(message);
  }
}

/** One WebDriver request with a time limit; the reply's `value`, or a WebDriverError. */
export async function webdriver(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const e = error as Error;
    if (e.name === 'TimeoutError') throw new WebDriverError('timeout', `WebDriver ${method} ${path} got no answer within ${timeoutMs} ms`);
    throw new WebDriverError('unreachable', `WebDriver ${method} ${path}: ${e.message}`);
  }
  const text = await res.text();
  let json: { value?: unknown };
  try {
    json = JSON.parse(text) as { value?: unknown };
  } catch {
    throw new WebDriverError('bad reply', `WebDriver ${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const value = json.value as { error?: unknown; message?: unknown } | null | undefined;
  if (!res.ok || (value && typeof value === 'object' && typeof value.error === 'string')) {
    const err = value && typeof value === 'object' && typeof value.error === 'string' ? value.error : `HTTP ${res.status}`;
    const msg = value && typeof value === 'object' && typeof value.message === 'string' ? value.message : '';
    throw new WebDriverError(err, `WebDriver ${method} ${path}: ${err}${msg ? `: ${msg}` : ''}`);
  }
  return json.value;
}

// ---- processes ----------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Where the programs are (found by conformance/browser-discovery.ts). */
export interface WebKitPrograms {
  /** WebKitWebDriver. */
  readonly driver: string;
  /** Xvfb. */
  readonly xvfb: string;
}

export interface WebKitSessionOptions {
  /** `host:port` of an HTTP proxy for every request of the session (W3C `proxy` capability, manual). */
  readonly httpProxy?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/** A WebDriver session: one MiniBrowser window. */
export class WebKitSession {
  private closed = false;
  constructor(
    readonly id: string,
    private readonly driver: Driver,
    /** `browserVersion` of the session (e.g. `2.50.6`). */
    readonly browserVersion: string,
    readonly proxied: boolean,
  ) {}

  private call(method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, timeoutMs: number): Promise<unknown> {
    return webdriver(this.driver.base, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  /** Navigates and waits for `load`; our limit (default 20 s) ends the wait before the driver's own pageLoad limit (30 s). */
  async navigate(url: string, timeoutMs = 20_000): Promise<void> {
    await this.call('POST', '/url', { url }, timeoutMs);
  }

  execute(script: string, args: readonly unknown[] = [], timeoutMs = 10_000): Promise<unknown> {
    return this.call('POST', '/execute/sync', { script, args }, timeoutMs);
  }

  /** execute/async: the script's last argument is the callback; WebDriver's script timeout is 30 s. */
  executeAsync(script: string, args: readonly unknown[] = [], timeoutMs = 10_000): Promise<unknown> {
    return this.call('POST', '/execute/async', { script, args }, timeoutMs);
  }

  /** Adds a cookie for the current document's site (WebDriver only sets cookies for the page it shows). */
  async addCookie(cookie: { name: string; value: string; path?: string; secure?: boolean; sameSite?: 'None' | 'Lax' | 'Strict' }, timeoutMs = 10_000): Promise<void> {
    await this.call('POST', '/cookie', { cookie: { path: '/', ...cookie } }, timeoutMs);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Deletes the session (MiniBrowser exits) and hands the driver back. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.endSession(this);
  }
}

/** One WebKitWebDriver process (its own process group) taking one session at a time. */
class Driver {
  session: WebKitSession | undefined;
  /** Taken by an openSession call that is still waiting for its session (set synchronously: no two calls share a driver). */
  reserved = false;
  private constructor(readonly base: string, private readonly child: ChildProcess, readonly stderr: () => string) {}

  static async start(programs: WebKitPrograms, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Driver> {
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawn(programs.driver, [`--port=${port}`, '--host=127.0.0.1'], { detached: true, env, stdio: ['ignore', 'ignore', 'pipe'] });
      if (child.pid === undefined) {
        await new Promise((resolve) => child.once('error', resolve));
        throw new Error(`cannot start ${programs.driver}`);
      }
      register(child.pid);
      let err = '';
      child.stderr?.on('data', (d: Buffer) => { if (err.length < 4000) err += d.toString(); });
      const driver = new Driver(`http://127.0.0.1:${port}`, child, () => err);
      const until = performance.now() + timeoutMs;
      while (performance.now() < until && child.exitCode === null && child.signalCode === null) {
        try {
          const status = await webdriver(driver.base, 'GET', '/status', undefined, 1000) as { ready?: boolean };
          if (status.ready) return driver;
        } catch {
          // not listening yet
        }
        await sleep(25);
      }
      lastError = child.exitCode !== null ? `exited with ${child.exitCode}: ${err.trim().slice(0, 300)}` : `not ready within ${timeoutMs} ms`;
      await driver.stop();
    }
    throw new Error(`WebKitWebDriver ${lastError}`);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async newSession(options: WebKitSessionOptions): Promise<WebKitSession> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const capabilities = {
      alwaysMatch: {
        pageLoadStrategy: 'normal',
        timeouts: { script: 30_000, pageLoad: 30_000, implicit: 0 },
        ...(options.httpProxy ? { proxy: { proxyType: 'manual', httpProxy: options.httpProxy } } : {}),
      },
    };
    // Without a display this request never returns (webkit.md): the limit turns that into an
    // error, and MiniBrowser's own message ends the wait as soon as it is printed.
    const request = webdriver(this.base, 'POST', '/session', { capabilities }, timeoutMs) as Promise<{ sessionId?: string; capabilities?: { browserVersion?: string } }>;
    const watch = this.watchStderr(/cannot open display[^\n]*/);
    let reply: Awaited<typeof request>;
    try {
      reply = await Promise.race([request, watch.seen.then((line) => { throw new Error(`MiniBrowser printed "${line.trim()}"; the driver would never answer POST /session`); })]);
    } finally {
      watch.stop();
      request.catch(() => undefined);
    }
    if (!reply.sessionId) throw new Error('WebKitWebDriver created no session');
    this.session = new WebKitSession(reply.sessionId, this, reply.capabilities?.browserVersion ?? '', Boolean(options.httpProxy));
    return this.session;
  }

  /** Resolves with the first match of `pattern` in what the driver (and MiniBrowser) print from now on. */
  private watchStderr(pattern: RegExp): { seen: Promise<string>; stop: () => void } {
    let text = '';
    let listener: (d: Buffer) => void = () => undefined;
    const seen = new Promise<string>((resolve) => {
      listener = (d: Buffer) => {
        if (text.length < 16_000) text += d.toString();
        const m = pattern.exec(text);
        if (m) resolve(m[0]);
      };
      this.child.stderr?.on('data', listener);
    });
    return { seen, stop: () => this.child.stderr?.off('data', listener) };
  }

  async endSession(session: WebKitSession): Promise<void> {
    if (this.session !== session) return;
    await webdriver(this.base, 'DELETE', `/session/${session.id}`, undefined, 10_000).catch(() => undefined);
    this.session = undefined;
  }

  /** Deletes the session first (else MiniBrowser outlives the driver), then ends the group. */
  async stop(): Promise<void> {
    if (this.session) await this.session.close();
    if (this.child.pid !== undefined) await stopGroup(this.child.pid);
  }
}

// ---- the host -----------------------------------------------------------------------------------

/** How the host starts Xvfb (why -noreset: `WebKitHost.start`). */
const XVFB_ARGS: readonly string[] = ['-displayfd', '3', '-noreset', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'];

/**
 * A private display and a pool of drivers. `openSession` hands out a session on an idle driver
 * (starting one when none is idle); `close` deletes every session and stops every process.
 */
export class WebKitHost {
  private readonly drivers: Driver[] = [];
  private closing = false;

  private constructor(
    private readonly programs: WebKitPrograms,
    private readonly display: ChildProcess,
    readonly displayName: string,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts Xvfb on a free display; throws naming the step when it cannot. */
  static async start(programs: WebKitPrograms, timeoutMs = 15_000): Promise<WebKitHost> {
    const dir = mkdtempSync(join(tmpdir(), 'ssec-webkit-'));
    dirs.add(dir);
    // fd 3: Xvfb writes the display number it chose there (-displayfd).
    // -noreset: by default an X server resets when its last client leaves, and a client that
    // connects during the reset is dropped. Sessions come and go (the version probe closes just
    // before the first case opens), so a MiniBrowser started then said "cannot open display" and
    // its driver never answered (seen in CI; measured: about 4 % of connections made right after
    // the previous client left were reset, none with -noreset).
    const display = spawn(programs.xvfb, XVFB_ARGS, { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    if (display.pid === undefined) {
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
      throw new Error(`cannot start ${programs.xvfb}`);
    }
    register(display.pid);
    let err = '';
    display.stderr?.on('data', (d: Buffer) => { if (err.length < 4000) err += d.toString(); });
    try {
      const number = await new Promise<string>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`Xvfb chose no display within ${timeoutMs} ms`)), timeoutMs);
        display.stdio[3]?.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('\n')) { clearTimeout(timer); resolve(text.trim()); }
        });
        display.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}) before choosing a display: ${err.trim().slice(0, 300)}`)); });
      });
      // Private XDG dirs: MiniBrowser writes caches and dconf state there (webkit.md, pitfalls).
      const env: NodeJS.ProcessEnv = {
        ...process.env, DISPLAY: `:${number}`, GDK_BACKEND: 'x11',
        XDG_CACHE_HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, XDG_RUNTIME_DIR: dir,
      };
      delete env['WAYLAND_DISPLAY'];
      return new WebKitHost(programs, display, `:${number}`, dir, env);
    } catch (error) {
      await stopGroup(display.pid);
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
      throw error;
    }
  }

  /** Process groups this host leads (the display's and each driver's): for tests. */
  get processGroups(): number[] {
    return [this.display.pid, ...this.drivers.map((d) => d.pid)].filter((p): p is number => p !== undefined);
  }

  /** The display server's pid: for tests (a display that died makes `POST /session` hang). */
  get displayPid(): number | undefined {
    return this.display.pid;
  }

  /** The private directory (XDG dirs) removed on close: for tests. */
  get tempDir(): string {
    return this.dir;
  }

  /** A new session (a fresh MiniBrowser: no cookies, cache or connections from other sessions). */
  async openSession(options: WebKitSessionOptions = {}): Promise<WebKitSession> {
    if (this.closing) throw new Error('the WebKit host is closing');
    let driver = this.drivers.find((d) => !d.session && !d.reserved && d.alive);
    if (driver) driver.reserved = true;
    else {
      driver = await Driver.start(this.programs, this.env, 10_000);
      driver.reserved = true;
      this.drivers.push(driver);
      if (this.closing) {
        await driver.stop();
        throw new Error('the WebKit host is closing');
      }
    }
    const d = driver;
    try {
      const session = await d.newSession(options);
      d.reserved = false;
      return session;
    } catch (error) {
      d.reserved = false;
      // A driver whose session request failed or hung is not trusted again.
      this.drivers.splice(this.drivers.indexOf(d), 1);
      await d.stop();
      throw new Error(`starting a WebKit session failed: ${(error as Error).message}${d.stderr().trim() ? `; driver said: ${d.stderr().trim().slice(0, 300)}` : ''}`);
    }
  }

  /** Deletes every session, stops every driver, then the display; removes the temp dir. Never rejects. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.drivers.splice(0).map((d) => d.stop().catch(() => undefined)));
    if (this.display.pid !== undefined) await stopGroup(this.display.pid);
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    dirs.delete(this.dir);
  }
}

/** `WebKitGTK 2.50.6 (WebCore EventSource; network stack libsoup, not Safari's CFNetwork)`: how results name the engine. */
export const WEBKIT_ENGINE_NOTE = "WebCore EventSource; network stack libsoup, not Safari's CFNetwork";

// ---- page reports -------------------------------------------------------------------------------

/**
 * A script for the top of a harness page: defines `window[binding]` (what puppeteer's exposed
 * binding is in Chromium and Firefox) as a queue that {@link startReportPump} drains. Served in
 * the same document before the page's own script, so the page code is the same for all engines.
 */
export function reportQueueScript(binding: string): string {
  return `<script>
(() => {
  const queue = [];
  let wake = null;
  window.${binding} = (text) => { queue.push(String(text)); if (wake) { const w = wake; wake = null; w(); } };
  window.__ssecTake = (done, waitMs) => {
    if (queue.length) return done(queue.splice(0));
    const timer = setTimeout(() => { wake = null; done([]); }, waitMs);
    wake = () => { clearTimeout(timer); done(queue.splice(0)); };
  };
})();
</script>
`;
}

const TAKE_SCRIPT = 'const done = arguments[arguments.length - 1]; if (typeof window.__ssecTake !== "function") { done(null); return; } window.__ssecTake(done, arguments[0]);';

export interface ReportPump {
  /** Stops after the pending long poll (at most {@link PUMP_WAIT_MS} plus a round trip), delivering what it brought. */
  stop(): Promise<void>;
}

/** How long one long poll waits in the page for a report. */
export const PUMP_WAIT_MS = 200;

/**
 * Delivers the page's reports as they happen: a loop of `execute/async` long polls, each
 * answered as soon as the page queues a report (a round trip is about 2 ms), or empty after
 * {@link PUMP_WAIT_MS}. A page without the queue (not loaded yet, or navigated away) answers null.
 */
export function startReportPump(session: WebKitSession, deliver: (texts: string[]) => void): ReportPump {
  let stopped = false;
  const loop = (async () => {
    while (!stopped && !session.isClosed) {
      try {
        const got = await session.executeAsync(TAKE_SCRIPT, [PUMP_WAIT_MS], PUMP_WAIT_MS + 10_000);
        if (Array.isArray(got)) {
          if (got.length) deliver(got.map(String));
        } else {
          await sleep(20);
        }
      } catch {
        if (stopped || session.isClosed) break;
        await sleep(50);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * The WebKitGTK version from the package manager, without starting anything (`WebKitWebDriver`
 * has no --version and MiniBrowser's needs a display): `2.50.6` from Debian's
 * `libwebkit2gtk-4.1-0 2.50.6-1~deb12u2`; undefined when dpkg-query is missing or knows no such package.
 */
export function webkitPackageVersion(timeoutMs = 5000): Promise<{ version: string; package: string } | undefined> {
  return new Promise((resolve) => {
    execFile('dpkg-query', ['-W', '-f=${Package} ${Version}\\n', 'libwebkit2gtk-4.1-0', 'libwebkit2gtk-4.0-37'], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (_error, stdout) => {
      for (const line of String(stdout).split('\n')) {
        const [pkg, full] = line.trim().split(' ');
        const version = /^(?:\d+:)?(\d+\.\d+\.\d+)/.exec(full ?? '')?.[1];
        if (pkg && full && version) return resolve({ version, package: `${pkg} ${full}` });
      }
      resolve(undefined);
    });
  });
}
