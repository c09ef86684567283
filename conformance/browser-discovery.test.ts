// Browser discovery per platform, against an injected machine (no file on this one is read).
import { describe, expect, it } from 'vitest';
import { candidates, discoverBrowser, installCommand, puppeteerCacheDir, systemKind, type DiscoveryEnv } from './browser-discovery.ts';

const OS_RELEASE = {
  debian: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
  ubuntu: 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n',
  fedora: 'NAME="Fedora Linux"\nID=fedora\n',
  arch: 'NAME="Arch Linux"\nID=arch\n',
  mint: 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n',
  manjaro: 'ID=manjaro\nID_LIKE=arch\n',
};

/** A fake machine: `files` are the executables that exist; directories are derived from them. */
function machine(o: { platform?: NodeJS.Platform; files?: string[]; env?: Record<string, string>; home?: string; osRelease?: string }): DiscoveryEnv {
  const files = new Set(o.files ?? []);
  return {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...o.env },
    platform: o.platform ?? 'linux',
    home: o.home ?? '/home/u',
    osRelease: o.osRelease,
    isExecutable: (p) => files.has(p),
    listDir: (dir) => [...new Set([...files].filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split('/')[0]!))],
  };
}

function found(d: ReturnType<typeof discoverBrowser>): string {
  if (!d.found) throw new Error(`expected a browser, got: ${d.message}`);
  return d.path;
}

describe('chromium discovery', () => {
  it('CHROMIUM_PATH wins over everything else', () => {
    const d = discoverBrowser('chromium', machine({ files: ['/usr/bin/chromium', '/opt/my/chrome'], env: { CHROMIUM_PATH: '/opt/my/chrome' } }));
    expect(d).toMatchObject({ found: true, path: '/opt/my/chrome', source: 'env' });
  });

  it('a CHROMIUM_PATH that does not exist is reported, never silently replaced', () => {
    const d = discoverBrowser('chromium', machine({ files: ['/usr/bin/chromium'], env: { CHROMIUM_PATH: '/nope/chrome' }, osRelease: OS_RELEASE.debian }));
    expect(d.found).toBe(false);
    if (!d.found) expect(d.message).toMatch(/^chromium not found at \/nope\/chrome \(from CHROMIUM_PATH\); install it: apt-get install -y chromium .*set CHROMIUM_PATH/);
  });

  it('Debian: chromium on PATH; without PATH the absolute /usr/lib/chromium/chromium', () => {
    expect(found(discoverBrowser('chromium', machine({ files: ['/usr/bin/chromium'], osRelease: OS_RELEASE.debian })))).toBe('/usr/bin/chromium');
    const d = discoverBrowser('chromium', machine({ files: ['/usr/lib/chromium/chromium'], env: { PATH: '' } }));
    expect(d).toMatchObject({ found: true, path: '/usr/lib/chromium/chromium', source: 'system' });
  });

  it('Ubuntu: the snap at /snap/bin/chromium, or chromium-browser on PATH', () => {
    expect(found(discoverBrowser('chromium', machine({ files: ['/snap/bin/chromium'] })))).toBe('/snap/bin/chromium');
    const d = discoverBrowser('chromium', machine({ files: ['/usr/bin/chromium-browser'], env: { PATH: '/usr/bin' } }));
    expect(d).toMatchObject({ found: true, path: '/usr/bin/chromium-browser', source: 'PATH' });
  });

  it('Fedora: /usr/lib64/chromium-browser; Google Chrome as google-chrome-stable', () => {
    expect(found(discoverBrowser('chromium', machine({ files: ['/usr/lib64/chromium-browser/chromium-browser'], env: { PATH: '' } })))).toBe('/usr/lib64/chromium-browser/chromium-browser');
    expect(found(discoverBrowser('chromium', machine({ files: ['/usr/local/bin/google-chrome-stable'] })))).toBe('/usr/local/bin/google-chrome-stable');
  });

  it('PATH order decides among names of the same rank; chromium is preferred over google-chrome', () => {
    const d = discoverBrowser('chromium', machine({ files: ['/usr/bin/google-chrome', '/usr/local/bin/chromium'] }));
    expect(d).toMatchObject({ found: true, path: '/usr/local/bin/chromium', others: [{ path: '/usr/bin/google-chrome', source: 'PATH' }] });
  });

  it('Chrome for Testing in the puppeteer cache, newest build first; PUPPETEER_CACHE_DIR moves the cache', () => {
    const cft = (root: string, v: string) => `${root}/chrome/linux-${v}/chrome-linux64/chrome`;
    const home = '/home/u/.cache/puppeteer';
    const d = discoverBrowser('chromium', machine({ files: [cft(home, '99.0.1.2'), cft(home, '131.0.6778.85'), cft(home, '131.0.700.1')] }));
    expect(d).toMatchObject({ found: true, path: cft(home, '131.0.6778.85'), source: 'puppeteer cache' });
    const moved = machine({ files: [cft('/ci/cache', '120.0.1.1'), cft(home, '131.0.6778.85')], env: { PUPPETEER_CACHE_DIR: '/ci/cache' } });
    expect(puppeteerCacheDir(moved)).toBe('/ci/cache');
    expect(found(discoverBrowser('chromium', moved))).toBe(cft('/ci/cache', '120.0.1.1'));
  });

  it('macOS: the app bundles in /Applications and ~/Applications, then Chrome for Testing', () => {
    const mac = (files: string[]) => discoverBrowser('chromium', machine({ platform: 'darwin', home: '/Users/u', files, env: { PATH: '/usr/bin:/bin' } }));
    expect(found(mac(['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome']))).toBe('/Applications/Chromium.app/Contents/MacOS/Chromium');
    expect(found(mac(['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome']))).toBe('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(found(mac(['/Users/u/Applications/Chromium.app/Contents/MacOS/Chromium']))).toBe('/Users/u/Applications/Chromium.app/Contents/MacOS/Chromium');
    const cft = '/Users/u/.cache/puppeteer/chrome/mac_arm-131.0.6778.85/chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing';
    expect(found(mac([cft]))).toBe(cft);
    // Linux paths are not looked at on macOS.
    expect(mac(['/usr/lib/chromium/chromium']).found).toBe(false);
  });

  it('the candidate list has each path once, in the documented order', () => {
    const list = candidates('chromium', machine({ env: { PATH: '/usr/bin:/usr/bin' } })).map((c) => c.path);
    expect(new Set(list).size).toBe(list.length);
    expect(list.slice(0, 4)).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']);
    expect(list).toContain('/snap/bin/chromium');
    expect(list.indexOf('/usr/lib/chromium/chromium')).toBeGreaterThan(list.indexOf('/usr/bin/google-chrome-stable'));
  });
});

describe('firefox discovery', () => {
  it('FIREFOX_PATH first, then firefox-esr before firefox', () => {
    expect(found(discoverBrowser('firefox', machine({ files: ['/usr/bin/firefox', '/x/ff'], env: { FIREFOX_PATH: '/x/ff' } })))).toBe('/x/ff');
    expect(found(discoverBrowser('firefox', machine({ files: ['/usr/bin/firefox', '/usr/bin/firefox-esr'] })))).toBe('/usr/bin/firefox-esr');
    expect(found(discoverBrowser('firefox', machine({ files: ['/usr/lib/firefox/firefox'], env: { PATH: '' } })))).toBe('/usr/lib/firefox/firefox');
  });

  it('macOS Firefox.app; puppeteer-installed Firefox on Linux', () => {
    expect(found(discoverBrowser('firefox', machine({ platform: 'darwin', files: ['/Applications/Firefox.app/Contents/MacOS/firefox'], env: { PATH: '' } }))))
      .toBe('/Applications/Firefox.app/Contents/MacOS/firefox');
    const ff = '/home/u/.cache/puppeteer/firefox/linux-stable_133.0/firefox/firefox';
    expect(found(discoverBrowser('firefox', machine({ files: [ff] })))).toBe(ff);
  });
});

describe('a missing browser names the install command for the system and the env var', () => {
  const missing = (name: 'chromium' | 'firefox', o: Parameters<typeof machine>[0]) => {
    const d = discoverBrowser(name, machine(o));
    if (d.found) throw new Error('expected nothing to be found');
    return d;
  };

  it.each([
    ['debian', 'chromium', 'apt-get install -y chromium'],
    ['debian', 'firefox', 'apt-get install -y firefox-esr'],
    ['ubuntu', 'chromium', 'sse-conformance browsers install chromium'],
    ['fedora', 'chromium', 'dnf install chromium'],
    ['arch', 'firefox', 'pacman -S firefox'],
    ['mint', 'chromium', 'sse-conformance browsers install chromium'],
    ['manjaro', 'chromium', 'pacman -S chromium'],
  ] as const)('%s, %s: %s', (system, name, command) => {
    const d = missing(name, { osRelease: OS_RELEASE[system] });
    expect(d.installCommand).toBe(command);
    expect(d.message).toContain(`install it: ${command}`);
    expect(d.message).toContain(name === 'chromium' ? 'set CHROMIUM_PATH' : 'set FIREFOX_PATH');
    expect(d.message).toContain('/home/u/.cache/puppeteer');
  });

  it('macOS: brew casks; unknown systems: our own installer', () => {
    expect(missing('chromium', { platform: 'darwin' }).installCommand).toBe('brew install --cask chromium');
    expect(missing('firefox', { platform: 'darwin' }).installCommand).toBe('brew install --cask firefox');
    expect(missing('chromium', { osRelease: 'ID=gentoo\n' }).installCommand).toBe('sse-conformance browsers install chromium');
    expect(missing('chromium', {}).installCommand).toBe('sse-conformance browsers install chromium');
  });

  it('systemKind reads ID and ID_LIKE, quoted or not', () => {
    expect(systemKind({ platform: 'linux', osRelease: 'ID="fedora"\n' })).toBe('fedora');
    expect(systemKind({ platform: 'linux', osRelease: 'ID=rocky\nID_LIKE="rhel centos fedora"\n' })).toBe('fedora');
    expect(systemKind({ platform: 'linux', osRelease: undefined })).toBe('other');
    expect(installCommand('firefox', 'ubuntu')).toBe('sse-conformance browsers install firefox');
  });
});
