// `sse-conformance browsers`: the listing against this machine (Debian with /usr/bin/chromium),
// version probing with a time limit, and `install` planning; installs only ever run as --dry-run.
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../cli.ts';
import { systemDiscoveryEnv } from '../../conformance/browser-discovery.ts';
import { browserVersion, installPlan, listBrowsers, shellLine, type BrowserListing, type InstallFacts } from './browsers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssec-browsers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    return { code: await main(argv), out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Runs `fn` without CHROMIUM_PATH / FIREFOX_PATH, so discovery looks at the machine itself. */
async function withoutBrowserEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { CHROMIUM_PATH: process.env['CHROMIUM_PATH'], FIREFOX_PATH: process.env['FIREFOX_PATH'] };
  delete process.env['CHROMIUM_PATH'];
  delete process.env['FIREFOX_PATH'];
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}

afterEach(() => vi.restoreAllMocks());

describe('browsers (listing, on this machine)', () => {
  it('--json finds Debian\'s /usr/bin/chromium with its version and how it is driven', async () => {
    const r = await withoutBrowserEnv(() => capture(['browsers', '--json']));
    expect(r.code).toBe(0);
    const { browsers } = JSON.parse(r.out) as { browsers: BrowserListing[] };
    expect(browsers.map((b) => b.name)).toEqual(['chromium', 'firefox', 'webkit']);
    // WebKit is installed on this machine (.ci/run and scripts/setup-browsers.sh install it): its version comes from the package.
    expect(browsers[2]).toMatchObject({ found: true, path: '/usr/bin/WebKitWebDriver', envVar: 'WEBKIT_WEBDRIVER_PATH', drivenBy: expect.stringContaining('WebKitWebDriver') });
    expect(browsers[2]!.version).toMatch(/^WebKitGTK \d+\.\d+\.\d+ \(libwebkit2gtk-4\.1-0 \d/);
    const chromium = browsers[0]!;
    expect(chromium).toMatchObject({ found: true, drivenBy: 'puppeteer-core over CDP', envVar: 'CHROMIUM_PATH' });
    expect(realpathSync(chromium.path!)).toBe(realpathSync('/usr/bin/chromium'));
    expect(chromium.version).toMatch(/^Chromium \d+\.\d+\.\d+\.\d+/);
    const firefox = browsers[1]!;
    expect(firefox.drivenBy).toBe('puppeteer-core over WebDriver BiDi');
    // Firefox is optional here: either found with a version, or missing with the install step and env var.
    if (firefox.found) expect(firefox.version).toMatch(/firefox/i);
    else expect(firefox.message).toMatch(/firefox not found .*install it: apt-get install -y firefox-esr.*set FIREFOX_PATH/);
  }, 20_000);

  it('the text listing names version, path and driver; a missing browser its install command', async () => {
    const r = await withoutBrowserEnv(async () => {
      process.env['FIREFOX_PATH'] = join(dir, 'no-such-firefox');
      try {
        return await capture(['browsers']);
      } finally {
        delete process.env['FIREFOX_PATH'];
      }
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^chromium {2}Chromium \d+/);
    expect(r.out).toContain('driven by: puppeteer-core over CDP');
    expect(r.out).toMatch(/path: +\S*chromium/);
    expect(r.out).toContain(`firefox not found at ${join(dir, 'no-such-firefox')} (from FIREFOX_PATH); install it: apt-get install -y firefox-esr`);
  }, 20_000);

  it('an env var pointing at an executable is used as given, and its --version reported', async () => {
    const fake = script('fake-chromium', 'echo "FakeChromium 1.2.3"');
    const list = await listBrowsers({ ...systemDiscoveryEnv(), env: { CHROMIUM_PATH: fake, PATH: '' } });
    expect(list[0]).toMatchObject({ name: 'chromium', found: true, path: fake, source: 'env', version: 'FakeChromium 1.2.3', alternatives: [] });
  });

  it('bad arguments are usage errors (exit 64)', async () => {
    expect((await capture(['browsers', '--yaml'])).code).toBe(64);
    expect((await capture(['browsers', 'list'])).code).toBe(64);
    const unknown = await capture(['browsers', 'install', 'safari']);
    expect(unknown.code).toBe(64);
    expect(unknown.err).toContain('unknown browser "safari" (chromium, firefox, webkit)');
    expect((await capture(['browsers', 'install'])).err).toContain('browsers install needs a browser: chromium, firefox or webkit');
    expect((await capture(['browsers', 'install', 'chromium', 'firefox'])).code).toBe(64);
    expect((await capture(['browsers', 'install', 'chromium', '--yes'])).code).toBe(64);
  });
});

describe('browserVersion', () => {
  it('gives up on a browser that does not answer, within the limit', async () => {
    const hang = script('hang', 'exec sleep 5');
    const started = Date.now();
    const v = await browserVersion(hang, 200);
    expect(v.version).toBeUndefined();
    expect(v.error).toBe('no answer to --version within 200 ms');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('reports a failing or silent executable as an error, not a version', async () => {
    expect((await browserVersion(script('fails', 'echo oops >&2; exit 3'))).error).toMatch(/Command failed/);
    expect((await browserVersion(script('silent', 'exit 0'))).error).toBe('--version printed nothing');
    expect((await browserVersion(join(dir, 'missing'))).error).toMatch(/ENOENT/);
  });
});

describe('browsers install', () => {
  it('--dry-run on this Debian machine prints the apt-get command and runs nothing', async () => {
    const r = await capture(['browsers', 'install', 'chromium', '--dry-run']);
    expect(r.code).toBe(0);
    const root = process.getuid?.() === 0;
    const sudo = root ? '' : 'sudo -n ';
    // As root, or with passwordless sudo, apt-get; otherwise the download is what would run.
    if (root || r.out.includes('sudo -n')) {
      expect(r.out).toContain(`would run: DEBIAN_FRONTEND=noninteractive ${sudo}apt-get -o DPkg::Lock::Timeout=300 update\n`);
      expect(r.out).toContain(`would run: DEBIAN_FRONTEND=noninteractive ${sudo}apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends chromium\n`);
    } else {
      expect(r.out).toContain('would run: download Chrome for Testing');
    }
  });

  it('--dry-run --download prints the puppeteer download instead', async () => {
    const r = await capture(['browsers', 'install', 'firefox', '--dry-run', '--download']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/would run: download Firefox \(stable channel, build resolved with @puppeteer\/browsers resolveBuildId\) for linux into \S+puppeteer/);
    expect(r.out).not.toContain('apt-get');
  });

  const facts = (o: Partial<InstallFacts>): InstallFacts => ({ system: 'debian', hasAptGet: true, isRoot: true, sudoWithoutPassword: false, cacheDir: '/c', ...o });

  it('plans apt-get on Debian as root or with sudo -n; the download everywhere else', () => {
    expect(installPlan('firefox', facts({}))).toMatchObject({ kind: 'apt', commands: [['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update'], [expect.anything(), expect.anything(), expect.anything(), 'install', '-y', '--no-install-recommends', 'firefox-esr']] });
    const sudo = installPlan('chromium', facts({ isRoot: false, sudoWithoutPassword: true }));
    expect(sudo.kind === 'apt' && sudo.commands.map(shellLine)).toEqual([
      'sudo -n apt-get -o DPkg::Lock::Timeout=300 update', 'sudo -n apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends chromium',
    ]);
    expect(installPlan('chromium', facts({ isRoot: false }))).toMatchObject({ kind: 'download', browser: 'chrome', cacheDir: '/c', note: expect.stringContaining('as root you could run: apt-get install -y chromium') });
    expect(installPlan('chromium', facts({ system: 'ubuntu' }))).toMatchObject({ kind: 'download', note: expect.stringContaining('snaps') });
    for (const system of ['fedora', 'arch', 'macos', 'other'] as const) expect(installPlan('firefox', facts({ system })).kind).toBe('download');
    expect(installPlan('chromium', facts({ hasAptGet: false })).kind).toBe('download');
    expect(installPlan('chromium', facts({}), true)).toMatchObject({ kind: 'download', browser: 'chrome' });
  });

  it('plans WebKit as apt-get webkit2gtk-driver xvfb on Debian and Ubuntu, else the command to run by hand (puppeteer has no WebKitGTK)', () => {
    const root = installPlan('webkit', facts({}));
    expect(root.kind === 'apt' && root.commands.map(shellLine)).toEqual([
      'apt-get -o DPkg::Lock::Timeout=300 update', 'apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends webkit2gtk-driver xvfb',
    ]);
    expect(installPlan('webkit', facts({ system: 'ubuntu' })).kind).toBe('apt');
    expect(installPlan('webkit', facts({}), true).kind).toBe('apt');
    expect(installPlan('webkit', facts({ isRoot: false }))).toEqual({ kind: 'manual', command: 'apt-get install -y --no-install-recommends webkit2gtk-driver xvfb', note: expect.stringContaining('sudo -n') });
    expect(installPlan('webkit', facts({ system: 'fedora' }))).toMatchObject({ kind: 'manual', command: 'dnf install webkit2gtk4.1 xorg-x11-server-Xvfb' });
    expect(installPlan('webkit', facts({ system: 'macos', hasAptGet: false }))).toMatchObject({ kind: 'manual', command: expect.stringContaining('Linux only') });
  });

  it('shellLine quotes what a shell would split', () => {
    expect(shellLine(['apt-get', 'install', 'a b', "it's"])).toBe(`apt-get install 'a b' 'it'\\''s'`);
  });
});
