/**
 * The deployment lab: a private nginx (the Debian package `nginx-light` or `nginx`) in front of an
 * upstream, started in the foreground on a random loopback port with a generated configuration in
 * a temporary prefix (its own pid, logs and temp paths), stopped by PID. Never the system service.
 * A missing nginx is an error naming the install step: tests that need it fail, never skip.
 * Not part of the shipped API (tests and documentation only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from '../../reference/server/test-brokers.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX_INSTALL_HINT = 'install Debian nginx: apt-get install -y --no-install-recommends nginx-light (.ci/run does this)';

/** The nginx binary: `$NGINX_BIN`, else /usr/sbin/nginx, else undefined. */
export function nginxBinary(): string | undefined {
  const fromEnv = process.env['NGINX_BIN'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) if (existsSync(p)) return p;
  return undefined;
}


function canConnect(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export interface NginxSite {
  /** Directives inside `location / { … }` after `proxy_pass` (one per line, each ending in `;`). */
  readonly location: readonly string[];
  /** Directives at `server { … }` level (e.g. gzip). */
  readonly server?: readonly string[] | undefined;
  /** Upstream origin, e.g. `http://127.0.0.1:4000`. */
  readonly upstream: string;
  /** `listen` parameters after the address:port (e.g. `http2`, `ssl http2`). */
  readonly listen?: string | undefined;
  /** Certificate and key (PEM text) for `listen … ssl`. */
  readonly tls?: { readonly cert: string; readonly key: string } | undefined;
}

export interface RunningNginx {
  /** `http://127.0.0.1:PORT` (or https). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The generated configuration (for reports and failures). */
  readonly config: string;
  /** The tail of nginx's error log. */
  errorLog(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;

/** The whole configuration file for one site in `prefix`. */
export function nginxConfig(prefix: string, port: number, site: NginxSite): string {
  const listen = `listen 127.0.0.1:${port}${site.listen ? ` ${site.listen}` : ''};`;
  const tls = site.tls ? [`ssl_certificate ${join(prefix, 'cert.pem')};`, `ssl_certificate_key ${join(prefix, 'key.pem')};`] : [];
  return [
    'daemon off;',
    // One process as the current user: no privilege drop, so the temp prefix (0700) stays usable.
    'master_process off;',
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} info;`,
    'events { worker_connections 512; }',
    'http {',
    `  access_log ${join(prefix, 'access.log')};`,
    `  client_body_temp_path ${join(prefix, 'client_body')};`,
    `  proxy_temp_path ${join(prefix, 'proxy')};`,
    `  fastcgi_temp_path ${join(prefix, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(prefix, 'uwsgi')};`,
    `  scgi_temp_path ${join(prefix, 'scgi')};`,
    '  server {',
    `    ${listen}`,
    ...tls.map((l) => `    ${l}`),
    ...(site.server ?? []).map((l) => `    ${l}`),
    '    location / {',
    `      proxy_pass ${site.upstream};`,
    ...site.location.map((l) => `      ${l}`),
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Starts nginx for one site on a random loopback port; resolves once it accepts connections.
 * Retries with another port when the chosen one was taken meanwhile. Throws (naming the install
 * step) when nginx is not installed.
 */
export async function startNginx(site: NginxSite, timeoutMs = 10_000): Promise<RunningNginx> {
  const bin = nginxBinary();
  if (!bin) throw new Error(`nginx not found: ${NGINX_INSTALL_HINT}`);
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    const prefix = mkdtempSync(join(tmpdir(), 'ssec-nginx-'));
    const port = await freePort();
    const config = nginxConfig(prefix, port, site);
    const confFile = join(prefix, 'nginx.conf');
    writeFileSync(confFile, config);
    if (site.tls) {
      writeFileSync(join(prefix, 'cert.pem'), site.tls.cert);
      writeFileSync(join(prefix, 'key.pem'), site.tls.key, { mode: 0o600 });
    }
    const child = spawn(bin, ['-p', prefix, '-c', confFile, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    live.add(child);
    child.once('exit', () => live.delete(child));
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
    }
    const errorLog = () => {
      let text = stderr;
      try {
        text += readFileSync(join(prefix, 'error.log'), 'utf8');
      } catch {
        // not written yet
      }
      return text.split('\n').slice(-20).join('\n');
    };
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(hard);
      }
      rmSync(prefix, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await canConnect(port)) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (ready && child.pid !== undefined) {
      return { url: `${site.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, pid: child.pid, config, errorLog, stop };
    }
    const log = errorLog();
    await stop();
    lastError = new Error(`nginx did not start (${child.exitCode ?? child.signalCode ?? 'timeout'}):\n${log}\n--- config ---\n${config}`);
    if (!/Address already in use/.test(log)) break;
  }
  throw lastError ?? new Error('nginx did not start');
}
