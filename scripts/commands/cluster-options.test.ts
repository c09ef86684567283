// serve's and check's options for multi-instance deployments: parsed strictly, usage errors named.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli.ts';
import { parseCheckArgs } from './check.ts';
import { parseServeArgs } from './serve.ts';

describe('serve --redis / --amqp', () => {
  it('parses a Redis URL, a prefix and an AMQP bridge', () => {
    const r = parseServeArgs(['--redis', 'redis://127.0.0.1:6379/2', '--redis-prefix', 'prod:sse', '--amqp', 'amqp://guest:guest@127.0.0.1:5672', '--amqp-exchange', 'events']);
    expect(r.redis).toEqual({ url: 'redis://127.0.0.1:6379/2', prefix: 'prod:sse' });
    expect(r.amqp).toEqual({ url: 'amqp://guest:guest@127.0.0.1:5672', exchange: 'events' });
    expect(parseServeArgs([]).redis).toBeUndefined();
  });

  it.each([
    [['--redis', 'http://x'], /--redis needs redis:\/\/host:port/],
    [['--redis-prefix', 'p'], /--redis-prefix needs --redis/],
    [['--redis', 'redis://x', '--redis-prefix', 'bad prefix'], /--redis-prefix: 1-64/],
    [['--amqp', 'amqp://x'], /--amqp and --amqp-exchange go together/],
    [['--amqp', 'http://x', '--amqp-exchange', 'e'], /not an AMQP URL/],
    [['--amqp', 'amqp://x', '--amqp-exchange', 'bad name'], /exchange name/],
  ])('refuses %j', (args, message) => {
    expect(() => parseServeArgs(args)).toThrow(UsageError);
    expect(() => parseServeArgs(args)).toThrow(message);
  });
});

describe('check --peer', () => {
  it('pairs peers with their publish URLs', () => {
    const o = parseCheckArgs(['http://a/c/{channel}', '--publish', 'http://a/c/{channel}', '--peer', 'http://b/c/{channel}', '--peer-publish', 'http://b/c/{channel}', '--peer', 'http://c/c/{channel}']);
    expect(o.peers).toEqual(['http://b/c/{channel}', 'http://c/c/{channel}']);
    expect(o.peerPublish).toEqual(['http://b/c/{channel}']);
  });

  it.each([
    [['http://a/c/{channel}', '--peer', 'http://b/c/fixed'], /\{channel\} in both the stream URL and every --peer/],
    [['http://a/c', '--peer-publish', 'http://b/c'], /--peer-publish pairs with a --peer/],
    [['http://a/c', '--peer', 'ftp://b/c'], /--peer needs an http\(s\) URL/],
  ])('refuses %j', (args, message) => {
    expect(() => parseCheckArgs(args)).toThrow(message);
  });
});
