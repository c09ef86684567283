/**
 * A replay store and live feed on Redis Streams, shared by every server instance that points at
 * the same Redis (`serve --redis redis://host:port[/db]`).
 *
 * Layout (prefix `sse` by default; `<c>` is the channel):
 * - `<p>:stream:<c>`: the channel's events, a Redis stream whose entry ids are `<seq>-0`; fields
 *   `t` (stored at, ms, Redis clock), `d` (data), `o` (origin instance), and when present `i` (the
 *   publisher's own id), `e` (event type), `k` (de-duplication key).
 * - `<p>:seq:<c>`: the channel's counter (INCR). Kept when the channel is closed, so ids never repeat.
 * - `<p>:ids:<c>`: hash `i:<publisher id>` → seq and `k:<dedupe key>` → seq for retained entries.
 * - `<p>:frames:<c>`: a list of the retained entries' complete frames, oldest first, appended and
 *   trimmed with the stream (so a replay is one LRANGE from the resumed position).
 * - `<p>:closed:<c>`: set once the channel is closed (DELETE on any instance).
 * - pub/sub `<p>:live:<c>`: every appended event (JSON), published by the same script that stores it.
 *
 * Ids: one Lua script increments the counter, appends, trims and publishes atomically, so seqs are
 * contiguous, unique and increasing per channel across instances, stream order is seq order, and
 * the pub/sub messages go out in seq order. The wire id of a server-assigned event is its seq
 * (decimal, so `check`'s ordering rule applies); any instance resolves any id from the stream.
 * Retention: at most `maxEvents` entries (`XTRIM MAXLEN`) and none older than `maxAgeMs`
 * (`XTRIM MINID` up to the first young entry; ages come from the entries' `t`, since the entry ids
 * are seqs, not times), applied on every append and read.
 *
 * Live events: pub/sub beside the stream (not a blocking XREAD per instance: one connection serves
 * every channel an instance watches, and a new watcher needs no interrupt). Pub/sub drops what is
 * sent while a connection is down, so the stream is the source of truth: each watched channel
 * remembers the last seq it delivered, a message whose seq skips ahead is preceded by the missing
 * range read from the stream, and after a reconnect (or any failed read) every watched channel is
 * caught up from the stream. Delivery per channel runs through one queue: in order, each seq once.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClientType } from '@redis/client';
import { encodeEvent } from '../encoder.ts';
import { PublishError } from './hub.ts';
import { DEFAULT_REPLAY_MAX_AGE_MS, DEFAULT_REPLAY_MAX_EVENTS, makeStoredEvent, type EventDraft, type FramesReplay, type LiveFeed, type LiveHandlers, type ReplayLimits, type ReplayLog, type ReplayResult, type StoredEvent } from './replay-log.ts';

export interface RedisStoreOptions {
  /** `redis://host:port[/db]` (also `rediss://`, credentials in the URL). */
  readonly url: string;
  /** Key prefix, so several deployments (or tests) can share one Redis. @defaultValue `'sse'` */
  readonly prefix?: string | undefined;
  readonly replay?: ReplayLimits | undefined;
  /** A command not answered within this counts as failed (publish → 503). @defaultValue 3000 */
  readonly commandTimeoutMs?: number | undefined;
  /** Time to reach Redis at start-up before {@link RedisReplayLog.connect} rejects. @defaultValue 5000 */
  readonly connectTimeoutMs?: number | undefined;
  /** Longest pause between reconnect attempts. @defaultValue 1000 */
  readonly maxReconnectDelayMs?: number | undefined;
  /** Diagnostics (connection lost / back, catch-up failures). */
  readonly log?: ((level: 'info' | 'warn' | 'error', message: string) => void) | undefined;
}

/** Shared Lua: drop entries beyond the count and older than the cutoff, forgetting their ids. */
const TRIM = `
local function forget(ids, entry)
  local f = entry[2]
  local seq = string.match(entry[1], '^(%d+)')
  for j = 1, #f, 2 do
    if f[j] == 'i' or f[j] == 'k' then
      local key = f[j] .. ':' .. f[j + 1]
      if redis.call('HGET', ids, key) == seq then redis.call('HDEL', ids, key) end
    end
  end
end
local function stamp(entry)
  local f = entry[2]
  for j = 1, #f, 2 do if f[j] == 't' then return tonumber(f[j + 1]) end end
  return 0
end
local function trimStream(stream, ids, maxEvents, cutoff)
  local excess = redis.call('XLEN', stream) - maxEvents
  if excess > 0 then
    for _, e in ipairs(redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)) do forget(ids, e) end
    redis.call('XTRIM', stream, 'MAXLEN', maxEvents)
  end
  while true do
    local batch = redis.call('XRANGE', stream, '-', '+', 'COUNT', 64)
    if #batch == 0 then return end
    for _, e in ipairs(batch) do
      if stamp(e) >= cutoff then
        redis.call('XTRIM', stream, 'MINID', e[1])
        return
      end
      forget(ids, e)
    end
    local last = tonumber(string.match(batch[#batch][1], '^(%d+)'))
    redis.call('XTRIM', stream, 'MINID', (last + 1) .. '-0')
  end
end
-- The frames list holds the retained entries' frames, oldest first: entries are appended together
-- and trimmed from the front only, so keeping the list's last XLEN items keeps the two aligned.
local function trim(stream, ids, list, maxEvents, cutoff)
  trimStream(stream, ids, maxEvents, cutoff)
  local n = redis.call('XLEN', stream)
  if n == 0 then redis.call('DEL', list) else redis.call('LTRIM', list, -n, -1) end
end
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Resolves an id to a retained seq (publisher ids first, latest wins; then a server-assigned seq). */
const LOOKUP = `
local function lookup(stream, ids, id)
  local s = redis.call('HGET', ids, 'i:' .. id)
  if s and #redis.call('XRANGE', stream, s .. '-0', s .. '-0') == 1 then return s end
  if #id <= 15 and string.match(id, '^[1-9][0-9]*$') then
    local e = redis.call('XRANGE', stream, id .. '-0', id .. '-0')
    if #e == 1 then
      local f = e[1][2]
      for j = 1, #f, 2 do if f[j] == 'i' then return nil end end
      return id
    end
  end
  return nil
end
`;

// KEYS: stream, seq, ids, closed, frames. ARGV: maxEvents, maxAgeMs, id, event, data, dedupeKey, live channel, origin, body.
// \`f\` holds the encoded frame without its id line (the id is the seq or \`i\`): replay writes it as is.
const APPEND = `${TRIM}
if redis.call('EXISTS', KEYS[4]) == 1 then return {-1} end
if ARGV[6] ~= '' then
  local prev = redis.call('HGET', KEYS[3], 'k:' .. ARGV[6])
  if prev then return {0, prev, redis.call('XRANGE', KEYS[1], prev .. '-0', prev .. '-0')} end
end
local t = now()
local seq = redis.call('INCR', KEYS[2])
local fields = {'t', t, 'd', ARGV[5], 'o', ARGV[8], 'f', ARGV[9]}
local msg = {s = seq, t = t, d = ARGV[5], o = ARGV[8]}
if ARGV[3] ~= '' then table.insert(fields, 'i'); table.insert(fields, ARGV[3]); msg.i = ARGV[3] end
if ARGV[4] ~= '' then table.insert(fields, 'e'); table.insert(fields, ARGV[4]); msg.e = ARGV[4] end
if ARGV[6] ~= '' then table.insert(fields, 'k'); table.insert(fields, ARGV[6]) end
redis.call('XADD', KEYS[1], seq .. '-0', unpack(fields))
redis.call('RPUSH', KEYS[5], 'id: ' .. (ARGV[3] ~= '' and ARGV[3] or seq) .. '\\n' .. ARGV[9])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], 'i:' .. ARGV[3], seq) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], 'k:' .. ARGV[6], seq) end
trim(KEYS[1], KEYS[3], KEYS[5], tonumber(ARGV[1]), t - tonumber(ARGV[2]))
redis.call('PUBLISH', ARGV[7], cjson.encode(msg))
return {seq, t}
`;

// KEYS: stream, ids, frames. ARGV: maxEvents, maxAgeMs, last event id.
const SINCE = `${TRIM}${LOOKUP}
trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]), now() - tonumber(ARGV[2]))
local seq = lookup(KEYS[1], KEYS[2], ARGV[3])
if seq then return {1, redis.call('XRANGE', KEYS[1], '(' .. seq .. '-0', '+'), tonumber(seq)} end
return {0, redis.call('XRANGE', KEYS[1], '-', '+')}
`;

// KEYS: stream, ids, frames. ARGV: maxEvents, maxAgeMs, last event id. The replay as frames, from
// the frames list (one LRANGE: several times faster than decoding 10,000 stream entries), or from the
// stream when the list is not aligned with it.
const FRAMES = `${TRIM}${LOOKUP}
trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]), now() - tonumber(ARGV[2]))
local seq = lookup(KEYS[1], KEYS[2], ARGV[3])
local n = redis.call('XLEN', KEYS[1])
if n > 0 and redis.call('LLEN', KEYS[3]) == n then
  local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  local firstSeq = tonumber(string.match(head[1], '^(%d+)'))
  local firstId = tostring(firstSeq)
  for j = 1, #head[2], 2 do if head[2][j] == 'i' then firstId = head[2][j + 1] end end
  local frames = redis.call('LRANGE', KEYS[3], seq and (tonumber(seq) - firstSeq + 1) or 0, -1)
  return {seq and 1 or 0, frames, firstSeq + n - 1, #frames, seq and tonumber(seq) or 0, firstId}
end
local entries = redis.call('XRANGE', KEYS[1], seq and ('(' .. seq .. '-0') or '-', '+')
local out = {}
local last = 0
local first = false
for _, e in ipairs(entries) do
  local f = e[2]
  local body, id, data, event
  for j = 1, #f, 2 do
    local k = f[j]
    if k == 'f' then body = f[j + 1] elseif k == 'i' then id = f[j + 1] elseif k == 'd' then data = f[j + 1] elseif k == 'e' then event = f[j + 1] end
  end
  local s = string.match(e[1], '^(%d+)')
  if not body then
    body = ''
    if event and event ~= '' then body = 'event: ' .. event .. '\\n' end
    for line in string.gmatch((data or '') .. '\\n', '([^\\n]*)\\n') do body = body .. 'data: ' .. line .. '\\n' end
    body = body .. '\\n'
  end
  out[#out + 1] = 'id: ' .. (id or s) .. '\\n' .. body
  if not first then first = id or s end
  last = tonumber(s)
end
return {seq and 1 or 0, out, last, #out, seq and tonumber(seq) or 0, first}
`;

// KEYS: stream, ids, frames. ARGV: maxEvents, maxAgeMs, id.
const FIND = `${TRIM}${LOOKUP}
trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]), now() - tonumber(ARGV[2]))
local seq = lookup(KEYS[1], KEYS[2], ARGV[3])
if seq then return redis.call('XRANGE', KEYS[1], seq .. '-0', seq .. '-0') end
return {}
`;

// KEYS: stream, ids, frames. ARGV: maxEvents, maxAgeMs, mode ('all' | 'size').
const READ = `${TRIM}
trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]), now() - tonumber(ARGV[2]))
if ARGV[3] == 'size' then return redis.call('XLEN', KEYS[1]) end
return redis.call('XRANGE', KEYS[1], '-', '+')
`;

// KEYS: stream, ids, closed, frames. ARGV: live channel. The counter stays: ids never repeat.
const CLOSE = `
redis.call('SET', KEYS[3], '1')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
redis.call('PUBLISH', ARGV[1], '{"c":1}')
return 1
`;

// KEYS: stream, ids. ARGV: keep closed flag? ('drop' only removes events).
const DROP = `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
`;

// KEYS: seq, closed. → {last seq, closed}
const WATCH = `
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('EXISTS', KEYS[2])}
`;

// KEYS: stream, closed. ARGV: after seq, before seq ('+' for no bound).
const RANGE = `
local upper = ARGV[2] == '+' and '+' or ('(' .. ARGV[2] .. '-0')
return {redis.call('EXISTS', KEYS[2]), redis.call('XRANGE', KEYS[1], '(' .. ARGV[1] .. '-0', upper)}
`;

type Script = 'append' | 'since' | 'frames' | 'find' | 'read' | 'close' | 'drop' | 'watch' | 'range';
const SCRIPTS: Record<Script, string> = { append: APPEND, since: SINCE, frames: FRAMES, find: FIND, read: READ, close: CLOSE, drop: DROP, watch: WATCH, range: RANGE };

type RawEntry = [string, string[]];

interface Watch {
  readonly handlers: LiveHandlers;
  readonly listener: (message: string) => void;
  /** Last seq delivered (or known at watch time). */
  last: number;
  /** Delivery queue: every step runs after the previous one. */
  chain: Promise<void>;
  catchUpTimer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/** Data a live message carries (see APPEND). */
interface LiveMessage {
  s?: number;
  t?: number;
  d?: string;
  o?: string;
  i?: string;
  e?: string;
  c?: number;
}

export class RedisReplayLog implements ReplayLog {
  readonly live: LiveFeed;
  readonly instanceId = randomBytes(6).toString('hex');
  readonly #cmd: RedisClientType;
  readonly #sub: RedisClientType;
  readonly #prefix: string;
  readonly #maxEvents: number;
  readonly #maxAgeMs: number;
  readonly #timeoutMs: number;
  readonly #log: NonNullable<RedisStoreOptions['log']>;
  readonly #watches = new Map<string, Watch>();
  readonly #sha = new Map<Script, string>();
  #closed = false;

  private constructor(cmd: RedisClientType, sub: RedisClientType, options: RedisStoreOptions) {
    this.#cmd = cmd;
    this.#sub = sub;
    this.#prefix = options.prefix ?? 'sse';
    this.#maxEvents = options.replay?.maxEvents ?? DEFAULT_REPLAY_MAX_EVENTS;
    this.#maxAgeMs = options.replay?.maxAgeMs ?? DEFAULT_REPLAY_MAX_AGE_MS;
    if (!Number.isSafeInteger(this.#maxEvents) || this.#maxEvents < 0) throw new RangeError(`replay maxEvents must be a non-negative integer, got ${String(options.replay?.maxEvents)}`);
    if (!(this.#maxAgeMs >= 0)) throw new RangeError(`replay maxAgeMs must be a non-negative number, got ${String(options.replay?.maxAgeMs)}`);
    this.#timeoutMs = options.commandTimeoutMs ?? 3000;
    this.#log = options.log ?? (() => {});
    const store = this;
    this.live = {
      get healthy() { return cmd.isReady && sub.isReady; },
      instanceId: this.instanceId,
      watch: (channel, handlers) => this.#watch(channel, handlers),
      unwatch: (channel) => this.#unwatch(channel),
      closeChannel: (channel) => store.#closeChannel(channel),
    };
    // After a reconnect, whatever pub/sub dropped meanwhile is read from the streams.
    // (Twice: 'ready' may come before the re-subscriptions are acknowledged; seqs make the second one free.)
    sub.on('ready', () => {
      for (const w of this.#watches.values()) this.#scheduleCatchUp(w, 50);
      setTimeout(() => {
        for (const w of this.#watches.values()) this.#scheduleCatchUp(w, 0);
      }, 1000).unref();
    });
  }

  /** Connects (two connections: commands, pub/sub); rejects when Redis is not reachable within `connectTimeoutMs`. */
  static async connect(options: RedisStoreOptions): Promise<RedisReplayLog> {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(`not a Redis URL: ${JSON.stringify(options.url.slice(0, 100))} (use redis://host:port[/db])`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError(`not a Redis URL: ${JSON.stringify(options.url.slice(0, 100))} (use redis://host:port[/db])`);
    if (options.prefix !== undefined && !/^[A-Za-z0-9._~:-]{1,64}$/.test(options.prefix)) throw new TypeError('Redis key prefix: 1-64 of A-Z a-z 0-9 . _ ~ : -');
    const { createClient } = await import('@redis/client');
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    const log = options.log ?? (() => {});
    const make = (role: string) => {
      const client = createClient({
        url: options.url,
        // Fail fast while disconnected: a publish answers 503 instead of hanging in a queue.
        disableOfflineQueue: true,
        socket: { connectTimeout: options.connectTimeoutMs ?? 5000, reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, maxDelay) },
      }) as unknown as RedisClientType;
      let down = false;
      // Without an error listener a dropped connection would crash the process.
      client.on('error', (error: Error) => {
        if (!down) log('warn', `redis ${role} connection: ${error.message}`);
        down = true;
      });
      client.on('ready', () => {
        if (down) log('info', `redis ${role} connection is back`);
        down = false;
      });
      return client;
    };
    const cmd = make('command');
    const sub = make('subscriber');
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all([cmd.connect(), sub.connect()]),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis at ${parsed.host} not reachable within ${timeoutMs} ms`)), timeoutMs); }),
      ]);
    } catch (error) {
      cmd.destroy();
      sub.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return new RedisReplayLog(cmd, sub, options);
  }

  #key(kind: string, channel: string): string {
    return `${this.#prefix}:${kind}:${channel}`;
  }

  /** Runs a script (EVALSHA, loading it after a Redis restart emptied the script cache), with a time limit. */
  async #run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.#closed) throw new Error('the Redis store is closed');
    const argv = args.map(String);
    const call = async (): Promise<unknown> => {
      const sha = this.#sha.get(script);
      if (sha !== undefined) {
        try {
          return await this.#cmd.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...argv]);
        } catch (error) {
          if (!/NOSCRIPT/.test((error as Error).message)) throw error;
        }
      }
      const loaded = await this.#cmd.sendCommand(['SCRIPT', 'LOAD', SCRIPTS[script]]);
      this.#sha.set(script, String(loaded));
      return this.#cmd.sendCommand(['EVALSHA', String(loaded), String(keys.length), ...keys, ...argv]);
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #entry(raw: RawEntry): StoredEvent {
    const [entryId, fields] = raw;
    let t = 0;
    let data = '';
    let origin: string | undefined;
    let id: string | undefined;
    let event: string | undefined;
    let key: string | undefined;
    let body: string | undefined;
    for (let j = 0; j + 1 < fields.length; j += 2) {
      const v = fields[j + 1]!;
      switch (fields[j]) {
        case 't': t = Number(v); break;
        case 'd': data = v; break;
        case 'o': origin = v; break;
        case 'i': id = v; break;
        case 'e': event = v; break;
        case 'k': key = v; break;
        case 'f': body = v; break;
      }
    }
    const seq = Number.parseInt(entryId, 10);
    if (body === undefined) return makeStoredEvent(seq, { id, event, data, dedupeKey: key }, t, origin);
    // The stored frame: only the id line is added (replay of 10,000 events encodes nothing).
    const wireId = id ?? String(seq);
    return { seq, id: wireId, assignedId: id === undefined, event: event === '' ? undefined : event, data, storedAt: t, frame: Buffer.from(`id: ${wireId}\n${body}`, 'utf8'), origin, dedupeKey: key };
  }

  #entries(raw: unknown): StoredEvent[] {
    return Array.isArray(raw) ? (raw as RawEntry[]).map((e) => this.#entry(e)) : [];
  }

  async append(channel: string, draft: EventDraft): Promise<StoredEvent> {
    const reply = await this.#run('append', [this.#key('stream', channel), this.#key('seq', channel), this.#key('ids', channel), this.#key('closed', channel), this.#key('frames', channel)],
      [this.#maxEvents, this.#maxAgeMs, draft.id ?? '', draft.event ?? '', draft.data, draft.dedupeKey ?? '', this.#key('live', channel), this.instanceId,
        encodeEvent({ event: draft.event, data: draft.data })]) as unknown[];
    const head = Number(reply[0]);
    if (head === -1) {
      throw new PublishError('SSEC_ERR_CHANNEL_CLOSED', 410, `channel ${JSON.stringify(channel)} is closed`);
    }
    if (head === 0) {
      // Already stored under this de-duplication key: the stored event, not a second one.
      const existing = this.#entries(reply[2])[0];
      return existing ?? makeStoredEvent(Number(reply[1]), draft, Date.now(), this.instanceId);
    }
    return makeStoredEvent(head, draft, Number(reply[1]), this.instanceId);
  }

  async since(channel: string, lastEventId: string): Promise<ReplayResult> {
    const reply = await this.#run('since', [this.#key('stream', channel), this.#key('ids', channel), this.#key('frames', channel)], [this.#maxEvents, this.#maxAgeMs, lastEventId]) as unknown[];
    const events = this.#entries(reply[1]);
    if (Number(reply[0]) === 1) return { events, afterSeq: Number(reply[2]) };
    return { events, gap: { requested: lastEventId, oldestRetained: events[0]?.id ?? null } };
  }

  async replayFrames(channel: string, lastEventId: string): Promise<FramesReplay> {
    const reply = await this.#run('frames', [this.#key('stream', channel), this.#key('ids', channel), this.#key('frames', channel)], [this.#maxEvents, this.#maxAgeMs, lastEventId]) as unknown[];
    const frames = Buffer.from(Array.isArray(reply[1]) ? (reply[1] as string[]).join('') : '', 'utf8');
    const base = { frames, lastSeq: Number(reply[2]), count: Number(reply[3]) };
    if (Number(reply[0]) === 1) return { ...base, afterSeq: Number(reply[4]) };
    const first = reply[5];
    return { ...base, gap: { requested: lastEventId, oldestRetained: typeof first === 'string' ? first : typeof first === 'number' ? String(first) : null } };
  }

  async find(channel: string, id: string): Promise<StoredEvent | undefined> {
    const reply = await this.#run('find', [this.#key('stream', channel), this.#key('ids', channel), this.#key('frames', channel)], [this.#maxEvents, this.#maxAgeMs, id]);
    return this.#entries(reply)[0];
  }

  async all(channel: string): Promise<readonly StoredEvent[]> {
    return this.#entries(await this.#run('read', [this.#key('stream', channel), this.#key('ids', channel), this.#key('frames', channel)], [this.#maxEvents, this.#maxAgeMs, 'all']));
  }

  async size(channel: string): Promise<number> {
    return Number(await this.#run('read', [this.#key('stream', channel), this.#key('ids', channel), this.#key('frames', channel)], [this.#maxEvents, this.#maxAgeMs, 'size']));
  }

  async drop(channel: string): Promise<void> {
    await this.#run('drop', [this.#key('stream', channel), this.#key('ids', channel), this.#key('frames', channel)], []);
  }

  async #closeChannel(channel: string): Promise<void> {
    await this.#run('close', [this.#key('stream', channel), this.#key('ids', channel), this.#key('closed', channel), this.#key('frames', channel)], [this.#key('live', channel)]);
  }

  async #watch(channel: string, handlers: LiveHandlers): Promise<{ closed: boolean }> {
    if (this.#watches.has(channel)) throw new Error(`channel ${channel} is already watched`);
    let ready!: () => void;
    const w: Watch = {
      handlers,
      last: 0,
      chain: new Promise<void>((resolve) => { ready = resolve; }),
      catchUpTimer: undefined,
      stopped: false,
      listener: (message: string) => this.#onMessage(w, channel, message),
    };
    this.#watches.set(channel, w);
    try {
      if (!this.#sub.isReady) throw new Error('Redis subscriber connection is down');
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.#sub.subscribe(this.#key('live', channel), w.listener),
          new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`Redis did not confirm SUBSCRIBE within ${this.#timeoutMs} ms`)), this.#timeoutMs); }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      const reply = await this.#run('watch', [this.#key('seq', channel), this.#key('closed', channel)], []) as unknown[];
      w.last = Number(reply[0]);
      ready();
      return { closed: Number(reply[1]) === 1 };
    } catch (error) {
      w.stopped = true;
      ready();
      if (this.#watches.get(channel) === w) this.#watches.delete(channel);
      this.#sub.unsubscribe(this.#key('live', channel), w.listener).catch(() => undefined);
      throw error;
    }
  }

  #unwatch(channel: string): void {
    const w = this.#watches.get(channel);
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.catchUpTimer);
    this.#watches.delete(channel);
    if (this.#sub.isReady) this.#sub.unsubscribe(this.#key('live', channel), w.listener).catch(() => undefined);
  }

  #onMessage(w: Watch, channel: string, message: string): void {
    let m: LiveMessage;
    try {
      m = JSON.parse(message) as LiveMessage;
    } catch {
      this.#log('warn', `ignored a malformed live message on ${channel}`);
      return;
    }
    if (m.c === 1) {
      w.chain = w.chain.then(() => { if (!w.stopped) w.handlers.closed(); });
      return;
    }
    if (typeof m.s !== 'number' || typeof m.d !== 'string') return;
    const event = makeStoredEvent(m.s, { id: m.i, event: m.e, data: m.d }, m.t ?? Date.now(), m.o);
    w.chain = w.chain.then(async () => {
      if (w.stopped || event.seq <= w.last) return;
      if (event.seq > w.last + 1) {
        // Pub/sub lost something (a reconnect): read the missing range from the stream first.
        try {
          await this.#fill(w, channel, event.seq);
        } catch (error) {
          this.#log('warn', `catch-up of ${channel} failed (${(error as Error).message}); retrying`);
          this.#scheduleCatchUp(w, 250, channel);
          return;
        }
      }
      this.#deliver(w, event);
    });
  }

  #deliver(w: Watch, event: StoredEvent): void {
    if (w.stopped || event.seq <= w.last) return;
    w.last = event.seq;
    try {
      w.handlers.event(event);
    } catch (error) {
      this.#log('error', `live handler failed: ${(error as Error).message}`);
    }
  }

  /** Delivers the stream's events after `w.last` (and before `before`, when given). */
  async #fill(w: Watch, channel: string, before?: number): Promise<void> {
    const reply = await this.#run('range', [this.#key('stream', channel), this.#key('closed', channel)], [w.last, before === undefined ? '+' : before]) as unknown[];
    for (const e of this.#entries(reply[1])) this.#deliver(w, e);
    if (before === undefined && Number(reply[0]) === 1 && !w.stopped) w.handlers.closed();
  }

  #scheduleCatchUp(w: Watch, delayMs: number, channel?: string): void {
    if (w.stopped || w.catchUpTimer) return;
    const name = channel ?? [...this.#watches.entries()].find(([, x]) => x === w)?.[0];
    if (name === undefined) return;
    w.catchUpTimer = setTimeout(() => {
      w.catchUpTimer = undefined;
      w.chain = w.chain.then(async () => {
        if (w.stopped) return;
        try {
          await this.#fill(w, name);
        } catch (error) {
          this.#log('warn', `catch-up of ${name} failed (${(error as Error).message}); retrying`);
          this.#scheduleCatchUp(w, 250, name);
        }
      });
    }, delayMs);
    w.catchUpTimer.unref();
  }

  /** Closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const channel of [...this.#watches.keys()]) this.#unwatch(channel);
    await Promise.all([this.#cmd, this.#sub].map(async (c) => {
      try {
        if (c.isOpen) await c.close();
      } catch {
        c.destroy();
      }
    }));
  }
}
