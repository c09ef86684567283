/**
 * Launching real browsers for EventSource observation, shared by `check --browser` and the client
 * runs. Recipe from shared/reference/browsers.md: puppeteer-core with a Chromium (CDP) and a
 * Firefox (WebDriver BiDi) found at run time (conformance/browser-discovery.ts); WebKit is
 * WebKitGTK's WebKitWebDriver + MiniBrowser under a private Xvfb (conformance/webkit.ts,
 * shared/reference/webkit.md). Nothing is downloaded unless `sse-conformance browsers install`
 * is asked to.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Browser } from 'puppeteer-core';
import { discoverBrowser, discoverXvfb } from './browser-discovery.ts';
import { WebKitHost, webkitPackageVersion } from './webkit.ts';

export type BrowserName = 'chromium' | 'firefox' | 'webkit';
/** The browsers puppeteer-core drives. */
export type PuppeteerBrowserName = Exclude<BrowserName, 'webkit'>;
export const BROWSER_NAMES: readonly BrowserName[] = ['chromium', 'firefox', 'webkit'];

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

interface LaunchedBase {
  /** e.g. `Chromium 156.0.8078.79` / `Firefox 153.7.0esr` / `WebKitGTK 2.50.6`. */
  readonly version: string;
  /** The executable that ran (recorded in results beside the version; WebKit: WebKitWebDriver). */
  readonly executablePath: string;
  close(): Promise<void>;
}

/** Chromium or Firefox, through puppeteer-core. */
export interface PuppeteerLaunchedBrowser extends LaunchedBase {
  readonly name: PuppeteerBrowserName;
  readonly browser: Browser;
}

/** WebKitGTK: a private display and WebKitWebDriver processes; every session is a fresh MiniBrowser (conformance/webkit.ts). */
export interface WebKitLaunchedBrowser extends LaunchedBase {
  readonly name: 'webkit';
  readonly host: WebKitHost;
  /** `browserVersion` of the WebDriver session (the page's user agent is frozen and says nothing). */
  readonly engineVersion: string;
}

export type LaunchedBrowser = PuppeteerLaunchedBrowser | WebKitLaunchedBrowser;

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
export function launchBrowser(name: 'webkit', timeoutMs?: number, options?: LaunchOptions): Promise<WebKitLaunchedBrowser>;
export function launchBrowser(name: PuppeteerBrowserName, timeoutMs?: number, options?: LaunchOptions): Promise<PuppeteerLaunchedBrowser>;
export function launchBrowser(name: BrowserName, timeoutMs?: number, options?: LaunchOptions): Promise<LaunchedBrowser>;
export async function launchBrowser(name: BrowserName, timeoutMs = 30_000, options: LaunchOptions = launchDefaults.getStore() ?? {}): Promise<LaunchedBrowser> {
  const spki = options.tls?.spkiSha256 ?? [];
  const found = discoverBrowser(name);
  if (!found.found) throw new BrowserUnavailableError(found.message);
  const executablePath = found.path;
  if (name === 'webkit') return launchWebKit(executablePath, timeoutMs);
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

/**
 * WebKit: a private Xvfb, then one session to learn the engine version from WebDriver
 * (`browserVersion`); its driver stays for the next session. No TLS trust option: WebKit cases
 * run over plain HTTP only (a page at an HTTPS origin needs interception WebDriver lacks).
 */
async function launchWebKit(driver: string, timeoutMs: number): Promise<WebKitLaunchedBrowser> {
  const xvfb = discoverXvfb();
  if (!xvfb.found) throw new BrowserUnavailableError(xvfb.message);
  const host = await WebKitHost.start({ driver, xvfb: xvfb.path }, Math.min(timeoutMs, 15_000));
  try {
    const probe = await host.openSession({ timeoutMs });
    // The session's browserVersion; the package when a driver leaves it out (the page's user agent is frozen: never that).
    const engineVersion = probe.browserVersion || (await webkitPackageVersion())?.version || '';
    await probe.close();
    return { name: 'webkit', version: `WebKitGTK ${engineVersion || '(version unknown)'}`, engineVersion, executablePath: driver, host, close: () => host.close() };
  } catch (error) {
    await host.close();
    throw error;
  }
}
