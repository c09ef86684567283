/**
 * CORS for cross-origin EventSource (SRV-CORS, CORS-CREDENTIALS, LAST-EVENT-ID-CORS). Only listed
 * origins get `Access-Control-Allow-Origin`; credentials are allowed only for an origin listed by
 * name, which is echoed exactly. `*` in the list admits any origin *without* credentials: the
 * server never reflects an arbitrary origin together with `Access-Control-Allow-Credentials`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsOptions {
  /** Allowed origins, exactly as browsers send them (`https://app.example`), or `*` for any origin without credentials. */
  origins: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` to listed origins (cookies / withCredentials). @defaultValue false */
  credentials?: boolean | undefined;
  /** Preflight cache time in seconds. @defaultValue 600 */
  maxAgeSeconds?: number | undefined;
}

/** Request headers a preflight may ask for: Last-Event-ID for cross-origin reconnects, the rest for auth and publishing. */
export const ALLOWED_REQUEST_HEADERS = ['last-event-id', 'authorization', 'content-type', 'cache-control'] as const;
export const ALLOWED_METHODS = ['GET', 'POST', 'DELETE'] as const;

export class CorsPolicy {
  readonly #named: ReadonlySet<string>;
  readonly #any: boolean;
  readonly #credentials: boolean;
  readonly #maxAge: number;

  constructor(options: CorsOptions) {
    this.#named = new Set(options.origins.filter((o) => o !== '*'));
    this.#any = options.origins.includes('*');
    this.#credentials = options.credentials ?? false;
    this.#maxAge = options.maxAgeSeconds ?? 600;
  }

  /** Adds CORS headers for an actual request. Returns false when the origin is not allowed (no headers set). */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // same-origin or non-browser: nothing to do
    res.setHeader('Vary', 'Origin');
    if (this.#named.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (this.#credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
      return true;
    }
    if (this.#any) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      return true;
    }
    return false;
  }

  /** Answers an OPTIONS preflight: 204 with the allowances for allowed origins, 403 otherwise. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const method = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
    const asked = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '');
    const allowedOrigin = this.apply(req, res);
    const methodOk = method === '' || (ALLOWED_METHODS as readonly string[]).includes(method);
    const headersOk = asked.every((h) => (ALLOWED_REQUEST_HEADERS as readonly string[]).includes(h));
    if (!allowedOrigin || !methodOk || !headersOk || req.headers.origin === undefined) {
      res.removeHeader('Access-Control-Allow-Origin');
      res.removeHeader('Access-Control-Allow-Credentials');
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(!allowedOrigin ? 'origin not allowed\n' : !methodOk ? `method ${method} not allowed\n` : 'request header not allowed\n');
      return;
    }
    res.writeHead(204, {
      'Access-Control-Allow-Methods': ALLOWED_METHODS.join(', '),
      'Access-Control-Allow-Headers': 'Last-Event-ID, Authorization, Content-Type, Cache-Control',
      'Access-Control-Max-Age': String(this.#maxAge),
      'Cache-Control': 'no-store',
    });
    res.end();
  }
}
