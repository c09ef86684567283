/**
 * Finding a browser executable at run time. The package is installed on machines we never see, so
 * nothing here assumes Debian: CHROMIUM_PATH / FIREFOX_PATH first, then the names and paths the
 * common systems (Debian, Ubuntu, Fedora, Arch, macOS) install to, then puppeteer's own download
 * cache. Everything the search reads comes in through {@link DiscoveryEnv}, so unit tests cover
 * every platform's list without touching the machine they run on.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import type { BrowserName } from './browsers.ts';

/** Everything discovery reads from the machine. */
export interface DiscoveryEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly home: string;
  /** True when `path` is an executable file. */
  readonly isExecutable: (path: string) => boolean;
  /** Entry names of a directory; [] when it cannot be read. */
  readonly listDir: (path: string) => string[];
  /** Contents of /etc/os-release (Linux), when readable: picks the install hint. */
  readonly osRelease?: string | undefined;
}

/** The machine this process runs on. */
export function systemDiscoveryEnv(): DiscoveryEnv {
  let osRelease: string | undefined;
  try {
    osRelease = readFileSync('/etc/os-release', 'utf8');
  } catch {
    osRelease = undefined;
  }
  return {
    env: process.env,
    platform: process.platform,
    home: homedir(),
    isExecutable: (path) => {
      try {
        if (!statSync(path).isFile()) return false;
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    listDir: (path) => {
      try {
        return readdirSync(path);
      } catch {
        return [];
      }
    },
    osRelease,
  };
}

export const ENV_VAR: Record<BrowserName, 'CHROMIUM_PATH' | 'FIREFOX_PATH' | 'WEBKIT_WEBDRIVER_PATH'> = { chromium: 'CHROMIUM_PATH', firefox: 'FIREFOX_PATH', webkit: 'WEBKIT_WEBDRIVER_PATH' };

/** Where a candidate comes from, shown by `sse-conformance browsers`. */
export type CandidateSource = 'env' | 'PATH' | 'system' | 'app bundle' | 'puppeteer cache';

export interface Candidate {
  readonly path: string;
  readonly source: CandidateSource;
}

const PATH_NAMES: Record<BrowserName, readonly string[]> = {
  chromium: ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'],
  firefox: ['firefox-esr', 'firefox'],
  // WebKit is WebKitGTK's WebDriver, which launches MiniBrowser itself (conformance/webkit.ts).
  webkit: ['WebKitWebDriver'],
};

// Absolute paths for when PATH is minimal (cron, CI, sudo): Debian keeps the real binary in
// /usr/lib/chromium, Fedora in /usr/lib64/chromium-browser, Ubuntu's is a snap.
const LINUX_PATHS: Record<BrowserName, readonly string[]> = {
  chromium: [
    '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/usr/lib64/chromium-browser/chromium-browser',
    '/usr/lib/chromium-browser/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome',
  ],
  firefox: ['/usr/bin/firefox-esr', '/usr/bin/firefox', '/usr/lib/firefox-esr/firefox-esr', '/usr/lib/firefox/firefox', '/usr/lib64/firefox/firefox', '/snap/bin/firefox', '/opt/firefox/firefox'],
  webkit: ['/usr/bin/WebKitWebDriver', '/usr/libexec/webkit2gtk-4.1/WebKitWebDriver', '/usr/libexec/webkit2gtk-4.0/WebKitWebDriver'],
};

const MAC_BUNDLES: Record<BrowserName, readonly string[]> = {
  chromium: ['Chromium.app/Contents/MacOS/Chromium', 'Google Chrome.app/Contents/MacOS/Google Chrome'],
  firefox: ['Firefox.app/Contents/MacOS/firefox'],
  // Safari's safaridriver is another WebDriver with another network stack: not what the harness drives.
  webkit: [],
};

/** puppeteer's cache folder: PUPPETEER_CACHE_DIR, else ~/.cache/puppeteer (its default on every platform). */
export function puppeteerCacheDir(d: DiscoveryEnv): string {
  const path = d.platform === 'win32' ? win32 : posix;
  return d.env['PUPPETEER_CACHE_DIR'] || path.join(d.home, '.cache', 'puppeteer');
}

/** `linux-131.0.6778.85` → [131, 0, 6778, 85]; newest first when sorted with {@link compareVersions}. */
function versionParts(folder: string): number[] {
  return (folder.match(/\d+/g) ?? []).map(Number);
}

function compareVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Browsers installed by `@puppeteer/browsers` (npx puppeteer browsers install, or our `browsers
 * install`): <cache>/chrome/<platform>-<build>/chrome-<platform>/chrome, newest build first.
 */
function cacheCandidates(name: BrowserName, d: DiscoveryEnv): string[] {
  if (name === 'webkit') return []; // puppeteer has no WebKitGTK
  const path = d.platform === 'win32' ? win32 : posix;
  const root = path.join(puppeteerCacheDir(d), name === 'chromium' ? 'chrome' : 'firefox');
  const platformPrefix = d.platform === 'darwin' ? 'mac' : d.platform === 'win32' ? 'win' : 'linux';
  const builds = d.listDir(root).filter((f) => f.startsWith(platformPrefix)).sort(compareVersions);
  return builds.flatMap((build) => {
    const dir = path.join(root, build);
    if (name === 'firefox') {
      if (d.platform === 'darwin') return [path.join(dir, 'Firefox.app/Contents/MacOS/firefox'), path.join(dir, 'Firefox Nightly.app/Contents/MacOS/firefox')];
      return [path.join(dir, 'firefox', d.platform === 'win32' ? 'firefox.exe' : 'firefox')];
    }
    if (d.platform === 'darwin') {
      const arch = build.startsWith('mac_arm') ? 'mac-arm64' : 'mac-x64';
      return [path.join(dir, `chrome-${arch}`, 'Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing')];
    }
    if (d.platform === 'win32') return [path.join(dir, 'chrome-win64', 'chrome.exe'), path.join(dir, 'chrome-win32', 'chrome.exe')];
    return [path.join(dir, 'chrome-linux64', 'chrome')];
  });
}

/** Every place looked at, in order (the env var is not included: it is never a fallback). */
export function candidates(name: BrowserName, d: DiscoveryEnv): Candidate[] {
  const path = d.platform === 'win32' ? win32 : posix;
  const out: Candidate[] = [];
  const dirs = (d.env['PATH'] ?? '').split(d.platform === 'win32' ? ';' : ':').filter(Boolean);
  const suffix = d.platform === 'win32' ? '.exe' : '';
  for (const exe of PATH_NAMES[name]) for (const dir of dirs) out.push({ path: path.join(dir, exe + suffix), source: 'PATH' });
  if (d.platform === 'darwin') {
    for (const apps of ['/Applications', path.join(d.home, 'Applications')]) {
      for (const bundle of MAC_BUNDLES[name]) out.push({ path: path.join(apps, bundle), source: 'app bundle' });
    }
  } else if (d.platform !== 'win32') {
    for (const p of LINUX_PATHS[name]) out.push({ path: p, source: 'system' });
  }
  for (const p of cacheCandidates(name, d)) out.push({ path: p, source: 'puppeteer cache' });
  // One entry per path, first occurrence wins (PATH often contains /usr/bin too).
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.path) ? false : (seen.add(c.path), true)));
}

export type Discovery =
  | { readonly found: true; readonly path: string; readonly source: CandidateSource; /** Further executables that would also do. */ readonly others: readonly Candidate[] }
  | { readonly found: false; /** One line saying what is missing, how to install it and which env var to set. */ readonly message: string; readonly installCommand: string };

/** Which system's install instructions apply. */
export type SystemKind = 'debian' | 'ubuntu' | 'fedora' | 'arch' | 'macos' | 'other';

export function systemKind(d: Pick<DiscoveryEnv, 'platform' | 'osRelease'>): SystemKind {
  if (d.platform === 'darwin') return 'macos';
  if (d.platform !== 'linux' || !d.osRelease) return 'other';
  const field = (key: string) => (new RegExp(`^${key}=["']?([^"'\\n]*)`, 'm').exec(d.osRelease ?? '')?.[1] ?? '').toLowerCase();
  const ids = [field('ID'), ...field('ID_LIKE').split(/\s+/)];
  // Ubuntu before Debian: Ubuntu's ID_LIKE says debian, but its browsers are snaps.
  for (const kind of ['ubuntu', 'debian', 'fedora', 'arch'] as const) if (ids.includes(kind)) return kind;
  if (ids.some((id) => ['rhel', 'centos'].includes(id))) return 'fedora';
  return 'other';
}

/** The install command for a browser on a system, as a user would type it. */
export function installCommand(name: BrowserName, kind: SystemKind): string {
  if (name === 'webkit') {
    // WebKitGTK's WebDriver plus a display server (MiniBrowser has no headless mode).
    switch (kind) {
      case 'debian': case 'ubuntu': return 'apt-get install -y --no-install-recommends webkit2gtk-driver xvfb';
      case 'fedora': return 'dnf install webkit2gtk4.1 xorg-x11-server-Xvfb';
      case 'arch': return 'pacman -S webkit2gtk-4.1 xorg-server-xvfb';
      default: return 'install WebKitGTK (its WebKitWebDriver) and Xvfb; WebKitGTK runs on Linux only';
    }
  }
  switch (kind) {
    case 'debian': return `apt-get install -y ${name === 'chromium' ? 'chromium' : 'firefox-esr'}`;
    case 'fedora': return `dnf install ${name}`;
    case 'arch': return `pacman -S ${name}`;
    case 'macos': return `brew install --cask ${name}`;
    // Ubuntu's apt packages are snap shims: puppeteer's download works everywhere snaps do not.
    default: return `sse-conformance browsers install ${name}`;
  }
}

function notFoundMessage(name: BrowserName, d: DiscoveryEnv, where: string): { message: string; installCommand: string } {
  const kind = systemKind(d);
  const command = installCommand(name, kind);
  const how = kind === 'debian' ? `${command} (as root), or sse-conformance browsers install ${name}`
    : name === 'webkit' ? command
    : kind === 'ubuntu' ? `${command} (Ubuntu's chromium-browser and firefox are snaps, which puppeteer cannot always drive)`
    : command;
  return { message: `${name} not found ${where}; install it: ${how}; or set ${ENV_VAR[name]} to ${name === 'webkit' ? 'WebKitGTK\'s WebKitWebDriver' : 'the browser\'s executable'}`, installCommand: command };
}

/** Finds the browser executable: the env var when set (never silently replaced), else the first candidate that exists. */
export function discoverBrowser(name: BrowserName, d: DiscoveryEnv = systemDiscoveryEnv()): Discovery {
  const fromEnv = d.env[ENV_VAR[name]];
  if (fromEnv) {
    if (d.isExecutable(fromEnv)) return { found: true, path: fromEnv, source: 'env', others: [] };
    return { found: false, ...notFoundMessage(name, d, `at ${fromEnv} (from ${ENV_VAR[name]})`) };
  }
  const existing = candidates(name, d).filter((c) => d.isExecutable(c.path));
  const first = existing[0];
  if (first) return { found: true, path: first.path, source: first.source, others: existing.slice(1) };
  const names = PATH_NAMES[name].join(', ');
  return { found: false, ...notFoundMessage(name, d, `(looked for ${names} on PATH, the usual install paths and puppeteer's cache ${puppeteerCacheDir(d)})`) };
}

/** Xvfb, the display WebKit's MiniBrowser runs on: XVFB_PATH, else Xvfb on PATH or in /usr/bin. */
export function discoverXvfb(d: DiscoveryEnv = systemDiscoveryEnv()): { found: true; path: string } | { found: false; message: string } {
  const fromEnv = d.env['XVFB_PATH'];
  if (fromEnv) return d.isExecutable(fromEnv) ? { found: true, path: fromEnv } : { found: false, message: `Xvfb not found at ${fromEnv} (from XVFB_PATH)` };
  const dirs = (d.env['PATH'] ?? '').split(':').filter(Boolean);
  for (const p of [...dirs.map((dir) => posix.join(dir, 'Xvfb')), '/usr/bin/Xvfb']) if (d.isExecutable(p)) return { found: true, path: p };
  const kind = systemKind(d);
  return { found: false, message: `Xvfb not found (WebKit's MiniBrowser has no headless mode and needs a display); install it: ${installCommand('webkit', kind)}; or set XVFB_PATH` };
}
