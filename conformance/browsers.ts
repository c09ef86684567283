/**
 * Launching real browsers for EventSource observation, shared by `check --browser` and the client
 * runs. Recipe from shared/reference/browsers.md: puppeteer-core with a Chromium (CDP) and a
 * Firefox (WebDriver BiDi) found at run time (conformance/browser-discovery.ts); nothing is
 * downloaded unless `sse-conformance browsers install` is asked to.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Browser } from 'puppeteer-core';
import { discoverBrowser } from './browser-discovery.ts';

export type BrowserName = 'chromium' | 'firefox';
export const BROWSER_NAMES: readonly BrowserName[] = ['chromium', 'firefox'];

export class BrowserUnavailableError extends Error {
  readonly code = 'SSEC_ERR_BROWSER_UNAVAILABLE';
  override name = 'BrowserUnavailableError';
}

/** The executable that would run (found at run time: conformance/browser-discovery.ts), or undefined when none is installed. */
export function browserExecutable(name: BrowserName): string | undefined {
  const found = discoverBrowser(name);
  return found.found ? found.path : undefined;
}

/** Whether the browser's executable is installed (so callers can report UNSUPPORTED/ERROR cleanly). */
export function browserAvailable(name: BrowserName): boolean {
  return browserExecutable(name) !== undefined;
}

export interface LaunchedBrowser {
  readonly name: BrowserName;
  /** e.g. `Chromium 156.0.8078.79` / `Firefox 153.7.0esr`. */
  readonly version: string;
  /** The executable that ran (recorded in results beside the version). */
  readonly executablePath: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/** Certificates a launch accepts beyond the browser's own trust store (an HTTPS target on a private CA). */
export interface BrowserTlsTrust {
  /**
   * Base64 SHA-256 of public keys (SPKI) to accept: Chromium gets them as
   * --ignore-certificate-errors-spki-list; Firefox has no such switch and then accepts any
   * certificate for the launch (acceptInsecureCerts).
   */
  readonly spkiSha256?: readonly string[] | undefined;
}

export interface LaunchOptions {
  readonly tls?: BrowserTlsTrust | undefined;
}

const launchDefaults = new AsyncLocalStorage<LaunchOptions>();

/** Runs `fn` so that launchBrowser calls inside it without options use `defaults` (check scopes a run's TLS trust this way). */
export function withLaunchDefaults<T>(defaults: LaunchOptions, fn: () => T): T {
  return launchDefaults.run(defaults, fn);
}

/** Launches a headless browser; throws BrowserUnavailableError naming the install step when missing. */
export async function launchBrowser(name: BrowserName, timeoutMs = 30_000, options: LaunchOptions = launchDefaults.getStore() ?? {}): Promise<LaunchedBrowser> {
  const spki = options.tls?.spkiSha256 ?? [];
  const found = discoverBrowser(name);
  if (!found.found) throw new BrowserUnavailableError(found.message);
  const executablePath = found.path;
  const { default: puppeteer } = await import('puppeteer-core');
  const browser =
    name === 'chromium'
      ? await puppeteer.launch({
          executablePath,
          headless: true,
          timeout: timeoutMs,
          args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
            '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
            // Trust is per launch, and a launch is per run: only this run's target key is accepted.
            ...(spki.length ? [`--ignore-certificate-errors-spki-list=${spki.join(',')}`] : [])],
        })
      : await puppeteer.launch({
          browser: 'firefox', executablePath, headless: true, timeout: timeoutMs, ...(spki.length ? { acceptInsecureCerts: true } : {}),
          // Lets a context's proxy see loopback targets too (check --browser routes through a relay).
          extraPrefsFirefox: { 'network.proxy.allow_hijacking_localhost': true },
        });
  const raw = await browser.version();
  const version = name === 'chromium' ? raw.replace(/^(Headless)?Chrome\//, 'Chromium ') : raw.replace(/^firefox\//i, 'Firefox ');
  return {
    name,
    version,
    executablePath,
    browser,
    async close() {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
    },
  };
}
