/**
 * Launching real browsers for EventSource observation, shared by `check --browser` and the client
 * runs. Recipe from shared/reference/browsers.md: puppeteer-core with Debian's Chromium
 * (CDP) and firefox-esr (WebDriver BiDi); nothing is downloaded.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'puppeteer-core';

export type BrowserName = 'chromium' | 'firefox';
export const BROWSER_NAMES: readonly BrowserName[] = ['chromium', 'firefox'];

export class BrowserUnavailableError extends Error {
  readonly code = 'SSEC_ERR_BROWSER_UNAVAILABLE';
  override name = 'BrowserUnavailableError';
}

export function browserExecutable(name: BrowserName): string {
  return name === 'chromium'
    ? (process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium')
    : (process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr');
}

/** Whether the browser's executable is installed (so callers can report UNSUPPORTED/ERROR cleanly). */
export function browserAvailable(name: BrowserName): boolean {
  return existsSync(browserExecutable(name));
}

export interface LaunchedBrowser {
  readonly name: BrowserName;
  /** e.g. `Chromium 156.0.8078.79` / `Firefox 153.7.0esr`. */
  readonly version: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/** Launches a headless browser; throws BrowserUnavailableError naming the install step when missing. */
export async function launchBrowser(name: BrowserName, timeoutMs = 30_000): Promise<LaunchedBrowser> {
  const executablePath = browserExecutable(name);
  if (!existsSync(executablePath)) {
    const pkg = name === 'chromium' ? 'chromium' : 'firefox-esr';
    throw new BrowserUnavailableError(
      `${name} not found at ${executablePath}; install it (as root: apt-get install -y ${pkg}, or run scripts/setup-browsers.sh${name === 'firefox' ? ' with SSEC_INSTALL_FIREFOX=1' : ''}) or set ${name === 'chromium' ? 'CHROMIUM_PATH' : 'FIREFOX_PATH'}`,
    );
  }
  const { default: puppeteer } = await import('puppeteer-core');
  const browser =
    name === 'chromium'
      ? await puppeteer.launch({
          executablePath,
          headless: true,
          timeout: timeoutMs,
          args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
            '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
        })
      : await puppeteer.launch({
          browser: 'firefox', executablePath, headless: true, timeout: timeoutMs,
          // Lets a context's proxy see loopback targets too (check --browser routes through a relay).
          extraPrefsFirefox: { 'network.proxy.allow_hijacking_localhost': true },
        });
  const raw = await browser.version();
  const version = name === 'chromium' ? raw.replace(/^(Headless)?Chrome\//, 'Chromium ') : raw.replace(/^firefox\//i, 'Firefox ');
  return {
    name,
    version,
    browser,
    async close() {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
    },
  };
}
