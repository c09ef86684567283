import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ChannelAuth, checkPublishToken, presentedTokens, secretEquals } from './auth.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const url = (query = '') => new URL(`http://x/channels/c${query}`);

describe('auth', () => {
  it('compares secrets exactly', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abc', 'abd')).toBe(false);
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals('', 'a')).toBe(false);
  });

  it('collects credentials from the Bearer header, the cookie and the query', () => {
    expect(presentedTokens(req({ authorization: 'bearer  t1 ' }), url(), 'sse_token', 'token')).toEqual(['t1']);
    expect(presentedTokens(req({ cookie: 'a=1; sse_token="t%202"; sse_tokenx=no' }), url(), 'sse_token', 'token')).toEqual(['t 2']);
    expect(presentedTokens(req({ cookie: 'sse_token=%E0%A4%A' }), url(), 'sse_token', 'token')).toEqual(['%E0%A4%A']);
    expect(presentedTokens(req({}), url('?token=q1&token=q2'), 'sse_token', 'token')).toEqual(['q1', 'q2']);
    // A non-Bearer Authorization header is an (invalid) credential, not "none".
    expect(presentedTokens(req({ authorization: 'Basic eDp5' }), url(), 'sse_token', 'token')).toEqual(['Basic eDp5']);
  });

  it('decides 200 / 401 missing / 401 invalid / 403 other channel, with a wildcard', () => {
    const auth = new ChannelAuth({ tokens: { a: ['ta'], b: 'tb' }, realm: 'r' });
    expect(auth.protects('a')).toBe(true);
    expect(auth.protects('open')).toBe(false);
    expect(auth.check('open', req({}), url())).toEqual({ status: 200 });
    expect(auth.check('a', req({}), url())).toEqual({ status: 401, reason: 'missing', challenge: 'Bearer realm="r"' });
    expect(auth.check('a', req({}), url('?token=zz'))).toMatchObject({ status: 401, reason: 'invalid' });
    expect(auth.check('a', req({}), url('?token=tb'))).toEqual({ status: 403, reason: 'other-channel' });
    expect(auth.check('a', req({ authorization: 'Bearer zz' }), url('?token=ta'))).toEqual({ status: 200 });
    const all = new ChannelAuth({ tokens: { '*': 'master', a: 'ta' } });
    expect(all.protects('anything')).toBe(true);
    expect(all.check('anything', req({ cookie: 'sse_token=master' }), url())).toEqual({ status: 200 });
    expect(all.check('anything', req({ cookie: 'sse_token=ta' }), url())).toEqual({ status: 403, reason: 'other-channel' });
  });

  it('rejects unusable tokens without echoing them', () => {
    expect(() => new ChannelAuth({ tokens: { a: 'has space' } })).toThrow(/token for channel "a"/);
    expect(() => new ChannelAuth({ tokens: { a: 'has space' } })).not.toThrow(/has space/);
    expect(() => new ChannelAuth({ tokens: { a: [''] } })).toThrow(TypeError);
  });

  it('checks the publish token from the Bearer header only', () => {
    expect(checkPublishToken(req({}), undefined)).toBe(true);
    expect(checkPublishToken(req({ authorization: 'Bearer p' }), 'p')).toBe(true);
    expect(checkPublishToken(req({ authorization: 'Bearer q' }), 'p')).toBe(false);
    expect(checkPublishToken(req({ cookie: 'sse_token=p' }), 'p')).toBe(false);
  });
});
