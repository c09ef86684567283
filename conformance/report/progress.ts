/**
 * Live progress of a run on a terminal: one status line on stderr (cases done/total, the case
 * running or the latest to finish, elapsed time), redrawn in place and erased at the end. Reports
 * go to stdout and may be piped, so the line is only drawn when the stream is a TTY and the user
 * did not ask for --quiet: logs and CI output never get carriage returns.
 */
import type { RunProgress } from '../runner.ts';

/** The part of a tty.WriteStream the renderer uses (a fake in tests). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressOptions {
  /** --quiet: draw nothing. */
  readonly quiet?: boolean | undefined;
  /** Shown before the counts, e.g. the client target. */
  readonly label?: string | undefined;
  /** Clock (ms); tests inject one. */
  readonly now?: (() => number) | undefined;
  /** Redraw interval so elapsed time moves while a long case runs; 0 = only on progress. Default 1000. */
  readonly tickMs?: number | undefined;
}

// Carriage return + "erase entire line" (ECMA-48 EL 2): the line is rewritten in place.
const CLEAR = '\r\x1b[2K';

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The status line's text (without control characters). */
export function progressText(p: RunProgress, elapsedMs: number, label?: string): string {
  const current = p.running.length
    ? `${p.running[0]}${p.running.length > 1 ? ` (+${p.running.length - 1} running)` : ''}`
    : p.lastDone ? `last: ${p.lastDone}` : 'starting';
  return `${label ? `${label} ` : ''}[${p.done}/${p.total}] ${formatElapsed(elapsedMs)} ${current}`;
}

export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #started: number;
  #label: string | undefined;
  #last: RunProgress | undefined;
  #drawn = false;
  #timer: NodeJS.Timeout | undefined;

  /** A renderer for `stream`, or undefined when nothing may be drawn (not a TTY, or quiet). */
  static for(stream: ProgressStream, options: ProgressOptions = {}): ProgressLine | undefined {
    if (options.quiet || stream.isTTY !== true) return undefined;
    return new ProgressLine(stream, options);
  }

  private constructor(stream: ProgressStream, options: ProgressOptions) {
    this.#stream = stream;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
    this.#label = options.label;
    const tick = options.tickMs ?? 1000;
    if (tick > 0) {
      this.#timer = setInterval(() => this.#draw(), tick);
      this.#timer.unref(); // never keeps the process alive
    }
  }

  /** Switches the label (the next target of a client run); counts restart with the next update. */
  setLabel(label: string | undefined): void {
    this.#label = label;
    this.#last = undefined;
  }

  update(progress: RunProgress): void {
    this.#last = progress;
    this.#draw();
  }

  /** Erases the line (call before writing anything else to the stream); the next update redraws it. */
  clear(): void {
    if (this.#drawn) this.#stream.write(CLEAR);
    this.#drawn = false;
  }

  /** Erases the line for good. */
  end(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#last = undefined;
    this.clear();
  }

  #draw(): void {
    if (!this.#last) return;
    const text = progressText(this.#last, this.#now() - this.#started, this.#label);
    // Longer than the terminal is wide, the line would wrap and \r would only rewrite its tail.
    const width = Math.max(20, (this.#stream.columns ?? 80) - 1);
    this.#stream.write(`${CLEAR}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.#drawn = true;
  }
}
