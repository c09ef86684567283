/**
 * How the harness reaches a target from behind a CI network: the forwarding proxy named by
 * `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` (lowercase forms win, as in curl and undici), and the
 * TLS trust of the run (`check --ca`, `check --insecure`).
 *
 * The stream reader needs node:http's raw bytes and socket control, so rather than undici's
 * EnvHttpProxyAgent this module routes node:http itself: plain-HTTP targets are asked through the
 * proxy with absolute-form request targets, HTTPS targets get a CONNECT tunnel and TLS to the
 * target over it (the proxy never sees the stream). Only `http://` proxies are supported.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { requestHttp2 } from './h2-client.ts';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

export interface TransportOptions {
  /** Where the proxy variables are read. Default `process.env`. */
  readonly env?: ProxyEnv | undefined;
  /** Extra CA certificates (PEM), trusted in addition to Node's default roots (and NODE_EXTRA_CA_CERTS). */
  readonly ca?: string | undefined;
  /** Skip certificate verification of targets. */
  readonly insecure?: boolean | undefined;
  /** Speak HTTP/2 to targets (`check --http2`): h2 with ALPN over TLS, h2c with prior knowledge otherwise. */
  readonly http2?: boolean | undefined;
}

export interface Transport {
  readonly env: ProxyEnv;
  readonly ca: string | undefined;
  readonly insecure: boolean;
  /** TLS options for every connection to a target. */
  readonly tls: Pick<tls.ConnectionOptions, 'secureContext' | 'rejectUnauthorized'>;
  /** HTTP/2 to targets (h2-client.ts); absent or false: HTTP/1.1. */
  readonly http2?: boolean | undefined;
}

/** No proxy, default trust: what a bare `readResponse` uses. */
export const DIRECT: Transport = { env: {}, ca: undefined, insecure: false, tls: { rejectUnauthorized: true } };

export function createTransport(options: TransportOptions = {}): Transport {
  const insecure = options.insecure ?? false;
  let secureContext: tls.SecureContext | undefined;
  if (options.ca !== undefined) {
    // Node replaces its trust store when `ca` is given; the harness adds to it instead, so a
    // private CA does not make public targets (or NODE_EXTRA_CA_CERTS) untrusted.
    const extra = process.env['NODE_EXTRA_CA_CERTS'];
    let fromEnv: string[] = [];
    try {
      if (extra) fromEnv = [readFileSync(extra, 'utf8')];
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS
    }
    secureContext = tls.createSecureContext({ ca: [...tls.rootCertificates, ...fromEnv, options.ca] });
  }
  return {
    env: options.env ?? process.env, ca: options.ca, insecure, ...(options.http2 ? { http2: true } : {}),
    tls: { rejectUnauthorized: !insecure, ...(secureContext ? { secureContext } : {}) },
  };
}

/** The PEM certificate blocks of a text; throws when there is none or one does not parse. */
export function parsePemCertificates(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
  return blocks.map((b) => new X509Certificate(b));
}

// ---- proxy choice -------------------------------------------------------------------------------

function variable(env: ProxyEnv, name: string): string | undefined {
  const v = env[name] ?? env[name.toUpperCase()];
  return v?.trim() ? v.trim() : undefined;
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function bare(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Whether `NO_PROXY` exempts the target: `*` (everything), host names (also matching their
 * subdomains; a leading `.` or `*.` means the same), IP addresses and CIDR ranges, each optionally
 * with `:port` (`[v6]:port` for IPv6). No name resolution: `localhost` does not match `127.0.0.1`.
 */
export function noProxyMatches(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = bare(target.hostname);
  const port = defaultPort(target);
  for (let entry of noProxy.toLowerCase().split(/[\s,]+/).filter(Boolean)) {
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (v6) {
      entry = v6[1]!;
      if (v6[2]) entryPort = Number(v6[2]);
    } else if (/^[^:]+:\d+$/.test(entry)) {
      entryPort = Number(entry.slice(entry.lastIndexOf(':') + 1));
      entry = entry.slice(0, entry.lastIndexOf(':'));
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const slash = entry.indexOf('/');
    if (slash > 0 && net.isIP(entry.slice(0, slash)) && net.isIP(host)) {
      const family = net.isIP(host) === 6 ? 'ipv6' : 'ipv4';
      const range = new net.BlockList();
      try {
        range.addSubnet(entry.slice(0, slash), Number(entry.slice(slash + 1)), net.isIP(entry.slice(0, slash)) === 6 ? 'ipv6' : 'ipv4');
      } catch {
        continue; // a malformed range exempts nothing
      }
      if (range.check(host, family)) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '');
    if (host === domain || (!net.isIP(domain) && host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

export type ProxyChoice =
  | { readonly kind: 'direct'; readonly bypassed: boolean }
  | { readonly kind: 'proxy'; readonly proxy: URL }
  | { readonly kind: 'invalid'; readonly detail: string };

/**
 * The proxy for a target URL: `https_proxy` for HTTPS targets (falling back to `http_proxy`, as
 * undici's EnvHttpProxyAgent does), `http_proxy` for plain HTTP; `bypassed` when `no_proxy` exempts it.
 */
export function resolveProxy(target: URL, env: ProxyEnv): ProxyChoice {
  const raw = target.protocol === 'https:' ? variable(env, 'https_proxy') ?? variable(env, 'http_proxy') : variable(env, 'http_proxy');
  if (raw === undefined) return { kind: 'direct', bypassed: false };
  if (noProxyMatches(target, variable(env, 'no_proxy'))) return { kind: 'direct', bypassed: true };
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return { kind: 'invalid', detail: `proxy variable is not a URL: ${JSON.stringify(redactText(raw))}` };
  }
  if (proxy.protocol !== 'http:') return { kind: 'invalid', detail: `unsupported proxy scheme ${proxy.protocol} in ${redactProxy(proxy)} (only http:// proxies)` };
  return { kind: 'proxy', proxy };
}

/** A proxy URL for reports: credentials replaced. */
export function redactProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.username || proxy.password ? '<redacted>@' : ''}${proxy.host}`;
}

function redactText(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//<redacted>@');
}

/** What a run's options record about the proxy for its target (credentials redacted), or undefined when no proxy variable applies. */
export function describeProxy(targetUrl: string, env: ProxyEnv): string | undefined {
  let target: URL;
  try {
    target = new URL(targetUrl.replaceAll('{channel}', 'x'));
  } catch {
    return undefined;
  }
  const choice = resolveProxy(target, env);
  if (choice.kind === 'proxy') return redactProxy(choice.proxy);
  if (choice.kind === 'invalid') return `invalid: ${choice.detail}`;
  return choice.bypassed ? 'none (NO_PROXY matches the target)' : undefined;
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

// ---- connections --------------------------------------------------------------------------------

/** An error about the proxy hop, keeping the underlying code so callers classify it like a direct failure. */
function proxyError(proxy: URL, message: string, code: string | undefined): NodeJS.ErrnoException {
  return Object.assign(new Error(`via proxy ${redactProxy(proxy)}: ${message}`), { code: code ?? 'ERR_PROXY' });
}

/**
 * Opens a CONNECT tunnel to `host:port` through the proxy; calls back once with the raw socket
 * (after the proxy's 2xx) or an error. Returns the CONNECT request so the caller can cancel it.
 */
export function openTunnel(proxy: URL, authority: string, done: (error: NodeJS.ErrnoException | null, socket?: net.Socket) => void): http.ClientRequest {
  let called = false;
  const once = (error: NodeJS.ErrnoException | null, socket?: net.Socket) => {
    if (called) return void socket?.destroy();
    called = true;
    done(error, socket);
  };
  const req = http.request({
    host: bare(proxy.hostname), port: defaultPort(proxy), method: 'CONNECT', path: authority, agent: false,
    headers: { host: authority, ...proxyAuthorization(proxy) },
  });
  req.once('connect', (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      socket.destroy();
      return once(proxyError(proxy, `CONNECT ${authority} answered HTTP ${status}${status === 407 ? ' (proxy credentials missing or refused)' : ''}`, 'ERR_PROXY_CONNECT'));
    }
    if (head.length) socket.unshift(head);
    once(null, socket);
  });
  req.once('error', (error: NodeJS.ErrnoException) => once(proxyError(proxy, `${error.code ?? ''} ${error.message}`.trim(), error.code)));
  req.once('close', () => once(proxyError(proxy, `CONNECT ${authority}: the proxy closed the connection without answering`, 'ECONNRESET')));
  req.end();
  return req;
}

export interface TargetRequest {
  readonly req: http.ClientRequest;
  /** The proxy the request goes through (credentials redacted), if any. */
  readonly via: string | undefined;
  /** Destroys the request and any CONNECT still in progress (a destroyed request alone waits for its socket). */
  destroy(): void;
}

export interface TargetRequestOptions {
  readonly method: string;
  readonly headers: http.OutgoingHttpHeaders;
  readonly maxHeaderSize?: number | undefined;
}

/**
 * An HTTP(S) request to a target over the transport: direct, through the proxy (plain HTTP), or
 * through a CONNECT tunnel with TLS to the target (HTTPS). Throws for an unusable proxy variable.
 */
export function requestTarget(target: URL, options: TargetRequestOptions, transport: Transport = DIRECT): TargetRequest {
  const secure = target.protocol === 'https:';
  const choice = resolveProxy(target, transport.env);
  if (choice.kind === 'invalid') throw new Error(choice.detail);
  const base = { method: options.method, maxHeaderSize: options.maxHeaderSize };
  if (transport.http2) {
    if (choice.kind === 'proxy') throw new Error(`HTTP/2 through a proxy is not supported (--http2 with ${redactProxy(choice.proxy)}); set NO_PROXY for the target`);
    return requestHttp2(target, options, transport.tls);
  }
  if (choice.kind === 'direct') {
    const req = secure
      ? https.request(target, { ...base, headers: options.headers, agent: false, ...transport.tls })
      : http.request(target, { ...base, headers: options.headers, agent: false });
    return { req, via: undefined, destroy: () => req.destroy() };
  }
  const { proxy } = choice;
  const via = redactProxy(proxy);
  const headers: http.OutgoingHttpHeaders = { ...options.headers };
  if (target.username || target.password) headers['authorization'] ??= `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
  if (!secure) {
    // Absolute-form request target (RFC 9112 §3.2.2); Host names the target, not the proxy.
    const absolute = new URL(target.href);
    absolute.username = '';
    absolute.password = '';
    absolute.hash = '';
    const req = http.request({
      ...base, host: bare(proxy.hostname), port: defaultPort(proxy), path: absolute.href, agent: false,
      headers: { host: target.host, ...headers, ...proxyAuthorization(proxy) },
    });
    return { req, via, destroy: () => req.destroy() };
  }
  let connecting: http.ClientRequest | undefined;
  const authority = `${target.hostname}:${defaultPort(target)}`;
  const hostname = bare(target.hostname);
  const req = https.request(target, {
    ...base, headers,
    createConnection: (_o: http.ClientRequestArgs, oncreate: (err: Error | null, socket: Duplex) => void) => {
      connecting = openTunnel(proxy, authority, (error, socket) => {
        if (error || !socket) return oncreate(error ?? new Error('no tunnel'), undefined as never);
        // `host` is what the certificate must name (with only a socket, Node would check "localhost").
        oncreate(null, tls.connect({ socket, host: hostname, servername: net.isIP(hostname) ? undefined : hostname, ALPNProtocols: ['http/1.1'], ...transport.tls }));
      });
      return undefined;
    },
  });
  return { req, via, destroy: () => { connecting?.destroy(); req.destroy(); } };
}

/**
 * The SHA-256 (base64) of the target's leaf certificate public key (SPKI), from a TLS handshake
 * verified with the transport's trust (unless insecure): what a browser is told to accept for the
 * run (Chromium's --ignore-certificate-errors-spki-list). Rejects with the TLS error or on timeout.
 */
export function targetSpkiSha256(targetUrl: string, transport: Transport, timeoutMs: number): Promise<string> {
  const target = new URL(targetUrl.replaceAll('{channel}', 'x'));
  const hostname = bare(target.hostname);
  const servername = net.isIP(hostname) ? undefined : hostname;
  return new Promise((resolve, reject) => {
    let socket: tls.TLSSocket | undefined;
    let tunnel: http.ClientRequest | undefined;
    const end = (error: Error | undefined, hash?: string) => {
      clearTimeout(timer);
      tunnel?.destroy();
      socket?.destroy();
      if (error) reject(error);
      else resolve(hash!);
    };
    const timer = setTimeout(() => end(new Error(`no TLS handshake with ${target.host} within ${timeoutMs} ms`)), timeoutMs);
    const handshake = (options: tls.ConnectionOptions) => {
      socket = tls.connect({ ...options, servername, ALPNProtocols: ['http/1.1'], ...transport.tls });
      socket.once('secureConnect', () => {
        const cert = socket!.getPeerX509Certificate();
        if (!cert) return end(new Error(`${target.host} presented no certificate`));
        end(undefined, createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
      });
      socket.once('error', (error) => end(error));
    };
    const choice = resolveProxy(target, transport.env);
    if (choice.kind === 'invalid') return end(new Error(choice.detail));
    if (choice.kind === 'direct') return handshake({ host: hostname, port: defaultPort(target) });
    tunnel = openTunnel(choice.proxy, `${target.hostname}:${defaultPort(target)}`, (error, raw) => {
      if (error || !raw) return end(error ?? new Error('no tunnel'));
      handshake({ socket: raw, host: hostname });
    });
  });
}

// ---- the run's transport for code that is not handed one ------------------------------------------

const scope = new AsyncLocalStorage<Transport>();

/** Runs `fn` with `transport` as the run's transport: code deep in a run that is not handed one (the browser relay) uses it. */
export function withTransport<T>(transport: Transport, fn: () => T): T {
  return scope.run(transport, fn);
}

/** The transport of the run this code belongs to ({@link withTransport}), else {@link DIRECT}. */
export function currentTransport(): Transport {
  return scope.getStore() ?? DIRECT;
}
