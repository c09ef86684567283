/**
 * Per-channel stream authentication and the publish token. Credentials come from
 * `Authorization: Bearer <token>`, a cookie, or a query parameter (SRV-CLIENT-ID-IN-URL: an
 * EventSource cannot set headers, so browsers use the cookie or the query). Tokens are compared in
 * constant time over their SHA-256 digests and never appear in logs or error messages.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AuthOptions {
  /**
   * Tokens per channel name. A channel listed here requires one of its tokens; the key `*` lists
   * tokens valid for every channel and, when present, protects every channel.
   */
  tokens: Readonly<Record<string, string | readonly string[]>>;
  /** Cookie carrying the token. @defaultValue `'sse_token'` */
  cookieName?: string | undefined;
  /** Query parameter carrying the token. @defaultValue `'token'` */
  queryParam?: string | undefined;
  /** Realm in `WWW-Authenticate`. @defaultValue `'sse-conformance'` */
  realm?: string | undefined;
}

/** The outcome of checking a request: allowed, 401 (no or unknown credentials), or 403 (valid elsewhere). */
export type AuthDecision =
  | { readonly status: 200 }
  | { readonly status: 401; readonly reason: 'missing' | 'invalid'; readonly challenge: string }
  | { readonly status: 403; readonly reason: 'other-channel' };

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time equality of two secrets (digests have equal length, so length leaks nothing). */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Every credential a request presents, in the order header, cookie, query. */
export function presentedTokens(req: IncomingMessage, url: URL, cookieName: string, queryParam: string): string[] {
  const out: string[] = [];
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    // A malformed Authorization header counts as an invalid credential, not as none.
    out.push(match ? match[1]! : header);
  }
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() !== cookieName) continue;
      let value = part.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      try {
        out.push(decodeURIComponent(value));
      } catch {
        out.push(value);
      }
    }
  }
  for (const value of url.searchParams.getAll(queryParam)) out.push(value);
  return out;
}

export class ChannelAuth {
  readonly #tokens = new Map<string, readonly string[]>();
  readonly cookieName: string;
  readonly queryParam: string;
  readonly realm: string;

  constructor(options: AuthOptions) {
    for (const [channel, value] of Object.entries(options.tokens)) {
      const list = typeof value === 'string' ? [value] : [...value];
      for (const token of list) {
        if (typeof token !== 'string' || token === '' || /[\s,;"\\]/.test(token)) {
          // Never echo the token itself.
          throw new TypeError(`auth: a token for channel ${JSON.stringify(channel)} is empty or contains whitespace, comma, semicolon, quote or backslash`);
        }
      }
      this.#tokens.set(channel, list);
    }
    this.cookieName = options.cookieName ?? 'sse_token';
    this.queryParam = options.queryParam ?? 'token';
    this.realm = options.realm ?? 'sse-conformance';
  }

  /** Whether a channel needs credentials. */
  protects(channel: string): boolean {
    return this.#tokens.has(channel) || this.#tokens.has('*');
  }

  check(channel: string, req: IncomingMessage, url: URL): AuthDecision {
    if (!this.protects(channel)) return { status: 200 };
    const presented = presentedTokens(req, url, this.cookieName, this.queryParam);
    if (presented.length === 0) return { status: 401, reason: 'missing', challenge: `Bearer realm="${this.realm}"` };
    const forChannel = [...(this.#tokens.get(channel) ?? []), ...(this.#tokens.get('*') ?? [])];
    let valid = false;
    let elsewhere = false;
    // Compare against every token without stopping early, so timing says nothing about which matched.
    for (const token of presented) {
      for (const known of forChannel) if (secretEquals(token, known)) valid = true;
      for (const [name, list] of this.#tokens) {
        if (name === channel || name === '*') continue;
        for (const known of list) if (secretEquals(token, known)) elsewhere = true;
      }
    }
    if (valid) return { status: 200 };
    if (elsewhere) return { status: 403, reason: 'other-channel' };
    return { status: 401, reason: 'invalid', challenge: `Bearer realm="${this.realm}", error="invalid_token"` };
  }
}

/** Checks the publish token (Bearer header only: publishers are programs, not browsers). */
export function checkPublishToken(req: IncomingMessage, publishToken: string | undefined): boolean {
  if (publishToken === undefined) return true;
  const header = req.headers.authorization;
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match ? secretEquals(match[1]!, publishToken) : false;
}
