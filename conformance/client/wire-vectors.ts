/**
 * The parser vectors (fixtures/vectors) delivered over the wire to a real client, with
 * adversarial chunking: every CR ends a chunk (so CRLF pairs and CR-at-chunk-end are split),
 * every multi-byte character and the BOM are split after their first byte, plus the vector's own
 * split points. One case per vector file (`client.vectors.<area>`), one check per vector, each
 * vector on its own connection. Vectors that start from a reconnected state (initialLastEventId)
 * cannot be set up on a fresh client and are left out (listed in the case's evidence).
 */
import type { CheckResult, Evidence } from '../model.ts';
import type { CaseOutcome, RunnableCase } from '../runner.ts';
import { loadVectorFiles, vectorBytes, type Vector } from '../../fixtures/vectors/load.ts';
import type { PlaybackChunk } from '../../reference/server/playback.ts';
import { findRequirement } from '../../spec/requirements.ts';
import { runScenario } from './run.ts';
import type { Scenario } from './scenario.ts';
import type { ClientContext } from './suite.ts';

/** Split points: the vector's own, after every CR, inside every multi-byte sequence. Empty chunks are dropped (a zero-length write ends a chunked body). */
export function adversarialChunks(bytes: Uint8Array, own: readonly number[] = []): PlaybackChunk[] {
  const points = new Set<number>(own.filter((p) => p > 0 && p < bytes.length));
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0d && i + 1 < bytes.length) points.add(i + 1);
    if (b >= 0xc0 && i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80) points.add(i + 1); // after a lead byte
  }
  const sorted = [...points].sort((a, b) => a - b);
  const chunks: PlaybackChunk[] = [];
  let start = 0;
  for (const end of [...sorted, bytes.length]) {
    if (end <= start) continue;
    // A chunk that starts with the LF of a split CRLF waits long enough to arrive as its own read.
    const crlfSplit = start > 0 && bytes[start - 1] === 0x0d && bytes[start] === 0x0a;
    chunks.push({ hex: Buffer.from(bytes.subarray(start, end)).toString('hex'), delayMs: start === 0 ? 0 : crlfSplit ? 150 : 3 });
    start = end;
  }
  return chunks;
}

/** How a vector went over the wire, for a finding: the chunk sizes, and the empty chunks HTTP/1.1 cannot carry. */
export function deliveryOf(vector: Vector): string {
  const bytes = vectorBytes(vector);
  const sizes = adversarialChunks(bytes, vector.chunks).map((c) => (c.hex?.length ?? 0) / 2);
  const own = vector.chunks ?? [];
  const empty = own.some((p, i) => p === 0 || p === bytes.length || (i > 0 && p === own[i - 1]));
  return `sent in ${sizes.length} chunk${sizes.length === 1 ? '' : 's'} of ${sizes.join('+')} bytes${empty ? ' (the vector\'s empty chunks were not sent: a zero-length chunk ends an HTTP/1.1 chunked body)' : ''}`;
}

/**
 * Event types a client must listen for to see every event this body could produce (right or
 * wrong). A listener only hears its exact type, so the usual manglings of each type are listened
 * for too: an event a client dispatched under a mangled type then shows as that type (Firefox:
 * `a\0b` as `ab`), not as "no events".
 */
export function eventTypesIn(vector: Vector, bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  const types = new Set<string>();
  const add = (t: string) => {
    // NUL dropped; whitespace trimmed; the one space after the colon kept.
    for (const v of [t, t.replace(/\0/g, ''), t.trim(), ` ${t}`]) types.add(v);
  };
  for (const e of vector.events) add(e.type);
  for (const m of text.matchAll(/(?:^|[\r\n])\uFEFF?event:? ?([^\r\n]*)/g)) if (m[1]) add(m[1]);
  types.delete('message');
  return [...types].filter((t) => t.length > 0);
}

export function vectorScenario(vector: Vector, area: string): Scenario {
  const bytes = vectorBytes(vector);
  const requirementIds = vector.requirements.filter((id) => findRequirement(id));
  return {
    id: `client.vectors.${area}`,
    title: vector.id,
    area: 'parse',
    requirementIds: requirementIds.length ? requirementIds : ['PARSE-CHUNK-INVARIANCE'],
    description: vector.description,
    expectation: '',
    // The body ends (EOF rules apply); the reconnection gets 204 so no connection lingers (browsers allow 6 per host).
    server: { responses: [{ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: adversarialChunks(bytes, vector.chunks), end: 'close' }], afterScript: { status: 204 } },
    until: vector.events.length ? { events: vector.events.length } : { requests: 1 },
    settleMs: vector.events.length ? 100 : 400,
    timeoutMs: 4000,
    client: { eventTypes: eventTypesIn(vector, bytes) },
    checks: [{ name: vector.id, kind: 'events', requirementIds: requirementIds.length ? requirementIds : ['PARSE-CHUNK-INVARIANCE'], events: vector.events, prefix: false }],
  };
}

/** One runnable case per vector file. */
export function vectorCases(): RunnableCase<ClientContext>[] {
  return loadVectorFiles().map((file) => {
    const eligible = file.vectors.filter((v) => !v.initialLastEventId);
    const skipped = file.vectors.filter((v) => v.initialLastEventId);
    const requirementIds = [...new Set(eligible.flatMap((v) => v.requirements).filter((id) => findRequirement(id)))];
    return {
      id: `client.vectors.${file.area}`,
      title: `Parser vectors over the wire: ${file.file} (${eligible.length} vectors, adversarial chunking)`,
      area: 'vectors',
      requirementIds,
      description: `Each vector of fixtures/vectors/${file.file} is served on its own connection, split after every CR, inside every multi-byte character and at the vector's own split points.`,
      expectation: 'The client dispatches exactly the vector\'s events (type, data, lastEventId).',
      // Per vector: the client's start (START_LIMIT_MS at most, seconds for a browser page under load) plus 4 s.
      timeoutMs: eligible.length * 8000 + 30_000,
      run: async (ctx: ClientContext, signal: AbortSignal): Promise<CaseOutcome> => (ctx.lock ? ctx.lock.run(false, () => playFile(ctx, signal)) : playFile(ctx, signal)),
    };
    async function playFile(ctx: ClientContext, signal: AbortSignal): Promise<CaseOutcome> {
        const checks: CheckResult[] = new Array(eligible.length);
        const evidence: Evidence[] = [];
        let next = 0;
        let stoppedEarly: string | undefined;
        const lane = async (): Promise<void> => {
          while (next < eligible.length && !signal.aborted) {
            const i = next++;
            const vector = eligible[i]!;
            const result = await runScenario(vectorScenario(vector, file.area), ctx.driver, ctx.server, ctx.epsilonMs, ctx.timeoutMultiplier);
            if (result.verdict === 'UNSUPPORTED' || result.verdict === 'ERROR' || result.verdict === 'TIMEOUT') {
              checks[i] = { name: vector.id, verdict: result.verdict, requirementIds: result.requirementIds, expected: 'a verdict', actual: result.reason ?? result.verdict };
              stoppedEarly ??= result.verdict === 'UNSUPPORTED' ? result.reason : undefined;
            } else {
              const check = result.checks[0]!;
              // A finding names how the bytes were cut: "no events" for a BOM split after its first
              // byte is not "no events" for a BOM sent whole.
              checks[i] = check.verdict === 'PASS' ? check : { ...check, actual: `${check.actual}; ${deliveryOf(vector)}` };
            }
            if (result.verdict !== 'PASS' && evidence.length < 40) {
              for (const e of result.evidence) evidence.push({ ...e, label: `${vector.id}: ${e.label}` });
            }
          }
        };
        // One vector at a time: the runner already runs files side by side up to the driver's width.
        await lane();
        if (stoppedEarly) return { verdict: 'UNSUPPORTED', reason: stoppedEarly, checks: checks.filter(Boolean), evidence };
        if (skipped.length) evidence.push({ kind: 'text', label: 'not delivered', text: `${skipped.map((v) => v.id).join(', ')}: need a reconnected starting state (initialLastEventId)` });
        return { checks: checks.filter(Boolean), evidence };
    }
  });
}
