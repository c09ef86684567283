// Proxy choice (HTTP_PROXY/HTTPS_PROXY/NO_PROXY) and TLS trust, against real servers and a real
// proxy on 127.0.0.1. Environments are passed explicitly: no test touches process.env.
import { createHash, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type ReferenceServer } from '../../reference/server/index.ts';
import { startRelay } from './browser-relay.ts';
import { startCountingProxy, type CountingProxy } from './counting-proxy.ts';
import { readResponse } from './stream-reader.ts';
import { makeThrowawayPki, type ThrowawayPki } from './throwaway-ca.ts';
import { createTransport, describeProxy, noProxyMatches, resolveProxy, targetSpkiSha256, type Transport } from './transport.ts';

describe('NO_PROXY matching', () => {
  const m = (url: string, noProxy: string) => noProxyMatches(new URL(url), noProxy);
  it('* exempts everything', () => {
    expect(m('https://example.com/', '*')).toBe(true);
    expect(m('http://10.0.0.1:81/', 'foo, *')).toBe(true);
  });
  it('host names match themselves and their subdomains, with or without a leading . or *.', () => {
    for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com']) {
      expect(m('http://example.com/', entry)).toBe(true);
      expect(m('http://a.b.example.com/', entry)).toBe(true);
      expect(m('http://notexample.com/', entry)).toBe(false);
    }
  });
  it('a port in an entry limits it to that port (scheme default ports count)', () => {
    expect(m('http://internal:8080/', 'internal:8080')).toBe(true);
    expect(m('http://internal:8081/', 'internal:8080')).toBe(false);
    expect(m('https://internal/', 'internal:443')).toBe(true);
    expect(m('http://internal/', 'internal:443')).toBe(false);
  });
  it('IP addresses, CIDR ranges and bracketed IPv6 with a port', () => {
    expect(m('http://127.0.0.1:9/', '127.0.0.1')).toBe(true);
    expect(m('http://127.0.0.2:9/', '127.0.0.1')).toBe(false);
    expect(m('http://10.1.2.3/', '10.0.0.0/8')).toBe(true);
    expect(m('http://11.1.2.3/', '10.0.0.0/8')).toBe(false);
    expect(m('http://[::1]:8080/', '[::1]:8080')).toBe(true);
    expect(m('http://[::1]:8081/', '[::1]:8080')).toBe(false);
    expect(m('http://[fd00::5]/', 'fd00::/8')).toBe(true);
  });
  it('no name resolution: localhost does not exempt 127.0.0.1; an IP entry is no suffix', () => {
    expect(m('http://127.0.0.1/', 'localhost')).toBe(false);
    expect(m('http://1127.0.0.1.example/', '127.0.0.1')).toBe(false);
    expect(m('http://example.com/', '')).toBe(false);
  });
});

describe('proxy choice from the environment', () => {
  const choose = (url: string, env: Record<string, string>) => {
    const c = resolveProxy(new URL(url), env);
    return c.kind === 'proxy' ? c.proxy.href : c.kind === 'invalid' ? `invalid: ${c.detail}` : c.bypassed ? 'bypassed' : 'direct';
  };
  it('HTTP targets use http_proxy; HTTPS targets https_proxy, else http_proxy; lowercase wins', () => {
    expect(choose('http://t/', { HTTP_PROXY: 'http://up:1' })).toBe('http://up:1/');
    expect(choose('http://t/', { http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:1' })).toBe('http://low:1/');
    expect(choose('http://t/', { HTTPS_PROXY: 'http://s:1' })).toBe('direct');
    expect(choose('https://t/', { HTTPS_PROXY: 'http://s:1', HTTP_PROXY: 'http://p:1' })).toBe('http://s:1/');
    expect(choose('https://t/', { HTTP_PROXY: 'http://p:1' })).toBe('http://p:1/');
    expect(choose('https://t/', { HTTPS_PROXY: 'p:3128' })).toBe('http://p:3128/');
    expect(choose('https://t/', {})).toBe('direct');
  });
  it('NO_PROXY (or no_proxy) exempts; unusable proxy schemes are named', () => {
    expect(choose('http://127.0.0.1:1/', { HTTP_PROXY: 'http://p:1', NO_PROXY: 'localhost,127.0.0.1' })).toBe('bypassed');
    expect(choose('http://127.0.0.1:1/', { HTTP_PROXY: 'http://p:1', no_proxy: '127.0.0.1' })).toBe('bypassed');
    expect(choose('http://t/', { HTTP_PROXY: 'socks5://p:1' })).toMatch(/^invalid: unsupported proxy scheme socks5:/);
  });
  it('describes the proxy for reports with credentials redacted', () => {
    expect(describeProxy('https://t/{channel}', { HTTPS_PROXY: 'http://user:s3cret@p:3128' })).toBe('http://<redacted>@p:3128');
    expect(describeProxy('https://t/', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 't' })).toBe('none (NO_PROXY matches the target)');
    expect(describeProxy('https://t/', {})).toBeUndefined();
  });
});

describe('requests over the transport (real servers and proxy on 127.0.0.1)', () => {
  let pki: ThrowawayPki;
  let tlsServer: ReferenceServer;
  let plainServer: ReferenceServer;
  let proxy: CountingProxy;
  const read = (url: string, transport?: Transport) => readResponse({ url, headerTimeoutMs: 3000, totalTimeMs: 3000, stopWhen: (p) => p.bodyBytes > 0, transport });
  const proxied = (extra: Record<string, string> = {}) => createTransport({ env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, ...extra }, ca: pki.caPem });

  beforeAll(async () => {
    pki = makeThrowawayPki();
    tlsServer = await createReferenceServer({ tls: { cert: pki.certPem, key: pki.keyPem }, heartbeatMs: 0 });
    plainServer = await createReferenceServer({ heartbeatMs: 0 });
    proxy = await startCountingProxy();
  });
  afterAll(async () => {
    await Promise.all([tlsServer?.close(), plainServer?.close(), proxy?.close()]);
    rmSync(pki.dir, { recursive: true, force: true });
  });

  it('an HTTPS target on a private CA: not trusted by default (named reason), trusted with the CA, accepted with insecure', async () => {
    expect(tlsServer.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const untrusted = await read(`${tlsServer.url}/channels/a`);
    expect(untrusted.end).toBe('unreachable');
    expect(untrusted.endDetail).toMatch(/^certificate not trusted: [A-Z_]+; pass --ca <pem> or --insecure$/);
    const trusted = await read(`${tlsServer.url}/channels/a`, createTransport({ ca: pki.caPem }));
    expect(trusted).toMatchObject({ status: 200, end: 'stopped' });
    expect(trusted.headers['content-type']).toMatch(/^text\/event-stream/);
    expect((await read(`${tlsServer.url}/channels/a`, createTransport({ insecure: true }))).status).toBe(200);
    // Another CA does not vouch for this server.
    const other = makeThrowawayPki();
    rmSync(other.dir, { recursive: true, force: true });
    expect((await read(`${tlsServer.url}/channels/a`, createTransport({ ca: other.caPem }))).endDetail).toMatch(/^certificate not trusted/);
  });

  it('a certificate for another name is a named reason too', async () => {
    const elsewhere = makeThrowawayPki({ dns: ['elsewhere.test'], ipv4: [] });
    const server = await createReferenceServer({ tls: { cert: elsewhere.certPem, key: elsewhere.keyPem }, heartbeatMs: 0 });
    try {
      const r = await read(server.url, createTransport({ ca: elsewhere.caPem }));
      expect(r.end).toBe('unreachable');
      expect(r.endDetail).toMatch(/^certificate does not name the host: ERR_TLS_CERT_ALTNAME_INVALID/);
      // Through a CONNECT tunnel the name checked is still the target's.
      const tunnelled = await read(server.url, createTransport({ ca: elsewhere.caPem, env: { HTTPS_PROXY: proxy.url } }));
      expect(tunnelled.endDetail).toMatch(/^certificate does not name the host: ERR_TLS_CERT_ALTNAME_INVALID.*127\.0\.0\.1/);
      await expect(targetSpkiSha256(server.url, createTransport({ ca: elsewhere.caPem, env: { HTTPS_PROXY: proxy.url } }), 3000)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      // ...and a certificate naming only localhost is wrong for 127.0.0.1 there too.
      const localOnly = makeThrowawayPki({ dns: ['localhost'], ipv4: [] });
      const local = await createReferenceServer({ tls: { cert: localOnly.certPem, key: localOnly.keyPem }, heartbeatMs: 0 });
      try {
        const viaProxy = await read(local.url, createTransport({ ca: localOnly.caPem, env: { HTTPS_PROXY: proxy.url } }));
        expect(viaProxy.endDetail).toMatch(/^certificate does not name the host: ERR_TLS_CERT_ALTNAME_INVALID/);
      } finally {
        await local.close();
        rmSync(localOnly.dir, { recursive: true, force: true });
      }
    } finally {
      await server.close();
      rmSync(elsewhere.dir, { recursive: true, force: true });
    }
  });

  it('plain HTTP goes through the proxy in absolute form with the target as Host; HTTPS through CONNECT with TLS to the target', async () => {
    const before = proxy.requests.length;
    const plain = await read(`${plainServer.url}/channels/p`, proxied());
    expect(plain.status).toBe(200);
    const https = await read(`${tlsServer.url}/channels/s`, proxied());
    expect(https.status).toBe(200);
    const seen = proxy.requests.slice(before);
    expect(seen).toEqual([
      { method: 'GET', target: `${plainServer.url}/channels/p`, host: new URL(plainServer.url).host, proxyAuthorization: undefined },
      { method: 'CONNECT', target: new URL(tlsServer.url).host, host: new URL(tlsServer.url).host, proxyAuthorization: undefined },
    ]);
  });

  it('NO_PROXY=127.0.0.1 bypasses the proxy', async () => {
    const before = proxy.requests.length;
    expect((await read(`${plainServer.url}/channels/p`, proxied({ NO_PROXY: '127.0.0.1' }))).status).toBe(200);
    expect((await read(`${tlsServer.url}/channels/s`, proxied({ no_proxy: '127.0.0.1' }))).status).toBe(200);
    expect(proxy.requests.length).toBe(before);
  });

  it('proxy credentials from the URL go as Proxy-Authorization; a refused CONNECT is unreachable naming the proxy (no secret)', async () => {
    const strict = await startCountingProxy({ requireAuth: `Basic ${Buffer.from('ci:pa ss').toString('base64')}` });
    try {
      const withAuth = `http://ci:pa%20ss@127.0.0.1:${strict.port}`;
      const env = (p: string) => createTransport({ env: { HTTPS_PROXY: p, HTTP_PROXY: p }, ca: pki.caPem });
      expect((await read(`${tlsServer.url}/channels/s`, env(withAuth))).status).toBe(200);
      expect((await read(`${plainServer.url}/channels/p`, env(withAuth))).status).toBe(200);
      const refused = await read(`${tlsServer.url}/channels/s`, env(`http://ci:wrong@127.0.0.1:${strict.port}`));
      expect(refused.end).toBe('unreachable');
      expect(refused.endDetail).toContain(`via proxy http://<redacted>@127.0.0.1:${strict.port}: CONNECT 127.0.0.1:`);
      expect(refused.endDetail).toContain('HTTP 407');
      expect(refused.endDetail).not.toContain('wrong');
      expect(strict.requests.map((r) => r.method)).toEqual(['CONNECT', 'GET', 'CONNECT']);
    } finally {
      await strict.close();
    }
  });

  it('a proxy that is not listening makes the target unreachable, naming the proxy', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const transport = createTransport({ env: { HTTP_PROXY: `http://127.0.0.1:${port}` } });
    const https = await read(`${tlsServer.url}/channels/s`, transport);
    expect(https.end).toBe('unreachable');
    expect(https.endDetail).toMatch(new RegExp(`ECONNREFUSED.*via proxy http://127\\.0\\.0\\.1:${port}`));
    const plain = await read(`${plainServer.url}/channels/p`, transport);
    expect(plain.end).toBe('unreachable');
    expect(plain.endDetail).toContain(`via proxy http://127.0.0.1:${port}`);
  });

  it('the target key hash for browsers is the served leaf SPKI, directly and through the proxy; untrusted without the CA', async () => {
    const expected = createHash('sha256').update(new X509Certificate(pki.certPem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    expect(await targetSpkiSha256(`${tlsServer.url}/channels/{channel}`, createTransport({ ca: pki.caPem }), 3000)).toBe(expected);
    const before = proxy.requests.length;
    expect(await targetSpkiSha256(tlsServer.url, proxied(), 3000)).toBe(expected);
    expect(proxy.requests.slice(before).map((r) => r.method)).toEqual(['CONNECT']);
    await expect(targetSpkiSha256(tlsServer.url, createTransport({ env: {} }), 3000)).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/) });
  });

  it('the browser relay forwards through the upstream proxy too (plain HTTP and CONNECT)', async () => {
    const relay = await startRelay({ headerTimeoutMs: 3000, transport: proxied() });
    try {
      const before = proxy.requests.length;
      const relayTransport = createTransport({ env: { HTTP_PROXY: relay.url, HTTPS_PROXY: relay.url }, ca: pki.caPem });
      expect((await read(`${plainServer.url}/channels/r`, relayTransport)).status).toBe(200);
      expect((await read(`${tlsServer.url}/channels/r`, relayTransport)).status).toBe(200);
      expect(proxy.requests.slice(before).map((r) => `${r.method} ${r.target}`)).toEqual([`GET ${plainServer.url}/channels/r`, `CONNECT ${new URL(tlsServer.url).host}`]);
    } finally {
      await relay.close();
    }
  });
});
