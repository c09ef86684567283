/**
 * `client --http2`: the scenarios played over HTTP/2. Clients only speak h2 over TLS (browsers never
 * do h2c; undici needs ALPN), so the run makes a throw-away CA and a certificate for 127.0.0.1 and
 * localhost (conformance/server/throwaway-ca.ts), the playback server serves h2 with it (HTTP/1.1
 * still offered by ALPN), and each kind of client trusts that CA for this run only:
 * - the reference EventSource fetches through an undici Agent with `allowH2` and the CA;
 * - `--exec` adapters get `NODE_EXTRA_CA_CERTS` (whether they speak h2 is theirs to decide: the
 *   request log records each request's HTTP version);
 * - browsers are launched trusting the certificate's key for this run (Chromium
 *   `--ignore-certificate-errors-spki-list`, Firefox `acceptInsecureCerts`; WebKit has no such
 *   switch and cannot run this way).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FetchLike } from '../../reference/client.ts';
import { makeThrowawayPki, type ThrowawayPki } from '../server/throwaway-ca.ts';

export interface Http2ClientRun {
  readonly pki: ThrowawayPki;
  /** Playback server options. */
  readonly playback: { readonly http2: true; readonly tls: { readonly cert: string; readonly key: string } };
  /** SHA-256 (base64) of the certificate's public key: what browsers are told to accept. */
  readonly spkiSha256: string;
  /** A fetch for the reference EventSource: undici over h2 (ALPN) trusting the run's CA. */
  readonly fetch: FetchLike;
  /** Environment for adapter processes (the CA added to Node's trust). */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startHttp2ClientRun(): Promise<Http2ClientRun> {
  const pki = makeThrowawayPki();
  const { Agent, fetch } = await import('undici');
  const agent = new Agent({ allowH2: true, connect: { ca: pki.caPem } });
  const spkiSha256 = createHash('sha256').update(new X509Certificate(pki.certPem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const h2fetch = ((url: string, init: Record<string, unknown>) => fetch(url, { ...init, dispatcher: agent } as never)) as unknown as FetchLike;
  return {
    pki, spkiSha256, fetch: h2fetch,
    playback: { http2: true, tls: { cert: pki.certPem, key: pki.keyPem } },
    env: { NODE_EXTRA_CA_CERTS: pki.caFile },
    async close() {
      await agent.close().catch(() => undefined);
      rmSync(pki.dir, { recursive: true, force: true });
    },
  };
}
