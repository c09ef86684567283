import { execFile, spawn, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BROWSER_NAMES, type BrowserName } from '../../conformance/browsers.ts';
import {
  discoverBrowser, discoverXvfb, ENV_VAR, installCommand, puppeteerCacheDir, systemDiscoveryEnv, systemKind, type DiscoveryEnv, type SystemKind,
} from '../../conformance/browser-discovery.ts';
import { UsageError, type Command } from '../cli.ts';
import { webkitPackageVersion } from '../../conformance/webkit.ts';

export const usage = `Usage: sse-conformance browsers [--json]
       sse-conformance browsers install <chromium|firefox|webkit> [--dry-run] [--download]

Lists the browsers the browser checks (check --browser, client --browser) would run: name,
version (from <executable> --version; WebKit: the WebKitGTK package), path, and how it is driven
(Chromium over CDP and Firefox over WebDriver BiDi by puppeteer-core; WebKit: WebKitGTK's
WebKitWebDriver, W3C WebDriver classic, launching MiniBrowser under a private Xvfb). A missing
browser is listed with the install command for this system.

Discovery order: CHROMIUM_PATH / FIREFOX_PATH when set (used as given, never replaced); then
chromium, chromium-browser, google-chrome, google-chrome-stable (Firefox: firefox-esr, firefox)
on PATH; then the usual install paths (/usr/bin, /usr/lib/chromium, /usr/lib64/chromium-browser,
/snap/bin, /opt/google/chrome; macOS: the app bundles in /Applications and ~/Applications);
then browsers downloaded by puppeteer (PUPPETEER_CACHE_DIR, default ~/.cache/puppeteer),
newest first. WebKit: WEBKIT_WEBDRIVER_PATH, else WebKitWebDriver on PATH or in /usr/bin,
/usr/libexec/webkit2gtk-4.1; plus Xvfb (XVFB_PATH, else on PATH).

Options:
  --json          machine-readable listing on stdout

install <chromium|firefox|webkit>
  Installs a browser on request. WebKit: apt-get install webkit2gtk-driver xvfb on Debian and
  Ubuntu (root or "sudo -n"); elsewhere the command for the system is printed (no download). On Debian with apt-get, as root or through "sudo -n": the
  Debian package (chromium, firefox-esr). Elsewhere (Ubuntu, whose packages are snaps, Fedora,
  Arch, macOS, or without root): puppeteer's own download (@puppeteer/browsers: Chrome for
  Testing or Firefox, stable channel) into the puppeteer cache, where discovery finds it.
  The exact command or download is printed before it runs.
  --dry-run       print what would run, run nothing
  --download      use puppeteer's download even where apt-get would do

Exit codes: 0 ok, 1 install failed, 64 usage error.`;

const DRIVEN_BY: Record<BrowserName, string> = {
  chromium: 'puppeteer-core over CDP',
  firefox: 'puppeteer-core over WebDriver BiDi',
  webkit: 'WebKitWebDriver (W3C WebDriver classic) launching MiniBrowser under a private Xvfb',
};

export interface BrowserListing {
  readonly name: BrowserName;
  readonly found: boolean;
  readonly path?: string | undefined;
  /** Where it was found: env, PATH, system, app bundle, puppeteer cache. */
  readonly source?: string | undefined;
  /** First line of `<exe> --version`, or undefined when that failed (see versionError). */
  readonly version?: string | undefined;
  readonly versionError?: string | undefined;
  readonly drivenBy: string;
  /** Further executables that would also do (not used while the first exists). */
  readonly alternatives?: readonly string[] | undefined;
  /** Why it was not found and how to install it. */
  readonly message?: string | undefined;
  readonly installCommand?: string | undefined;
  readonly envVar: string;
}

/** `<exe> --version` with a time limit: a browser that hangs (no display, first-run dialog) must not hang the listing. */
export function browserVersion(path: string, timeoutMs = 10_000): Promise<{ version?: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true }, (error, stdout) => {
      const line = String(stdout).split('\n').map((l) => l.trim()).find(Boolean);
      if (line) resolve({ version: line });
      else if (error) resolve({ error: error.killed ? `no answer to --version within ${timeoutMs} ms` : error.message.split('\n')[0]! });
      else resolve({ error: '--version printed nothing' });
    });
  });
}

async function webkitListingVersion(): Promise<{ version?: string; error?: string }> {
  const xvfb = discoverXvfb();
  const pkg = await webkitPackageVersion();
  const note = xvfb.found ? '' : `; ${xvfb.message}`;
  return pkg ? { version: `WebKitGTK ${pkg.version} (${pkg.package}; WebCore EventSource, network stack libsoup)${note}` } : { error: `no WebKitGTK package found by dpkg-query (the version is read from the WebDriver session at run time)${note}` };
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export async function listBrowsers(d: DiscoveryEnv = systemDiscoveryEnv()): Promise<BrowserListing[]> {
  return Promise.all(BROWSER_NAMES.map(async (name): Promise<BrowserListing> => {
    const found = discoverBrowser(name, d);
    if (!found.found) return { name, found: false, drivenBy: DRIVEN_BY[name], message: found.message, installCommand: found.installCommand, envVar: ENV_VAR[name] };
    // WebKitWebDriver has no --version (it prints its usage) and MiniBrowser's needs a display: ask the package.
    const v = name === 'webkit' ? await webkitListingVersion() : await browserVersion(found.path);
    // /bin is /usr/bin on merged-/usr systems: list each file once, not once per symlinked folder.
    const seen = new Set([real(found.path)]);
    const alternatives = found.others.map((o) => o.path).filter((p) => (seen.has(real(p)) ? false : (seen.add(real(p)), true)));
    return {
      name, found: true, path: found.path, source: found.source, version: v.version, versionError: v.error, drivenBy: DRIVEN_BY[name],
      alternatives, envVar: ENV_VAR[name],
    };
  }));
}

function renderListing(list: readonly BrowserListing[]): string {
  const out: string[] = [];
  for (const b of list) {
    if (!b.found) {
      out.push(`${b.name.padEnd(9)} not found`, `          ${b.message}`);
      continue;
    }
    out.push(
      `${b.name.padEnd(9)} ${b.version ?? `version unknown (${b.versionError})`}`,
      `          path:      ${b.path} (${b.source === 'env' ? b.envVar : b.source})`,
      `          driven by: ${b.drivenBy}`,
    );
    if (b.alternatives?.length) out.push(`          also found: ${b.alternatives.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

// ---- install ------------------------------------------------------------------------------------

/** What `browsers install` found out about the machine (gathered once; injected in tests). */
export interface InstallFacts {
  readonly system: SystemKind;
  readonly hasAptGet: boolean;
  readonly isRoot: boolean;
  /** `sudo -n true` succeeds: sudo works without asking for a password. */
  readonly sudoWithoutPassword: boolean;
  readonly cacheDir: string;
}

export type InstallPlan =
  | { readonly kind: 'apt'; readonly commands: readonly (readonly string[])[]; readonly note?: string | undefined }
  | { readonly kind: 'download'; readonly browser: 'chrome' | 'firefox'; readonly cacheDir: string; readonly note?: string | undefined }
  /** Nothing this command can run (WebKitGTK outside Debian/Ubuntu, or without root): the command to run by hand. */
  | { readonly kind: 'manual'; readonly command: string; readonly note?: string | undefined };

const APT_PACKAGES: Record<BrowserName, readonly string[]> = { chromium: ['chromium'], firefox: ['firefox-esr'], webkit: ['webkit2gtk-driver', 'xvfb'] };

/** How to install `name` here: apt-get on Debian with root or passwordless sudo, else puppeteer's download. */
export function installPlan(name: BrowserName, facts: InstallFacts, forceDownload = false): InstallPlan {
  if (name === 'webkit') {
    // puppeteer downloads no WebKitGTK: apt-get on Debian and Ubuntu (both ship webkit2gtk-driver), else the system's own command.
    if ((facts.system === 'debian' || facts.system === 'ubuntu') && facts.hasAptGet && (facts.isRoot || facts.sudoWithoutPassword)) {
      const sudo = facts.isRoot ? [] : ['sudo', '-n'];
      return { kind: 'apt', commands: [[...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update'], [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...APT_PACKAGES.webkit]] };
    }
    return { kind: 'manual', command: installCommand('webkit', facts.system), note: facts.hasAptGet ? 'apt-get needs root and "sudo -n" is not available' : undefined };
  }
  const download = (note?: string): InstallPlan => ({ kind: 'download', browser: name === 'chromium' ? 'chrome' : 'firefox', cacheDir: facts.cacheDir, note });
  if (forceDownload) return download();
  if (facts.system === 'debian' && facts.hasAptGet) {
    if (!facts.isRoot && !facts.sudoWithoutPassword) {
      return download(`apt-get needs root and "sudo -n" is not available; as root you could run: apt-get install -y ${APT_PACKAGES[name].join(' ')}`);
    }
    const sudo = facts.isRoot ? [] : ['sudo', '-n'];
    return {
      kind: 'apt',
      commands: [
        [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update'],
        [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...APT_PACKAGES[name]],
      ],
    };
  }
  if (facts.system === 'ubuntu') return download("Ubuntu's chromium-browser and firefox packages are snaps; puppeteer's download runs without snapd");
  return download();
}

function installFacts(d: DiscoveryEnv): InstallFacts {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasAptGet = d.platform === 'linux' && ['/usr/bin/apt-get', '/bin/apt-get'].some((p) => d.isExecutable(p));
  let sudoWithoutPassword = false;
  if (!isRoot && hasAptGet) {
    const r = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5000 });
    sudoWithoutPassword = r.status === 0;
  }
  return { system: systemKind(d), hasAptGet, isRoot, sudoWithoutPassword, cacheDir: puppeteerCacheDir(d) };
}

/** A command as a user would type it (arguments with spaces or specials quoted). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

type PuppeteerBrowsers = typeof import('@puppeteer/browsers');

/**
 * @puppeteer/browsers ships with puppeteer-core (its dependency); it is looked up from there too,
 * because a package manager that does not hoist leaves it out of our own node_modules.
 */
async function loadPuppeteerBrowsers(): Promise<PuppeteerBrowsers> {
  try {
    return await import('@puppeteer/browsers');
  } catch {
    const fromCore = createRequire(createRequire(import.meta.url).resolve('puppeteer-core'));
    const path = fromCore.resolve('@puppeteer/browsers');
    return (await import(pathToFileURL(path).href)) as PuppeteerBrowsers;
  }
}

function run(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', (error) => {
      process.stderr.write(`sse-conformance browsers: cannot run ${argv[0]}: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function install(name: BrowserName, dryRun: boolean, forceDownload: boolean): Promise<number> {
  const d = systemDiscoveryEnv();
  const plan = installPlan(name, installFacts(d), forceDownload);
  const before = discoverBrowser(name, d);
  if (before.found) process.stdout.write(`note: ${name} is already found at ${before.path}; installing anyway, as asked\n`);
  if (plan.note) process.stdout.write(`note: ${plan.note}\n`);
  const say = (line: string) => process.stdout.write(`${dryRun ? 'would run: ' : '$ '}${line}\n`);
  if (plan.kind === 'apt') {
    for (const argv of plan.commands) {
      say(`DEBIAN_FRONTEND=noninteractive ${shellLine(argv)}`);
      if (dryRun) continue;
      const code = await run(argv);
      if (code !== 0) {
        process.stderr.write(`sse-conformance browsers: ${shellLine(argv)} failed (exit ${code})\n`);
        return 1;
      }
    }
  } else if (plan.kind === 'manual') {
    process.stdout.write(`${name} cannot be installed from here; run: ${plan.command}\n`);
    return dryRun ? 0 : 1;
  } else {
    const what = plan.browser === 'chrome' ? 'Chrome for Testing' : 'Firefox';
    let pb: PuppeteerBrowsers;
    try {
      pb = await loadPuppeteerBrowsers();
    } catch (error) {
      process.stderr.write(`sse-conformance browsers: cannot load @puppeteer/browsers (it comes with puppeteer-core): ${(error as Error).message}\n`);
      return 1;
    }
    const platform = pb.detectBrowserPlatform();
    if (!platform) {
      process.stderr.write(`sse-conformance browsers: puppeteer has no ${what} download for ${process.platform}/${process.arch}; install a browser and set ${ENV_VAR[name]}\n`);
      return 1;
    }
    const browser = plan.browser === 'chrome' ? pb.Browser.CHROME : pb.Browser.FIREFOX;
    if (dryRun) {
      say(`download ${what} (stable channel, build resolved with @puppeteer/browsers resolveBuildId) for ${platform} into ${plan.cacheDir}`);
      return 0;
    }
    try {
      const buildId = await pb.resolveBuildId(browser, platform, 'stable');
      say(`download ${what} ${buildId} for ${platform} into ${plan.cacheDir} (@puppeteer/browsers install; a few hundred MB unpacked)`);
      const installed = await pb.install({ browser, buildId, cacheDir: plan.cacheDir, platform });
      process.stdout.write(`installed ${what} ${buildId}: ${installed.executablePath}\n`);
    } catch (error) {
      process.stderr.write(`sse-conformance browsers: downloading ${what} failed: ${(error as Error).message} (no network access? install a browser with the system's package manager and set ${ENV_VAR[name]})\n`);
      return 1;
    }
  }
  if (dryRun) return 0;
  const after = discoverBrowser(name);
  if (!after.found) {
    process.stderr.write(`sse-conformance browsers: installed, but ${after.message}\n`);
    return 1;
  }
  const v = await browserVersion(after.path);
  process.stdout.write(`${name}: ${after.path}${v.version ? ` (${v.version})` : ''}\n`);
  return 0;
}

function parseName(value: string | undefined): BrowserName {
  if (value === 'chromium' || value === 'firefox' || value === 'webkit') return value;
  throw new UsageError(value === undefined ? 'browsers install needs a browser: chromium, firefox or webkit' : `browsers install: unknown browser ${JSON.stringify(value)} (chromium, firefox, webkit)`);
}

export const command: Command = {
  summary: 'list the browsers found for browser checks (version, path), or install one',
  usage,
  async run(args) {
    if (args[0] === 'install') {
      let name: BrowserName | undefined;
      let dryRun = false;
      let download = false;
      for (const arg of args.slice(1)) {
        if (arg === '--dry-run') dryRun = true;
        else if (arg === '--download') download = true;
        else if (arg.startsWith('-')) throw new UsageError(`browsers install: unknown option ${arg}`);
        else if (name !== undefined) throw new UsageError(`browsers install takes one browser (got ${name} and ${arg})`);
        else name = parseName(arg);
      }
      return install(parseName(name), dryRun, download);
    }
    let json = false;
    for (const arg of args) {
      if (arg === '--json') json = true;
      else throw new UsageError(`browsers: unknown ${arg.startsWith('-') ? 'option' : 'argument'} ${arg}`);
    }
    const list = await listBrowsers();
    process.stdout.write(json ? `${JSON.stringify({ browsers: list }, null, 2)}\n` : renderListing(list));
    return 0;
  },
};
