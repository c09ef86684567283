/**
 * Runs parser test vectors through an external adapter command (the protocol is documented in
 * fixtures/vectors/README.md): one JSON request line per vector on the adapter's stdin, one JSON
 * answer line on its stdout. Every wait has a time limit; a crash, a hang or garbage output costs
 * only the vector in flight (ERROR/TIMEOUT) and the adapter is restarted for the next one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ExpectedEvent, Vector } from '../../fixtures/vectors/load.ts';
import { vectorChunks } from '../../fixtures/vectors/load.ts';
import type { Verdict } from '../model.ts';

export type VectorVerdict = Extract<Verdict, 'PASS' | 'FAIL' | 'ERROR' | 'TIMEOUT'>;

/** What an adapter reported for one vector (already checked for shape). */
export interface AdapterAnswer {
  readonly events: readonly ExpectedEvent[];
  /** Undefined when the adapter reported only the final `retry`. */
  readonly retries?: readonly number[] | undefined;
  readonly retry: number | null;
  readonly lastEventId: string;
}

export interface VectorResult {
  readonly id: string;
  readonly requirements: readonly string[];
  readonly verdict: VectorVerdict;
  /** One line per differing part (FAIL) or the reason (ERROR/TIMEOUT); empty for PASS. */
  readonly problems: readonly string[];
  readonly actual?: AdapterAnswer | undefined;
  readonly durationMs: number;
}

export interface AdapterRunOptions {
  /** Shell command line that starts the adapter (run with `sh -c`). */
  readonly command: string;
  /** Per-vector time limit for an answer. */
  readonly timeoutMs: number;
  /** Extra time for the first answer of a freshly started adapter process (start-up is not the parser's time). */
  readonly startupTimeoutMs: number;
  /** One adapter process per vector instead of one long-lived process. */
  readonly perVector: boolean;
  readonly cwd?: string | undefined;
  /** Called after each vector (for progress output). */
  readonly onResult?: ((result: VectorResult) => void) | undefined;
}

export interface AdapterRun {
  readonly results: readonly VectorResult[];
  /** Set when the adapter never worked (cannot start, or its first attempts gave no valid answer). */
  readonly unusable?: string | undefined;
}

/** Attempts from the start without one valid answer after which the adapter counts as unusable. */
const ATTEMPTS_BEFORE_UNUSABLE = 3;
const STDERR_TAIL_BYTES = 2048;
/** More unread adapter output than this is a runaway adapter, not an answer (the largest real answer is ~100 KiB). */
const MAX_BUFFERED_OUTPUT = 16 * 1024 * 1024;

/** Adapters still running; killed if the harness process exits first (they live in their own process groups). */
const live = new Set<AdapterProcess>();
let exitHookInstalled = false;

/** The request line for a vector. */
export function adapterRequest(vector: Vector): string {
  return `${JSON.stringify({
    id: vector.id,
    chunks: vectorChunks(vector).map((c) => Buffer.from(c).toString('base64')),
    initialLastEventId: vector.initialLastEventId ?? '',
  })}\n`;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function isEvent(value: unknown): value is ExpectedEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return typeof e.type === 'string' && typeof e.data === 'string' && typeof e.lastEventId === 'string';
}

const isRetryValue = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks one answer line; returns the answer, the adapter's own error, or a protocol problem. */
export function readAnswer(line: string, id: string): { answer: AdapterAnswer } | { adapterError: string } | { protocolError: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { protocolError: `adapter wrote a line that is not JSON: ${describeValue(line)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { protocolError: `adapter answer is not a JSON object: ${describeValue(parsed)}` };
  const a = parsed as Record<string, unknown>;
  if (a.id !== id) return { protocolError: `adapter answered id ${describeValue(a.id)} to request ${JSON.stringify(id)}` };
  if (a.error !== undefined) return { adapterError: `adapter reported an error: ${typeof a.error === 'string' ? a.error : describeValue(a.error)}` };
  if (!Array.isArray(a.events) || !a.events.every(isEvent)) return { protocolError: `adapter answer needs "events": [{"type","data","lastEventId"} strings], got ${describeValue(a.events)}` };
  if (typeof a.lastEventId !== 'string') return { protocolError: `adapter answer needs "lastEventId" (string), got ${describeValue(a.lastEventId)}` };
  let retries: number[] | undefined;
  let retry: number | null;
  if (a.retries !== undefined) {
    if (!Array.isArray(a.retries) || !a.retries.every(isRetryValue)) return { protocolError: `adapter answer "retries" must be an array of non-negative numbers, got ${describeValue(a.retries)}` };
    retries = a.retries;
    retry = retries.length > 0 ? retries[retries.length - 1]! : null;
  } else if (a.retry === null || isRetryValue(a.retry)) {
    retry = a.retry;
  } else {
    return { protocolError: `adapter answer needs "retries" (array) or "retry" (number or null), got ${describeValue(a.retry)}` };
  }
  return { answer: { events: a.events, retries, retry, lastEventId: a.lastEventId } };
}

/** The differences between a vector's expectations and an answer (empty = PASS). */
export function compareAnswer(vector: Vector, answer: AdapterAnswer): string[] {
  const problems: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(vector.events, answer.events)) {
    const firstDiff = vector.events.findIndex((e, i) => !same(e, answer.events[i]));
    const at = firstDiff === -1 ? vector.events.length : firstDiff;
    const firstExpected = vector.events[at] === undefined ? 'no event' : describeValue(vector.events[at]);
    const firstActual = answer.events[at] === undefined ? 'no event' : describeValue(answer.events[at]);
    problems.push(`events differ at index ${at}: expected ${firstExpected}, actual ${firstActual} (${vector.events.length} expected, ${answer.events.length} received)\n  expected ${describeValue(vector.events)}\n  actual   ${describeValue(answer.events)}`);
  }
  if (vector.retry !== answer.retry) problems.push(`retry: expected ${String(vector.retry)}, actual ${String(answer.retry)}`);
  if (vector.retries !== undefined && answer.retries !== undefined && !same(vector.retries, answer.retries)) {
    problems.push(`retries: expected ${describeValue(vector.retries)}, actual ${describeValue(answer.retries)}`);
  }
  if (vector.lastEventId !== answer.lastEventId) problems.push(`lastEventId: expected ${describeValue(vector.lastEventId)}, actual ${describeValue(answer.lastEventId)}`);
  return problems;
}

type Waited = { line: string } | { exited: string } | { timedOut: true };

/** One running adapter process with a line reader on its stdout. */
class AdapterProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  /** The unterminated tail of stdout, in pieces. */
  private partialPieces: string[] = [];
  private buffered = 0;
  private stderrTail = '';
  private exitReason: string | undefined;
  /** Resolves when stdout and stderr have closed (all output delivered). */
  private readonly outputClosed: Promise<void>;
  private wake: (() => void) | undefined;

  constructor(command: string, cwd: string | undefined) {
    // Own process group (detached) so a hung adapter and its children can be killed together.
    this.child = spawn('sh', ['-c', command], { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => {
      this.buffered += text.length;
      if (this.buffered > MAX_BUFFERED_OUTPUT) {
        this.exitReason ??= `adapter wrote more than ${MAX_BUFFERED_OUTPUT} characters without being asked (runaway output)`;
        this.lines.length = 0;
        this.partialPieces = [];
        this.kill();
        this.wake?.();
        return;
      }
      if (!text.includes('\n')) {
        this.partialPieces.push(text); // joined only once a line end arrives (no quadratic copying)
        return;
      }
      this.partialPieces.push(text);
      const parts = this.partialPieces.join('').split('\n');
      this.partialPieces = [parts.pop()!];
      for (const part of parts) this.lines.push(part.endsWith('\r') ? part.slice(0, -1) : part);
      this.wake?.();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    this.child.stdin!.on('error', () => {}); // EPIPE when the adapter died; reported through 'exit'
    this.child.on('error', (error) => {
      this.exitReason ??= `adapter could not be started: ${error.message}`;
      this.wake?.();
    });
    this.outputClosed = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.on('exit', (code, signal) => {
      this.exitReason ??= signal ? `adapter was killed by ${signal}` : `adapter exited with code ${String(code)}`;
      live.delete(this);
      this.wake?.();
    });
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const adapter of live) adapter.kill();
      });
    }
  }

  get stderr(): string {
    return this.stderrTail.trim();
  }

  send(line: string): void {
    if (this.exitReason === undefined && this.child.stdin!.writable) this.child.stdin!.write(line);
  }

  /** The next stdout line, or why none will come, or a timeout. */
  async nextLine(timeoutMs: number): Promise<Waited> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        this.buffered -= line.length + 1;
        return { line };
      }
      if (this.exitReason !== undefined) {
        // Output written just before exit may still be in the pipe: wait for the streams to close
        // (bounded, in case a grandchild keeps them open).
        await Promise.race([this.outputClosed, new Promise((r) => setTimeout(r, 500))]);
        const late = this.lines.shift();
        if (late !== undefined) return { line: late };
        const unterminated = this.partialPieces.join('');
        this.partialPieces = [];
        if (unterminated !== '') return { line: unterminated };
        return { exited: this.exitReason };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { timedOut: true };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  kill(): void {
    live.delete(this);
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
    this.child.stdin!.destroy();
  }

  /** Closes stdin so the adapter can exit by itself; kills it if it does not within `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.child.stdin!.end();
    if (this.exitReason === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.kill();
  }
}

/** Runs the vectors in order through the adapter. Never throws for adapter misbehaviour. */
export async function runVectorsThroughAdapter(vectors: readonly Vector[], options: AdapterRunOptions): Promise<AdapterRun> {
  const results: VectorResult[] = [];
  let adapter: AdapterProcess | undefined;
  let everAnswered = false;
  let failedAttempts = 0;
  let unusable: string | undefined;

  const record = (result: VectorResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const withStderr = (reason: string, process: AdapterProcess) => (process.stderr ? `${reason}; adapter stderr (tail): ${process.stderr}` : reason);

  try {
    for (const vector of vectors) {
      if (unusable !== undefined) {
        record({ id: vector.id, requirements: vector.requirements, verdict: 'ERROR', problems: [`not run: ${unusable}`], durationMs: 0 });
        continue;
      }
      const started = Date.now();
      const fresh = adapter === undefined;
      adapter ??= new AdapterProcess(options.command, options.cwd);
      const current = adapter;
      current.send(adapterRequest(vector));
      const limit = options.timeoutMs + (fresh ? options.startupTimeoutMs : 0);
      const waited = await current.nextLine(limit);
      const durationMs = Date.now() - started;
      let result: VectorResult;
      let healthy = false;
      if ('line' in waited) {
        const read = readAnswer(waited.line, vector.id);
        if ('answer' in read) {
          healthy = true;
          const problems = compareAnswer(vector, read.answer);
          result = { id: vector.id, requirements: vector.requirements, verdict: problems.length === 0 ? 'PASS' : 'FAIL', problems, actual: read.answer, durationMs };
        } else if ('adapterError' in read) {
          healthy = true;
          result = { id: vector.id, requirements: vector.requirements, verdict: 'ERROR', problems: [read.adapterError], durationMs };
        } else {
          result = { id: vector.id, requirements: vector.requirements, verdict: 'ERROR', problems: [withStderr(read.protocolError, current)], durationMs };
        }
      } else if ('exited' in waited) {
        result = { id: vector.id, requirements: vector.requirements, verdict: 'ERROR', problems: [withStderr(`${waited.exited} before answering`, current)], durationMs };
      } else {
        result = { id: vector.id, requirements: vector.requirements, verdict: 'TIMEOUT', problems: [withStderr(`no answer within ${limit} ms${fresh ? ` (${options.timeoutMs} ms + ${options.startupTimeoutMs} ms start-up allowance)` : ''}`, current)], durationMs };
      }
      record(result);
      if (healthy) {
        everAnswered = true;
        if (options.perVector) {
          await current.close(options.timeoutMs);
          adapter = undefined;
        }
      } else {
        // The process is in an unknown state: replace it for the next vector.
        current.kill();
        adapter = undefined;
        failedAttempts++;
        if (!everAnswered && failedAttempts >= ATTEMPTS_BEFORE_UNUSABLE) {
          unusable = `the adapter gave no valid answer in its first ${ATTEMPTS_BEFORE_UNUSABLE} attempts (last: ${result.problems[0] ?? '?'})`;
        }
      }
    }
  } finally {
    await adapter?.close(Math.min(options.timeoutMs, 2000));
  }
  if (unusable === undefined && !everAnswered && vectors.length > 0) unusable = 'the adapter gave no valid answer to any vector';
  return { results, unusable };
}
