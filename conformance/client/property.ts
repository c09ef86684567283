/**
 * The generated scenario `client.parse.generated-streams`: fast-check builds event sequences
 * (ids incl. resets, types, multi-line data with non-ASCII text, comments, mixed line endings)
 * and chunkings (split anywhere: inside CRLF, inside multi-byte characters, one byte per chunk),
 * the playback server delivers them, and the client must show exactly the events the model
 * predicts. Seeded and bounded; on failure fast-check shrinks (each shrink step is a real run,
 * within a time budget) and the smallest counterexample is reported as evidence.
 *
 * The expected events come from the generating model, not from our parser.
 */
import fc from 'fast-check';
import type { CaseResult, CheckResult, Evidence } from '../model.ts';
import type { PlaybackChunk, PlaybackServer } from '../../reference/server/playback.ts';
import type { ClientDriver } from './driver.ts';
import { runScenario } from './run.ts';
import type { ExpectedEvent, Scenario } from './scenario.ts';

export const PROPERTY_SCENARIO_ID = 'client.parse.generated-streams';
const TYPES = ['message', 'a', 'b'] as const;
const REQUIREMENTS = ['PARSE-CHUNK-INVARIANCE', 'PARSE-CRLF-SPLIT-CHUNK', 'PARSE-STREAMING-DECODE', 'PARSE-MIXED-LINE-ENDS', 'FIELD-ID-PERSISTS', 'FIELD-ID-EMPTY-RESETS', 'DISPATCH-IN-ORDER'];

interface GenEvent {
  readonly id: string | null; // null: no id line; '': reset
  readonly type: (typeof TYPES)[number] | null;
  readonly data: readonly string[];
  readonly comment: string | null;
}
interface GenStream {
  readonly events: readonly GenEvent[];
  readonly endings: readonly ('\n' | '\r' | '\r\n')[];
  readonly splits: readonly number[];
}

const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', 'é', '€', '😀', '\u2028', '\u0000'), maxLength: 6 });
const genEvent: fc.Arbitrary<GenEvent> = fc.record({
  id: fc.option(fc.constantFrom('', '1', '2', 'x€'), { nil: null }),
  type: fc.option(fc.constantFrom(...TYPES), { nil: null }),
  data: fc.array(text, { minLength: 1, maxLength: 3 }),
  comment: fc.option(text, { nil: null }),
});
export const genStream: fc.Arbitrary<GenStream> = fc.record({
  events: fc.array(genEvent, { minLength: 1, maxLength: 5 }),
  endings: fc.array(fc.constantFrom('\n' as const, '\r' as const, '\r\n' as const), { minLength: 1, maxLength: 4 }),
  splits: fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 12 }),
});

/** The body bytes and the events a conforming client shows, from the model. */
export function materialize(stream: GenStream): { bytes: Uint8Array; expected: ExpectedEvent[] } {
  let body = '';
  let line = 0;
  let previous = '';
  // A lone CR followed by an empty line ending in LF would read as one CRLF: the model avoids
  // writing that (it would be a different stream than the one it describes).
  const end = (emptyLine = false): string => {
    let ending: string = stream.endings[line++ % stream.endings.length]!;
    if (emptyLine && previous === '\r' && ending.startsWith('\n')) ending = '\r';
    previous = ending;
    return ending;
  };
  let lastId = '';
  const expected: ExpectedEvent[] = [];
  for (const e of stream.events) {
    if (e.comment !== null) body += `:${e.comment.replace(/\0/g, '')}${end()}`;
    if (e.id !== null) body += `id: ${e.id}${end()}`;
    if (e.type !== null) body += `event: ${e.type}${end()}`;
    for (const d of e.data) body += `data: ${d}${end()}`;
    body += end(true);
    if (e.id !== null) lastId = e.id;
    expected.push({ type: e.type ?? 'message', data: e.data.join('\n'), lastEventId: lastId });
  }
  // A final comment line makes a trailing CR unambiguous without needing the connection to end.
  body += `: end\n`;
  return { bytes: new TextEncoder().encode(body), expected };
}

/** Chunks at the generated split points; a chunk that starts with LF right after a CR waits long enough to stay a separate read. */
export function chunk(bytes: Uint8Array, splits: readonly number[]): PlaybackChunk[] {
  const points = [...new Set(splits.map((s) => s % (bytes.length + 1)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const chunks: PlaybackChunk[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    const piece = bytes.subarray(start, p);
    const crlfSplit = start > 0 && bytes[start - 1] === 0x0d && bytes[start] === 0x0a;
    chunks.push({ hex: Buffer.from(piece).toString('hex'), delayMs: start === 0 ? 0 : crlfSplit ? 150 : 5 });
    start = p;
  }
  return chunks;
}

function scenarioFor(stream: GenStream): Scenario {
  const { bytes, expected } = materialize(stream);
  return {
    id: PROPERTY_SCENARIO_ID,
    title: 'Generated event sequences over generated chunkings',
    area: 'parse',
    requirementIds: REQUIREMENTS,
    description: '',
    expectation: '',
    server: { responses: [{ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: chunk(bytes, stream.splits), end: 'hang' }] },
    until: { events: expected.length },
    settleMs: 100,
    timeoutMs: 4000,
    client: { eventTypes: ['a', 'b'] },
    checks: [{ name: 'events', kind: 'events', requirementIds: REQUIREMENTS, events: expected }],
  };
}

export interface PropertyOptions {
  readonly seed: number;
  /** Generated streams to try. @defaultValue 8 */
  readonly numRuns?: number | undefined;
  /** Time budget for shrinking after a failure (ms). @defaultValue 20000 */
  readonly shrinkBudgetMs?: number | undefined;
}

/** Runs the generated scenario; returns one CaseResult (counterexample and seed in the evidence). */
export async function runPropertyScenario(driver: ClientDriver, server: PlaybackServer, options: PropertyOptions): Promise<CaseResult> {
  const started = performance.now();
  const numRuns = options.numRuns ?? 8;
  let lastFailure: CaseResult | undefined;
  let runs = 0;
  let unsupportedOrError: CaseResult | undefined;
  const property = fc.asyncProperty(genStream, async (stream) => {
    if (unsupportedOrError) return true; // the driver cannot run it: stop spending time
    runs++;
    const result = await runScenario(scenarioFor(stream), driver, server, 30);
    if (result.verdict === 'UNSUPPORTED' || result.verdict === 'ERROR' || result.verdict === 'TIMEOUT') {
      unsupportedOrError = result;
      return true;
    }
    if (result.verdict !== 'PASS') {
      lastFailure = result;
      return false;
    }
    return true;
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns,
    interruptAfterTimeLimit: options.shrinkBudgetMs ?? 20_000,
    markInterruptAsFailure: false,
  });
  const info = {
    id: PROPERTY_SCENARIO_ID,
    title: 'Generated event sequences over generated chunkings (fast-check)',
    area: 'parse',
    requirementIds: REQUIREMENTS,
    description: `fast-check (seed ${options.seed}, ${numRuns} runs) generates 1-5 events (ids incl. empty resets, types message/a/b, 1-3 data lines with non-ASCII, NUL and U+2028, comments), LF/CR/CRLF endings and up to 12 split points; each stream is served with those chunk boundaries.`,
    expectation: 'The client shows exactly the events the model predicts for every generated stream.',
  };
  const durationMs = Math.round(performance.now() - started);
  if (unsupportedOrError) return { ...unsupportedOrError, ...info, durationMs };
  const evidence: Evidence[] = [{ kind: 'text', label: 'property run', text: `seed ${options.seed}, ${runs} real runs (incl. shrinking), ${details.numRuns} generated case(s) passed before the result${details.interrupted ? ', shrinking interrupted by the time budget' : ''}` }];
  if (!details.failed) {
    const check: CheckResult = { name: 'events', verdict: 'PASS', requirementIds: REQUIREMENTS, expected: 'the model\'s events for every generated stream', actual: `${details.numRuns} generated stream(s) matched` };
    return { ...info, verdict: 'PASS', checks: [check], evidence, measurements: [{ name: 'generated-runs', value: runs, unit: 'count' }], durationMs };
  }
  const counterexample = details.counterexample?.[0] as GenStream | undefined;
  const shown = counterexample ? materialize(counterexample) : undefined;
  evidence.push({
    kind: 'counterexample',
    label: 'smallest counterexample (after shrinking)',
    text: counterexample
      ? `body: ${JSON.stringify(new TextDecoder().decode(shown!.bytes))}\nchunks: ${JSON.stringify(chunk(shown!.bytes, counterexample.splits).map((c) => Buffer.from(c.hex!, 'hex').toString('utf8')))}\nreplay: --seed ${options.seed}${details.counterexamplePath ? ` (path ${details.counterexamplePath})` : ''}`
      : 'no counterexample recorded',
    data: counterexample,
  });
  const failure = lastFailure;
  const check: CheckResult = failure?.checks.find((c) => c.verdict !== 'PASS') ?? { name: 'events', verdict: 'FAIL', requirementIds: REQUIREMENTS, expected: 'the model\'s events', actual: String(details.errorInstance ?? 'mismatch') };
  return {
    ...info,
    verdict: check.verdict,
    reason: `counterexample: ${check.name}: expected ${check.expected}; got ${check.actual}`,
    checks: [check],
    evidence: [...evidence, ...(failure?.evidence ?? [])],
    measurements: [{ name: 'generated-runs', value: runs, unit: 'count' }],
    durationMs,
  };
}
