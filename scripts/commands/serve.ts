import { readFileSync } from 'node:fs';
import { AmqpBridge, createReferenceServer, RedisReplayLog, FAULTS, parseFaults, UnknownFaultError, type ReferenceServerOptions } from '../../reference/server/index.ts';
import { UsageError, type Command } from '../cli.ts';

const usage = `Usage: sse-conformance serve [options]

Runs the reference SSE server until SIGINT/SIGTERM, then ends every open stream cleanly (clients
reconnect elsewhere) and exits 0. Prints its URL on standard output; logs go to standard error.

Routes: GET /channels/<name> subscribes (Last-Event-ID header or ?lastEventId= resumes),
POST /channels/<name> publishes {"event"?,"data","id"?} or {"event"?,"binary":"<base64>"} → 201 {"id"},
DELETE /channels/<name> closes the channel (streams end, later GETs answer 204).

Options:
  --port <n>               port to listen on (0 = any free port)           [8080]
  --host <addr>            address to bind                                 [127.0.0.1]
  --retry <ms>             retry: value sent when a stream opens           [3000]
  --heartbeat <ms>         heartbeat comment interval, 0 disables          [15000]
  --replay-size <n>        events kept per channel for replay              [1000]
  --replay-age <ms>        age after which replayable events are dropped   [300000]
  --max-publish-bytes <n>  largest publish body (larger → 413)             [1048576]
  --max-buffered-bytes <n> per-stream backlog before a slow client is cut  [1048576]
  --token <channel>=<tok>  protect a channel (repeatable; channel * = all channels)
  --publish-token <tok>    require Authorization: Bearer <tok> for POST and DELETE
  --cors-origin <origin>   allow a cross-origin client (repeatable; * = any origin, no credentials)
  --cors-credentials       send Access-Control-Allow-Credentials to listed origins
  --fault <name>           turn a fault switch on for every request (repeatable)
  --allow-request-faults   let a request add ?fault=a,b for itself
  --tls-cert <pem file>    serve HTTPS with this certificate (chain); needs --tls-key
  --tls-key <pem file>     the certificate's private key (PEM)
  --http2                  serve HTTP/2: with --tls-cert/--tls-key h2 by ALPN (HTTP/1.1 still
                           offered), without them h2c with prior knowledge only
  --redis <url>            share replay and live events with every instance on this Redis
                           (redis://host:port[/db]; Redis Streams, --replay-size/--replay-age apply)
  --redis-prefix <p>       key prefix in Redis (instances of one deployment share it)  [sse]
  --amqp <url>             bridge a RabbitMQ exchange into channels (amqp://user:pass@host:port);
                           needs --amqp-exchange (and --redis for more than one instance)
  --amqp-exchange <name>   the topic exchange: routing key = channel, body = data
  --quiet                  no request log

Faults:
${FAULTS.map((f) => `  ${f.name.padEnd(22)} ${f.description}`).join('\n')}`;

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '<redacted>';
    return u.href;
  } catch {
    return '<unparsable URL>';
  }
}

function integer(flag: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Parses serve's arguments into server options (exported for tests). */
export function parseServeArgs(args: readonly string[]): { options: ReferenceServerOptions; quiet: boolean; redis?: { url: string; prefix?: string | undefined } | undefined; amqp?: { url: string; exchange: string } | undefined } {
  const options: ReferenceServerOptions = { port: 8080, host: '127.0.0.1' };
  const tokens: Record<string, string[]> = {};
  const origins: string[] = [];
  const faults: string[] = [];
  let credentials = false;
  let quiet = false;
  let tlsCert: string | undefined;
  let tlsKey: string | undefined;
  let redis: { url: string; prefix?: string | undefined } | undefined;
  let redisPrefix: string | undefined;
  let amqpUrl: string | undefined;
  let amqpExchange: string | undefined;
  let amqp: { url: string; exchange: string } | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port': {
        const port = integer(arg, value());
        if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
        options.port = port;
        break;
      }
      case '--host': options.host = value(); break;
      case '--retry': options.retryMs = integer(arg, value()); break;
      case '--heartbeat': {
        const ms = integer(arg, value());
        if (ms > 0x7fffffff) throw new UsageError(`--heartbeat must be at most ${0x7fffffff} ms`);
        options.heartbeatMs = ms;
        break;
      }
      case '--replay-size': options.replay = { ...options.replay, maxEvents: integer(arg, value()) }; break;
      case '--replay-age': options.replay = { ...options.replay, maxAgeMs: integer(arg, value()) }; break;
      case '--max-publish-bytes': options.maxPublishBytes = integer(arg, value()); break;
      case '--max-buffered-bytes': options.maxBufferedBytes = integer(arg, value()); break;
      case '--token': {
        const v = value();
        const eq = v.indexOf('=');
        // Never echo the token in the message.
        if (eq <= 0 || eq === v.length - 1) throw new UsageError('--token takes <channel>=<token>');
        (tokens[v.slice(0, eq)] ??= []).push(v.slice(eq + 1));
        break;
      }
      case '--publish-token': {
        const v = value();
        if (/\s/.test(v)) throw new UsageError('--publish-token must not contain whitespace');
        options.publishToken = v;
        break;
      }
      case '--cors-origin': origins.push(value()); break;
      case '--cors-credentials': credentials = true; break;
      case '--fault': faults.push(value()); break;
      case '--allow-request-faults': options.allowRequestFaults = true; break;
      case '--quiet': quiet = true; break;
      case '--http2': options.http2 = true; break;
      case '--tls-cert': tlsCert = readPem(arg, value()); break;
      case '--tls-key': tlsKey = readPem(arg, value()); break;
      case '--redis': {
        const v = value();
        if (!/^rediss?:\/\/[^\s]+$/.test(v)) throw new UsageError(`--redis needs redis://host:port[/db], got ${JSON.stringify(v.slice(0, 100))}`);
        redis = { url: v };
        break;
      }
      case '--amqp': amqpUrl = value(); break;
      case '--amqp-exchange': amqpExchange = value(); break;
      case '--redis-prefix': {
        const v = value();
        if (!/^[A-Za-z0-9._~:-]{1,64}$/.test(v)) throw new UsageError('--redis-prefix: 1-64 of A-Z a-z 0-9 . _ ~ : -');
        redisPrefix = v;
        break;
      }
      default: throw new UsageError(`serve: unknown option ${arg}`);
    }
  }
  if (redisPrefix !== undefined && !redis) throw new UsageError('--redis-prefix needs --redis');
  if ((amqpUrl === undefined) !== (amqpExchange === undefined)) throw new UsageError('--amqp and --amqp-exchange go together');
  if (amqpUrl !== undefined && amqpExchange !== undefined) {
    try {
      new AmqpBridge({ url: amqpUrl, exchange: amqpExchange }); // validates the URL and name (connects later)
    } catch (error) {
      throw new UsageError(`--amqp: ${(error as Error).message}`);
    }
    amqp = { url: amqpUrl, exchange: amqpExchange };
  }
  if (redis && redisPrefix !== undefined) redis.prefix = redisPrefix;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (tlsCert !== undefined && tlsKey !== undefined) options.tls = { cert: tlsCert, key: tlsKey };
  if (Object.keys(tokens).length > 0) options.auth = { tokens };
  if (origins.length > 0) options.cors = { origins, credentials };
  else if (credentials) throw new UsageError('--cors-credentials needs at least one --cors-origin');
  try {
    options.faults = parseFaults(faults);
  } catch (error) {
    if (error instanceof UnknownFaultError) throw new UsageError(error.message);
    throw error;
  }
  return { options, quiet, redis, amqp };
}

export const command: Command = {
  summary: 'run the reference SSE server (channels, replay, auth, CORS, fault switches)',
  usage,
  async run(args) {
    const { options, quiet, redis, amqp } = parseServeArgs(args);
    const log: ReferenceServerOptions['log'] = quiet ? undefined : (e) => process.stderr.write(`${new Date().toISOString()} ${e.level} ${e.msg}${e.method ? ` ${e.method}` : ''}${e.channel ? ` channel=${e.channel}` : ''}${e.status ? ` status=${e.status}` : ''}${e.detail ? ` (${e.detail})` : ''}\n`);
    let store: RedisReplayLog | undefined;
    if (redis) {
      try {
        store = await RedisReplayLog.connect({ url: redis.url, prefix: redis.prefix, replay: options.replay, log: (level, msg) => log?.({ level, msg }) });
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(`--redis: ${error.message}`);
        process.stderr.write(`sse-conformance serve: cannot use Redis at ${redactUrl(redis.url)}: ${(error as Error).message}\n`);
        return 2;
      }
    }
    const bridges = amqp ? [new AmqpBridge({ ...amqp, log: (level, msg) => log?.({ level, msg }) })] : [];
    let server;
    try {
      server = await createReferenceServer({ ...options, store, log, bridges });
    } catch (error) {
      await store?.close();
      if (amqp && /AMQP|ECONNREFUSED|ACCESS_REFUSED|ENOTFOUND/.test(String((error as Error).message) + String((error as NodeJS.ErrnoException).code))) {
        process.stderr.write(`sse-conformance serve: cannot use the AMQP broker at ${redactUrl(amqp.url)}: ${(error as Error).message}\n`);
        return 2;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        process.stderr.write(`sse-conformance serve: cannot listen on ${options.host}:${options.port}: ${code}\n`);
        return 2;
      }
      if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(error.message);
      // A certificate or key OpenSSL cannot use (wrong file, mismatched pair) is the user's to fix.
      if (options.tls && /^ERR_OSSL|^ERR_TLS/.test(code ?? '')) throw new UsageError(`--tls-cert/--tls-key: ${(error as Error).message}`);
      throw error;
    }
    process.stdout.write(`${server.url}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    process.stderr.write(`sse-conformance serve: ${signal}, ending open streams\n`);
    await server.close();
    await store?.close();
    return 0;
  },
};
