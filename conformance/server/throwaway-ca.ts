/**
 * A throw-away CA and a server certificate it signed, made in-process (node:crypto has no X.509
 * writer, so the DER is built here): what HTTPS tests need without an openssl binary. ECDSA P-256,
 * valid from an hour ago for 30 days; the server certificate names `localhost` and `127.0.0.1`
 * unless told other names.
 * For tests only: nothing here is fit for real use.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      groups.unshift((v & 0x7f) | (groups.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

const name = (cn: string) => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function certificate(subject: string, key: KeyObject, issuer: string, issuerKey: KeyObject, extensions: Buffer[]): string {
  const now = Date.now();
  const serial = randomBytes(8);
  // A positive INTEGER in minimal DER: the first byte below 0x80 and never 0x00 (a leading zero
  // byte is "illegal padding" to OpenSSL, which refused about one certificate in 256).
  serial[0] = 0x40 | (serial[0]! & 0x3f);
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    ECDSA_SHA256,
    name(issuer),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 30 * 86400_000))),
    name(subject),
    key.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, issuerKey); // DER ECDSA-Sig-Value, as X.509 wants
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

export interface ThrowawayPki {
  /** Folder holding ca.pem, cert.pem, key.pem. */
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Writes a fresh CA and a server certificate (default for localhost and 127.0.0.1) into a new temp folder. */
export function makeThrowawayPki(names: { dns?: readonly string[]; ipv4?: readonly string[] } = {}): ThrowawayPki {
  const dns = names.dns ?? ['localhost'];
  const ipv4 = names.ipv4 ?? ['127.0.0.1'];
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = 'sse-conformance throw-away test CA';
  const caPem = certificate(caName, ca.publicKey, caName, ca.privateKey, [
    extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))), // basicConstraints cA
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([1, 0x06]))), // keyUsage keyCertSign, cRLSign
  ]);
  const certPem = certificate(dns[0] ?? ipv4[0] ?? 'server', leaf.publicKey, caName, ca.privateKey, [
    extension('2.5.29.19', true, seq()), // not a CA
    extension('2.5.29.15', true, tlv(0x03, Buffer.from([7, 0x80]))), // keyUsage digitalSignature
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // serverAuth
    extension('2.5.29.17', false, seq(...dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...ipv4.map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))))),
  ]);
  const keyPem = leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'ssec-pki-'));
  const files = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  writeFileSync(files.caFile, caPem);
  writeFileSync(files.certFile, certPem);
  writeFileSync(files.keyFile, keyPem, { mode: 0o600 });
  return { dir, ...files, caPem, certPem, keyPem };
}
