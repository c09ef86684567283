/**
 * Black-box framing analysis of the raw bytes a server sent: splits them into lines exactly as the
 * grammar does (CRLF, LF or CR end a line: SRV-LINE-ENDINGS) and reports what a client would read
 * differently from what the server evidently meant. Every legal variation (any line ending, a
 * leading BOM, comments, `data:` without space, any field order, empty values) produces no finding.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
import type { Chunk } from './stream-reader.ts';

export interface WireLine {
  /** Byte offset of the line's first byte in the body. */
  readonly offset: number;
  /** Line text, decoded as UTF-8 with replacement. */
  readonly text: string;
  /** `''` when the body ended (or the read stopped) before a terminator. */
  readonly ending: '\r\n' | '\n' | '\r' | '';
  /** Arrival time (ms) of the chunk holding the terminator (or the last byte when unterminated). */
  readonly at: number;
}

export type FindingRule = 'utf8' | 'bom' | 'field-name' | 'retry' | 'id' | 'terminator';

export interface Finding {
  readonly rule: FindingRule;
  /** FAIL: a client reads something other than intended; NON_STRICT: legal but ignored by clients. */
  readonly severity: 'FAIL' | 'NON_STRICT';
  readonly message: string;
  readonly offset: number;
}

export interface WireAnalysis {
  readonly lines: readonly WireLine[];
  readonly findings: readonly Finding[];
  readonly stats: {
    readonly crlf: number; readonly lf: number; readonly cr: number;
    readonly comments: number; readonly fields: number; readonly blankLines: number; readonly bom: boolean;
  };
}

export interface LintOptions {
  /** Whether the body ended at the server's will (EOF) rather than because the harness stopped reading. */
  readonly endedByServer: boolean;
  /** Time (ms since request start) the read ended. */
  readonly endedAt: number;
  /** A field block left without its blank line for this long while the stream went quiet is a FAIL. */
  readonly pauseMs: number;
}

const KNOWN_FIELDS = new Set(['event', 'data', 'id', 'retry']);
const TOKEN_NAME = /^[A-Za-z0-9_.-]+$/;

/** Splits raw bytes into lines with timings. A CR as the very last byte ends a line (PARSE-CR-AT-EOF). */
export function splitLines(chunks: readonly Chunk[]): WireLine[] {
  const lines: WireLine[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let current: number[] = [];
  let lineStart = 0;
  let offset = 0;
  let pendingCr: { at: number } | undefined;
  let lastAt = 0;
  const push = (ending: WireLine['ending'], at: number) => {
    lines.push({ offset: lineStart, text: decoder.decode(Uint8Array.from(current)), ending, at });
    current = [];
  };
  for (const chunk of chunks) {
    lastAt = chunk.at;
    for (const b of chunk.bytes) {
      if (pendingCr) {
        const cr = pendingCr;
        pendingCr = undefined;
        if (b === 0x0a) {
          push('\r\n', chunk.at);
          offset++;
          lineStart = offset;
          continue;
        }
        push('\r', cr.at);
        lineStart = offset;
      }
      if (b === 0x0d) pendingCr = { at: chunk.at };
      else if (b === 0x0a) {
        push('\n', chunk.at);
        lineStart = offset + 1;
      } else current.push(b);
      offset++;
    }
  }
  if (pendingCr) {
    push('\r', pendingCr.at);
    lineStart = offset;
  }
  if (current.length) push('', lastAt);
  return lines;
}

/** Byte offset of the first invalid UTF-8 sequence in `bytes`, or -1 (an incomplete tail is not invalid). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    if (i + need >= bytes.length) {
      // Not enough bytes left: valid so far only if every present continuation byte is valid.
      for (let k = i + 1; k < bytes.length; k++) if ((bytes[k]! & 0xc0) !== 0x80) return i;
      return -1;
    }
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function show(text: string, max = 60): string {
  const s = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return s;
}

/** Analyses one response body. */
export function lintWire(body: Uint8Array, chunks: readonly Chunk[], options: LintOptions): WireAnalysis {
  const findings: Finding[] = [];
  const lines = splitLines(chunks);
  const stats = { crlf: 0, lf: 0, cr: 0, comments: 0, fields: 0, blankLines: 0, bom: false };

  // SRV-UTF8: the body must be UTF-8 (a truncated last sequence at a harness stop is not an error).
  const bad = firstInvalidUtf8(body);
  if (bad >= 0) {
    const around = Array.from(body.subarray(Math.max(0, bad - 8), bad + 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    findings.push({ rule: 'utf8', severity: 'FAIL', offset: bad, message: `invalid UTF-8 at byte ${bad} (bytes around it: ${around}); clients decode it as U+FFFD` });
  }

  let blockStart: WireLine | undefined; // first field line of the current (unterminated) event block
  let blockLast: WireLine | undefined; // its latest field line (comments do not close or refresh a block)
  let previousWasData = false;
  lines.forEach((line, index) => {
    if (line.ending === '\r\n') stats.crlf++;
    else if (line.ending === '\n') stats.lf++;
    else if (line.ending === '\r') stats.cr++;
    let text = line.text;
    if (index === 0 && text.startsWith('\uFEFF')) {
      // PARSE-BOM: one leading BOM is stripped; it is legal (SRV-BOM-OPTIONAL).
      stats.bom = true;
      text = text.slice(1);
    } else if (text.startsWith('\uFEFF')) {
      findings.push({ rule: 'bom', severity: 'FAIL', offset: line.offset, message: `U+FEFF at the start of line ${index + 1} (not the first line): clients read it as part of the field name ${show(text)} and ignore the line (PARSE-BOM-ONLY-FIRST)` });
      text = text.slice(1);
    }
    if (line.ending === '' && options.endedByServer === false) {
      // The harness stopped mid-line: judge nothing about an incomplete line.
      return;
    }
    if (text === '') {
      stats.blankLines++;
      blockStart = undefined;
      previousWasData = false;
      return;
    }
    if (text.startsWith(':')) {
      stats.comments++;
      return;
    }
    stats.fields++;
    blockStart ??= line;
    blockLast = line;
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (!KNOWN_FIELDS.has(name)) {
      const lower = name.trim().toLowerCase();
      let message: string;
      let severity: Finding['severity'] = 'FAIL';
      if (KNOWN_FIELDS.has(lower)) {
        message = `field name ${show(name)} is not exactly ${show(lower)}: names are case- and space-sensitive, clients ignore this line (PARSE-FIELD-NAME-EXACT)`;
      } else if (colon < 0 || !TOKEN_NAME.test(name)) {
        message = `line ${index + 1} ${show(text)} is not a field a client knows (field name ${show(name)})${previousWasData ? ' and follows a data line: likely an unescaped newline inside a data value (SRV-DATA-MULTILINE); clients drop this part of the data' : '; clients ignore it'}`;
      } else {
        severity = 'NON_STRICT';
        message = `unknown field ${show(name)} on line ${index + 1}: legal in the grammar but every client ignores it (PARSE-UNKNOWN-FIELD-IGNORED)`;
      }
      findings.push({ rule: 'field-name', severity, offset: line.offset, message });
    } else if (name === 'retry' && !/^[0-9]+$/.test(value)) {
      findings.push({ rule: 'retry', severity: 'FAIL', offset: line.offset, message: `retry value ${show(value)} on line ${index + 1} is not ASCII digits only; clients ignore it (RETRY-NONDIGIT-IGNORED)` });
    } else if (name === 'id' && value.includes('\u0000')) {
      findings.push({ rule: 'id', severity: 'FAIL', offset: line.offset, message: `id value ${show(value)} on line ${index + 1} contains U+0000; clients ignore the whole id field (FIELD-ID-NUL-IGNORED)` });
    }
    previousWasData = name === 'data';
  });

  // SRV-EVENT-TERMINATOR: a field block must end with a blank line before the stream ends or pauses.
  if (blockStart && blockLast) {
    const quietFor = options.endedAt - blockLast.at;
    if (options.endedByServer) {
      findings.push({ rule: 'terminator', severity: 'FAIL', offset: blockStart.offset, message: `the body ended with an event not closed by a blank line (it starts at byte ${blockStart.offset}: ${show(blockStart.text)}); clients discard it (PARSE-EOF-DISCARD)` });
    } else if (quietFor >= options.pauseMs) {
      findings.push({ rule: 'terminator', severity: 'FAIL', offset: blockStart.offset, message: `an event (starting at byte ${blockStart.offset}: ${show(blockStart.text)}) was left without its blank line while the stream was quiet for ${Math.round(quietFor)} ms; clients cannot dispatch it` });
    }
  }
  // Blocks that were closed late: the next event's fields arrived into an unterminated block after a pause.
  let open: WireLine | undefined;
  let openLast: WireLine | undefined;
  for (const line of lines) {
    const text = line.text.replace(/^\uFEFF/, '');
    if (text === '') {
      open = undefined;
      continue;
    }
    if (text.startsWith(':')) continue;
    if (open && openLast && line.at - openLast.at >= options.pauseMs && !findings.some((f) => f.rule === 'terminator' && f.offset === open!.offset)) {
      findings.push({ rule: 'terminator', severity: 'FAIL', offset: open.offset, message: `an event (starting at byte ${open.offset}: ${show(open.text)}) had no blank line for ${Math.round(line.at - openLast.at)} ms; the next field ${show(text)} then joined the same event` });
    }
    open ??= line;
    openLast = line;
  }
  return { lines, findings, stats };
}
