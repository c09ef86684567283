import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeThrowawayPki } from './throwaway-ca.ts';

describe('throw-away PKI', () => {
  it('every certificate parses (DER that OpenSSL accepts: a random serial once began with a zero byte), and the leaf is signed by the CA', () => {
    // 300 pairs: with a 1-in-256 chance per certificate of a leading zero, the old serial failed here about 9 runs in 10.
    for (let i = 0; i < 300; i++) {
      const pki = makeThrowawayPki();
      try {
        const ca = new X509Certificate(pki.caPem);
        const leaf = new X509Certificate(pki.certPem);
        expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
        expect(leaf.checkHost('localhost')).toBe('localhost');
        expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
      } finally {
        rmSync(pki.dir, { recursive: true, force: true });
      }
    }
  });
});
