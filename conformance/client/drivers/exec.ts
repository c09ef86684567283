/**
 * Any client by command (`--exec "<cmd>"`). For each scenario the harness runs `<cmd> <url>`
 * through the shell (the scenario URL appended, shell-quoted) and reads one JSON object per line
 * from the adapter's stdout:
 *
 *   {"kind":"open"}                                         the client fired `open`
 *   {"kind":"event","type":"message","data":"…","lastEventId":"…"}   a dispatched event
 *   {"kind":"error"}                                        the client fired `error`
 *   {"kind":"closed"}                                       the client is CLOSED for good (no reconnect)
 *
 * Optional: `"readyState": 0|1|2` on open/error/event lines (enables readyState checks), a first
 * line `{"kind":"hello","name":"…","version":"…","supports":["headers","close-in-handler"]}`,
 * `{"kind":"log","message":"…"}` (kept as evidence), `{"kind":"unsupported","feature":"…"}`.
 *
 * Environment given to the adapter: SSE_CONFORMANCE_CASE (scenario id), SSE_CONFORMANCE_EVENT_TYPES
 * (comma-separated types to listen for; always includes `message`; types containing a comma or NUL
 * are only in SSE_CONFORMANCE_EVENT_TYPES_JSON, a JSON array of all of them), and, only when the scenario
 * needs them, SSE_CONFORMANCE_HEADERS (JSON object of request headers to send on every request),
 * SSE_CONFORMANCE_CLOSE_ON (`open` | `message` | `error`: call close() inside the first such
 * handler), SSE_CONFORMANCE_REQUIRES (comma-separated features).
 *
 * Declaring what it does not support: a scenario that needs a feature (`headers`,
 * `close-in-handler`) runs only when the adapter's hello line lists it; otherwise, or when the
 * adapter prints {"kind":"unsupported",…} or exits with code 127, the case is UNSUPPORTED (never
 * PASS, never FAIL). Adapters that print only the minimal lines work for every other scenario.
 *
 * Robustness: a line that is not a JSON object with a known kind, a crash (non-zero exit), or an
 * adapter that ignores SIGTERM are ERROR results with the reason and stderr tail as evidence.
 */
import { spawn } from 'node:child_process';
import type { ClientDriver, DriverOutcome, DriverRun, ObservationInput } from '../driver.ts';

export interface ExecDriverOptions {
  readonly command: string;
  /** Name for reports when the adapter sends no hello. */
  readonly name?: string | undefined;
  readonly parallel?: number | undefined;
  readonly cwd?: string | undefined;
  /** Extra environment for the adapter process (e.g. `NODE_EXTRA_CA_CERTS` under `client --http2`). */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

const KINDS = new Set(['open', 'event', 'error', 'closed', 'hello', 'log', 'unsupported']);
const MAX_LOG_LINES = 40;

/** POSIX shell single-quoting. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function execDriver(options: ExecDriverOptions): ClientDriver {
  let learned: { name?: string; version?: string } = {};
  return {
    name: options.name ?? options.command,
    parallel: options.parallel ?? 4,
    identity: () => learned,
    run(run: DriverRun): Promise<DriverOutcome> {
      return new Promise<DriverOutcome>((resolve) => {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          ...options.env,
          SSE_CONFORMANCE_CASE: run.caseId,
          // Comma-separated for simple adapters (types with a comma or NUL cannot be written there);
          // the JSON form carries every type exactly (NUL escaped as \u0000).
          SSE_CONFORMANCE_EVENT_TYPES: run.eventTypes.filter((t) => !/[,\0]/.test(t)).join(','),
          SSE_CONFORMANCE_EVENT_TYPES_JSON: JSON.stringify(run.eventTypes),
        };
        if (run.headers) env['SSE_CONFORMANCE_HEADERS'] = JSON.stringify(run.headers);
        if (run.closeOn) env['SSE_CONFORMANCE_CLOSE_ON'] = run.closeOn;
        if (run.requires.length) env['SSE_CONFORMANCE_REQUIRES'] = run.requires.join(',');
        const child = spawn('sh', ['-c', `${options.command} ${shellQuote(run.url)}`], {
          env,
          cwd: options.cwd,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true, // own process group, so stopping it stops whatever the shell started
        });
        const log: string[] = [];
        const note = (line: string): void => {
          if (log.length < MAX_LOG_LINES) log.push(line);
        };
        let stderr = '';
        let buffered = '';
        let lines = 0;
        let sawHello = false;
        let settled: DriverOutcome | undefined;
        let stopping = false;
        let killTimer: ReturnType<typeof setTimeout> | undefined;

        const signalGroup = (signal: NodeJS.Signals): void => {
          if (child.pid === undefined) return;
          try {
            process.kill(-child.pid, signal);
          } catch {
            // already gone
          }
        };
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          signalGroup('SIGTERM');
          killTimer = setTimeout(() => signalGroup('SIGKILL'), 1000);
        };
        const finish = (outcome: DriverOutcome): void => {
          settled ??= outcome;
          stop();
        };
        const logText = (): string | undefined => {
          const parts = [...log];
          if (stderr.trim()) parts.push(`stderr: ${stderr.trim().split('\n').slice(-10).join('\n        ')}`);
          return parts.length ? parts.join('\n') : undefined;
        };

        const handleLine = (raw: string): void => {
          const line = raw.trim();
          if (line === '' || settled) return;
          lines++;
          let message: Record<string, unknown>;
          try {
            const parsed: unknown = JSON.parse(line);
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
            message = parsed as Record<string, unknown>;
          } catch {
            note(`garbage: ${line.slice(0, 200)}`);
            finish({ status: 'error', reason: `adapter printed a line that is not a JSON object: ${JSON.stringify(line.slice(0, 120))}` });
            return;
          }
          const kind = message['kind'];
          if (typeof kind !== 'string' || !KINDS.has(kind)) {
            note(`unknown: ${line.slice(0, 200)}`);
            finish({ status: 'error', reason: `adapter printed an unknown kind ${JSON.stringify(kind)} (expected open, event, error, closed, hello, log or unsupported)` });
            return;
          }
          if (kind === 'hello') {
            sawHello = true;
            learned = {
              name: typeof message['name'] === 'string' ? message['name'] : undefined,
              version: typeof message['version'] === 'string' ? message['version'] : undefined,
            };
            const supports = Array.isArray(message['supports']) ? message['supports'].filter((f): f is string => typeof f === 'string') : [];
            const missing = run.requires.filter((f) => !supports.includes(f));
            if (missing.length) finish({ status: 'unsupported', feature: missing.join(','), reason: `adapter does not declare support for: ${missing.join(', ')}` });
            return;
          }
          if (lines === 1 && run.requires.length) {
            finish({ status: 'unsupported', feature: run.requires.join(','), reason: `the scenario needs ${run.requires.join(', ')}; the adapter sent no hello line declaring support` });
            return;
          }
          if (kind === 'log') {
            note(`log: ${String(message['message'] ?? '')}`);
            return;
          }
          if (kind === 'unsupported') {
            const feature = typeof message['feature'] === 'string' ? message['feature'] : 'unspecified';
            finish({ status: 'unsupported', feature, reason: `adapter declared unsupported: ${feature}${typeof message['reason'] === 'string' ? ` (${message['reason']})` : ''}` });
            return;
          }
          const observation: ObservationInput = {
            kind: kind as ObservationInput['kind'],
            type: kind === 'event' ? (typeof message['type'] === 'string' ? message['type'] : 'message') : undefined,
            data: kind === 'event' && typeof message['data'] === 'string' ? message['data'] : undefined,
            lastEventId: kind === 'event' && typeof message['lastEventId'] === 'string' ? message['lastEventId'] : undefined,
            readyState: typeof message['readyState'] === 'number' ? message['readyState'] : undefined,
          };
          if (kind === 'event' && observation.data === undefined) {
            finish({ status: 'error', reason: `adapter printed an event without a string "data": ${JSON.stringify(line.slice(0, 120))}` });
            return;
          }
          run.observe(observation);
        };

        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) !== -1) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            handleLine(line);
          }
          if (buffered.length > 1_000_000) finish({ status: 'error', reason: 'adapter printed more than 1 MB without a newline' });
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          stderr = (stderr + chunk).slice(-8000);
        });
        const onAbort = (): void => stop();
        if (run.signal.aborted) stop();
        else run.signal.addEventListener('abort', onAbort, { once: true });
        child.on('error', (error) => {
          finish({ status: 'error', reason: `cannot start adapter: ${error.message}` });
        });
        child.on('close', (code, signal) => {
          if (killTimer) clearTimeout(killTimer);
          run.signal.removeEventListener('abort', onAbort);
          if (buffered.trim()) handleLine(buffered);
          const crashed = !stopping && code !== 0 && code !== 127;
          if (!settled && !crashed && run.requires.length && !sawHello && lines === 0 && !stopping) {
            settled = { status: 'unsupported', feature: run.requires.join(','), reason: `the scenario needs ${run.requires.join(', ')}; the adapter sent no hello line declaring support` };
          }
          if (!settled) {
            if (stopping) settled = { status: 'ok' };
            else if (code === 127 && lines === 0 && /not found|no such file/i.test(stderr)) settled = { status: 'error', reason: `adapter command not found: ${stderr.trim().split('\n').at(-1)}` };
            else if (code === 127) settled = { status: 'unsupported', feature: 'scenario', reason: 'adapter exited with code 127 (unsupported)' };
            else if (code === 0) settled = { status: 'ok' };
            else settled = { status: 'error', reason: `adapter exited with ${code === null ? `signal ${signal}` : `code ${code}`} before the observation ended` };
          }
          const text = logText();
          resolve(text && !settled.log ? { ...settled, log: text } : settled);
        });
      });
    },
    async close() {},
  };
}
