// Auth cases against the protected URL (--protected-url): no credentials and wrong credentials are
// refused with 401/403 and no event stream (a non-200 also stops EventSource reconnecting), 401
// carries a challenge, valid credentials get the stream.
import type { Evidence } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { bytesEvidence, headersEvidence } from './capture-evidence.ts';
import type { ServerCase, ServerContext } from './context.ts';
import { mimeEssence } from './response.ts';
import { redactHeaders, type ReadResult } from './stream-reader.ts';

type Attempt = 'none' | 'wrong' | 'valid';

function attemptUrl(ctx: ServerContext, attempt: Attempt): string {
  const base = ctx.config.protectedUrl!;
  const q = ctx.config.authQuery;
  if (!q || attempt === 'none') return base;
  const [name, value] = [q.slice(0, q.indexOf('=')), q.slice(q.indexOf('=') + 1)];
  const u = new URL(base);
  u.searchParams.set(name, attempt === 'valid' ? value : `sse-conformance-invalid-${ctx.nonce}`);
  return u.href;
}

/**
 * Without (or with wrong) credentials, none of the configured headers is sent: a credential may
 * travel in any header (`X-Api-Key`…), and sending it would make a correct server look bypassed.
 */
function attemptHeaders(ctx: ServerContext, attempt: Attempt): Record<string, string> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (attempt === 'valid') Object.assign(headers, ctx.config.headers);
  if (attempt === 'wrong') headers['authorization'] = `Bearer sse-conformance-invalid-${ctx.nonce}`;
  return headers;
}

/** One request per attempt kind per run, shared by the cases that judge it. */
function attempt(ctx: ServerContext, kind: Attempt, signal: AbortSignal): Promise<{ result: ReadResult; headers: Record<string, string>; url: string }> {
  return ctx.memo(`auth:${kind}`, async () => {
    const headers = attemptHeaders(ctx, kind);
    const url = attemptUrl(ctx, kind);
    const result = await ctx.read({ url, headers, replaceHeaders: true, totalTimeMs: ctx.config.headerTimeoutMs + 700, stopWhen: (p) => p.bodyBytes > 0 && p.elapsedMs > 300 }, signal);
    return { result, headers, url };
  });
}

function requestEvidence(url: string, headers: Record<string, string>): Evidence {
  return { kind: 'requests', label: 'request sent', text: `GET ${url.replace(/([?&][^=]*token[^=]*=)[^&]*/gi, '$1<redacted>')}\n${Object.entries(redactHeaders(headers)).map(([k, v]) => `${k}: ${v}`).join('\n')}` };
}

function isEventStream(result: ReadResult): boolean {
  return result.status === 200 && mimeEssence(result.headers['content-type']) === 'text/event-stream';
}

async function rejectionOutcome(ctx: ServerContext, kind: 'none' | 'wrong', signal: AbortSignal): Promise<CaseOutcome> {
  if (!ctx.config.protectedUrl) return { verdict: 'UNSUPPORTED', reason: 'no protected URL declared (--protected-url)', checks: [] };
  const { result, headers, url } = await attempt(ctx, kind, signal);
  const evidence = [requestEvidence(url, headers), headersEvidence(result), bytesEvidence(result)];
  if (result.status === 0) return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`, checks: [], evidence };
  const what = kind === 'none' ? 'without credentials' : 'with wrong credentials';
  if (isEventStream(result)) {
    return {
      checks: [check('refused', 'FAIL', ['SRV-AUTH-REJECT'], `401 or 403 ${what}, no event stream`, `HTTP 200 text/event-stream served ${what} (${result.body.byteLength} body bytes, ${result.events.length} events): the protected stream is readable without valid credentials`, true)],
      evidence,
    };
  }
  const refused = result.status === 401 || result.status === 403;
  return {
    checks: [
      check('refused', refused ? 'PASS' : 'NON_STRICT', ['SRV-AUTH-REJECT', 'RESP-STATUS-NON-200-FAILS'], `401 or 403 ${what}`, `HTTP ${result.status}${refused ? '' : ' (refused, but not with 401/403; EventSource still stops since it is not a 200 stream)'}`),
      check('no-events', result.events.length ? 'FAIL' : 'PASS', ['SRV-AUTH-REJECT'], 'no events in the refusal body', `${result.events.length} events`, result.events.length > 0),
    ],
    evidence,
  };
}

export const AUTH_CASES: readonly ServerCase[] = [
  {
    id: 'server.auth.no-credentials',
    title: 'Without credentials the protected stream is refused',
    area: 'auth',
    requirementIds: ['SRV-AUTH-REJECT', 'RESP-STATUS-NON-200-FAILS'],
    description: 'GET the protected URL with no Authorization, no Cookie and no token parameter.',
    expectation: '401 (or 403) and no event stream. A 200 event stream is a FAIL and a security finding.',
    run: (ctx, signal) => rejectionOutcome(ctx, 'none', signal),
  },
  {
    id: 'server.auth.wrong-credentials',
    title: 'With wrong credentials the protected stream is refused',
    area: 'auth',
    requirementIds: ['SRV-AUTH-REJECT', 'RESP-STATUS-NON-200-FAILS'],
    description: 'GET the protected URL with a made-up bearer token (and a made-up token parameter when --auth-query is set).',
    expectation: '401 (or 403) and no event stream. A 200 event stream is a FAIL and a security finding.',
    run: (ctx, signal) => rejectionOutcome(ctx, 'wrong', signal),
  },
  {
    id: 'server.auth.www-authenticate',
    title: '401 carries a WWW-Authenticate challenge',
    area: 'auth',
    requirementIds: ['SRV-AUTH-CHALLENGE'],
    description: 'Read the response to the request without credentials.',
    expectation: 'A 401 response has a WWW-Authenticate header (RFC 9110). A 403 needs none (INFO).',
    async run(ctx, signal) {
      if (!ctx.config.protectedUrl) return { verdict: 'UNSUPPORTED', reason: 'no protected URL declared (--protected-url)', checks: [] };
      const { result } = await attempt(ctx, 'none', signal);
      const evidence = [headersEvidence(result)];
      if (result.status !== 401) {
        return { checks: [check('challenge', 'INFO', ['SRV-AUTH-CHALLENGE'], 'WWW-Authenticate on a 401', `not a 401 (HTTP ${result.status || result.end}); nothing to judge`)], evidence };
      }
      const value = result.headers['www-authenticate'];
      return { checks: [check('challenge', value ? 'PASS' : 'FAIL', ['SRV-AUTH-CHALLENGE'], 'a WWW-Authenticate header', value ? JSON.stringify(value) : 'missing')], evidence };
    },
  },
  {
    id: 'server.auth.valid-credentials',
    title: 'With the configured credentials the protected stream is served',
    area: 'auth',
    requirementIds: ['SRV-AUTH-REJECT', 'SRV-STATUS-200'],
    description: 'GET the protected URL with the configured credentials (--bearer, --header, --auth-query).',
    expectation: 'HTTP 200 (the stream opens); its Content-Type is judged by server.response.content-type.',
    async run(ctx, signal) {
      if (!ctx.config.protectedUrl) return { verdict: 'UNSUPPORTED', reason: 'no protected URL declared (--protected-url)', checks: [] };
      if (!ctx.config.hasCredentials) return { verdict: 'UNSUPPORTED', reason: 'no credentials configured (--bearer, --header, --auth-query)', checks: [] };
      const { result, headers, url } = await attempt(ctx, 'valid', signal);
      const evidence = [requestEvidence(url, headers), headersEvidence(result)];
      if (result.status === 0) return { verdict: 'ERROR', reason: `no response: ${result.end} ${result.endDetail}`, checks: [], evidence };
      // Only the status is this case's business; the Content-Type has its own case.
      return { checks: [check('served', result.status === 200 ? 'PASS' : 'FAIL', ['SRV-AUTH-REJECT', 'SRV-STATUS-200'], 'HTTP 200 (the stream is served with valid credentials)', `HTTP ${result.status} ${result.headers['content-type'] ?? '(no Content-Type)'}`)], evidence };
    },
  },
];
