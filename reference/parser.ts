/**
 * The reference event-stream parser: bytes (or text) in, events out, exactly as the WHATWG
 * "Parsing an event stream" and "Interpreting an event stream" algorithms say. No I/O.
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * One parser models one EventSource's view of the wire: `feed()` the body of a connection,
 * `end()` when that body ends; the next `feed()` starts the next connection's body with fresh
 * buffers, except that the last event ID buffer is seeded from the last event ID string
 * (LASTID-PERSISTS-ACROSS-RECONNECT).
 */
import { firstTerminator, lastTerminator } from './terminator-search.ts';
import { decodeUtf8, unfinishedSequenceLength } from './utf8-decoder.ts';

/** An event as *dispatch the event* creates it (EventSource semantics: type defaults to `message`). */
export interface SseEvent {
  /** The event type: the `event` field's value, or `message` when none or empty was given. */
  readonly type: string;
  /** The data buffer with its one trailing LF removed. */
  readonly data: string;
  /** The last event ID string at dispatch time (persists across events without `id`). */
  readonly lastEventId: string;
}

export interface ParserCallbacks {
  /** Called for every dispatched event, in stream order. */
  onEvent: (event: SseEvent) => void;
  /** Called when a valid `retry` line is processed (RETRY-APPLIES-IMMEDIATELY), with the value in ms. */
  onRetry?: ((milliseconds: number) => void) | undefined;
  /** Called for every comment line with the text after the colon (nothing stripped). */
  onComment?: ((comment: string) => void) | undefined;
  /**
   * Called when an opt-in limit is exceeded (see {@link ParserOptions.maxLineLength}). The parser
   * has already recovered: the offending line is discarded up to its terminator. Without this
   * callback the error is thrown from `feed()` instead, after the same recovery.
   */
  onError?: ((error: SseParseError) => void) | undefined;
}

export interface ParserOptions {
  /**
   * Last event ID string the stream starts with, as after a reconnection. Events without an `id`
   * field report it, and {@link SseParser.lastEventId} returns it until a dispatch changes it.
   * @defaultValue `''`
   */
  initialLastEventId?: string | undefined;
  /**
   * Opt-in guard for untrusted input: a line longer than this many UTF-16 code units (after
   * decoding, terminator excluded) is discarded and reported as an `SseParseError` with code
   * `SSEC_ERR_LINE_TOO_LONG`. The spec sets no limit (PARSE-LONG-LINES); without this option
   * the parser follows it exactly and a line may grow as long as memory allows.
   * @defaultValue no limit
   */
  maxLineLength?: number | undefined;
}

export interface SseParser {
  /**
   * Feeds the next piece of the body. `Uint8Array` chunks are UTF-8 decoded with replacement,
   * statefully across chunks; string chunks are taken as already decoded text. Mixing is allowed:
   * a string chunk first flushes any incomplete byte sequence (as U+FFFD). Callbacks run inside
   * this call and must not call `feed()` or `end()` (a TypeError says so); an error thrown by a
   * callback ends this call, and the rest of this chunk is not parsed.
   */
  feed(chunk: Uint8Array | string): void;
  /**
   * Ends the current body (connection). An unterminated last line and an event without its blank
   * line are discarded (PARSE-EOF-DISCARD). The parser is then ready for the next connection's body.
   */
  end(): void;
  /** The last event ID string: what a reconnection would send as `Last-Event-ID` (empty: none). */
  readonly lastEventId: string;
}

export type SseParseErrorCode = 'SSEC_ERR_LINE_TOO_LONG';

export class SseParseError extends Error {
  readonly code: SseParseErrorCode;
  constructor(code: SseParseErrorCode, message: string) {
    super(message);
    this.name = 'SseParseError';
    this.code = code;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = 0xfeff;
const NO_BYTES = new Uint8Array(0);
/** Reads up to this size are copied behind the pending bytes and decoded with them in one call. */
const COMBINE_LIMIT = 1024;
const MIN_PENDING_CAPACITY = 256;
/** A pending buffer larger than this is let go once its line is done. */
const RETAINED_CAPACITY = 4 * 1024;
/** Pending bytes of one line are kept up to this size; a longer line is kept as text (appendLongLine). */
const PENDING_LIMIT = 16 * 1024;

/** RETRY-DIGITS-SET: `text[start, end)` is only ASCII digits, at least one (RETRY-EMPTY-IGNORED: empty is not a number). */
function isAsciiDigits(text: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** FIELD-ID-NUL-IGNORED: whether `text[start, end)` contains U+0000. */
function containsNul(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 0) return true;
  return false;
}

/** {@link containsNul} over the bytes of the text, when they line up one to one. */
function bytesContainNul(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}

/** Creates a streaming parser. See {@link SseParser}. */
export function createParser(callbacks: ParserCallbacks, options: ParserOptions = {}): SseParser {
  const { onEvent, onRetry, onComment, onError } = callbacks;
  if (typeof onEvent !== 'function') throw new TypeError('createParser: callbacks.onEvent must be a function');
  const maxLineLength = options.maxLineLength ?? Infinity;
  if (!(maxLineLength > 0)) throw new RangeError(`createParser: maxLineLength must be a positive number, got ${String(options.maxLineLength)}`);
  const initialLastEventId = options.initialLastEventId ?? '';
  if (typeof initialLastEventId !== 'string') throw new TypeError('createParser: initialLastEventId must be a string');

  // EventSource state that outlives a connection.
  let lastEventIdString = initialLastEventId;

  // Per-connection state ("initialized to the empty string" for each stream; see G1 for the id buffer).
  // The unterminated line so far is `partialLine` followed by the UTF-8 decoding of
  // `pending[pendingStart, pendingEnd)`: bytes are kept undecoded after a chunk's last terminator
  // (which also holds back any unfinished UTF-8 sequence); `partialLine` only gets text from
  // string chunks and from lines too long to keep as bytes (appendLongLine). So a decoded piece
  // of a byte stream starts at a line start and ends at a terminator, and a line cut into many
  // small reads is decoded once, not joined from many strings.
  let pending = NO_BYTES;
  let pendingStart = 0; // moves forward as lines are decoded; the bytes are moved to the front only when the buffer is full
  let pendingEnd = 0;
  // Progress of the maxLineLength check over the pending bytes: bytes (from pendingStart) decoded and the UTF-16 units they gave.
  let countedBytes = 0;
  let countedUnits = 0;
  let atStreamStart = true; // no decoded character seen yet on this connection (PARSE-BOM)
  let skipLeadingLF = false; // the previous piece ended with CR (PARSE-CRLF-SPLIT-CHUNK)
  let discardingLine = false; // dropping an over-long line up to its terminator
  let partialLine = '';
  // The spec's data buffer is every data line's value followed by LF (FIELD-DATA-APPEND), and
  // dispatch removes the last LF (DISPATCH-TRAILING-LF-REMOVED). We keep the same information
  // without appending and removing: the values joined by LF, plus whether the buffer is non-empty
  // (a `data` line with an empty value makes it non-empty). Slicing the trailing LF off would
  // copy every event's data.
  let data = '';
  let hasData = false;
  let eventTypeBuffer = '';
  let lastEventIdBuffer = lastEventIdString;

  let pendingError: SseParseError | undefined;

  function report(error: SseParseError): void {
    if (onError) onError(error);
    else pendingError ??= error;
  }

  /**
   * Interprets the complete lines of `text` from `position` on (PARSE-CRLF/LF/CR-LINE-END,
   * PARSE-MIXED-LINE-ENDS) and returns where its unterminated tail starts (`text.length` if none).
   *
   * This is the hot loop, so the line interpretation is written inline and the four field
   * buffers live in locals, written back once at the end: a store of a new string into the
   * parser's long-lived closure costs a write barrier, several per event otherwise. Callbacks
   * cannot see the buffers (feed and end refuse re-entrant calls), and lastEventIdString is
   * stored before each onEvent for the getter.
   *
   * `bytes`, when given, are what `text` was decoded from, one byte per character
   * (`bytes[offset + i]` gave `text[i]`): field names are then read from them, which is cheaper
   * (see the field match below).
   */
  function processLines(text: string, start: number, bytes: Uint8Array | undefined, offset: number): number {
    const length = text.length;
    let position = start;
    let dataBuffer = data;
    let dataPresent = hasData;
    let typeBuffer = eventTypeBuffer;
    let idBuffer = lastEventIdBuffer;
    // Next CR and LF positions, each searched once and reused until passed. Most streams have
    // no CR at all: then one failed search covers the whole piece.
    let nextLF = text.indexOf('\n', position);
    let nextCR = text.indexOf('\r', position);
    while (position < length) {
      let end: number;
      if (nextCR === -1) {
        if (nextLF === -1) break;
        end = nextLF;
      } else {
        end = nextLF !== -1 && nextLF < nextCR ? nextLF : nextCR;
      }
      if (end === position) {
        // PARSE-BLANK-LINE-DISPATCH. "Dispatch the event":
        // https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage
        // Step 1 (DISPATCH-SETS-LAST-EVENT-ID): on every blank line, even when no event results.
        lastEventIdString = idBuffer;
        // Step 2 (DISPATCH-EMPTY-DATA-SKIPPED); steps 3-6 (DISPATCH-TRAILING-LF-REMOVED: the
        // buffer never had it, DISPATCH-DEFAULT-TYPE-MESSAGE, DISPATCH-CUSTOM-TYPE,
        // DISPATCH-LASTEVENTID-ATTR); step 7 (DISPATCH-RESETS-DATA-AND-TYPE).
        if (dataPresent) {
          const event: SseEvent = { type: typeBuffer === '' ? 'message' : typeBuffer, data: dataBuffer, lastEventId: idBuffer };
          dataBuffer = '';
          dataPresent = false;
          typeBuffer = '';
          onEvent(event);
        } else {
          typeBuffer = '';
        }
      } else if (end - position > maxLineLength) {
        report(lineTooLong(end - position));
      } else {
        // The field name is matched in place (PARSE-FIELD-CASE-SENSITIVE, PARSE-FIELD-NAME-EXACT),
        // so a line is never sliced or searched for its colon. `field` becomes the name's first
        // character (or COLON for a comment), `value` where the value starts: after the colon and
        // one space (PARSE-FIRST-COLON-SPLITS, PARSE-SINGLE-SPACE-STRIP), at the line end for a
        // bare name (PARSE-NO-COLON-FIELD), -1 when the name goes on (another field). Past the
        // end of the line a read gives the terminator, which matches no letter, so a short line
        // fails the match without a length check. When the text came one byte per character, the
        // codes are read from its bytes: a Uint8Array read costs V8 about half a charCodeAt, and
        // these reads are most of the per-line work. Both branches make the same decisions.
        let field = 0;
        let value = -1;
        if (bytes !== undefined) {
          const at = offset + position;
          const c = bytes[at]!;
          let nameEnd = -1;
          if (c === COLON) field = COLON;
          else if (c === 0x64 && bytes[at + 1] === 0x61 && bytes[at + 2] === 0x74 && bytes[at + 3] === 0x61) nameEnd = position + 4;
          else if (c === 0x65 && bytes[at + 1] === 0x76 && bytes[at + 2] === 0x65 && bytes[at + 3] === 0x6e && bytes[at + 4] === 0x74) nameEnd = position + 5;
          else if (c === 0x69 && bytes[at + 1] === 0x64) nameEnd = position + 2;
          else if (c === 0x72 && bytes[at + 1] === 0x65 && bytes[at + 2] === 0x74 && bytes[at + 3] === 0x72 && bytes[at + 4] === 0x79) nameEnd = position + 5;
          if (nameEnd !== -1) {
            field = c;
            if (nameEnd === end) value = end;
            else if (bytes[offset + nameEnd] === COLON) value = nameEnd + 1 < end && bytes[offset + nameEnd + 1] === SPACE ? nameEnd + 2 : nameEnd + 1;
          }
        } else {
          const c = text.charCodeAt(position);
          let nameEnd = -1;
          if (c === COLON) field = COLON;
          else if (c === 0x64 && text.charCodeAt(position + 1) === 0x61 && text.charCodeAt(position + 2) === 0x74 && text.charCodeAt(position + 3) === 0x61) nameEnd = position + 4;
          else if (c === 0x65 && text.charCodeAt(position + 1) === 0x76 && text.charCodeAt(position + 2) === 0x65 && text.charCodeAt(position + 3) === 0x6e && text.charCodeAt(position + 4) === 0x74) nameEnd = position + 5;
          else if (c === 0x69 && text.charCodeAt(position + 1) === 0x64) nameEnd = position + 2;
          else if (c === 0x72 && text.charCodeAt(position + 1) === 0x65 && text.charCodeAt(position + 2) === 0x74 && text.charCodeAt(position + 3) === 0x72 && text.charCodeAt(position + 4) === 0x79) nameEnd = position + 5;
          if (nameEnd !== -1) {
            field = c;
            if (nameEnd === end) value = end;
            else if (text.charCodeAt(nameEnd) === COLON) value = nameEnd + 1 < end && text.charCodeAt(nameEnd + 1) === SPACE ? nameEnd + 2 : nameEnd + 1;
          }
        }
        switch (field) {
          case COLON:
            if (onComment) onComment(text.slice(position + 1, end)); // PARSE-COMMENT-IGNORED
            break;
          case 0x64: // data: FIELD-DATA-APPEND (see the declaration of `data`)
            if (value === -1) break;
            if (dataPresent) dataBuffer += '\n' + text.slice(value, end);
            else {
              dataBuffer = text.slice(value, end);
              dataPresent = true;
            }
            break;
          case 0x65: // event: FIELD-EVENT-TYPE, FIELD-EVENT-EMPTY-DEFAULT
            if (value !== -1) typeBuffer = text.slice(value, end);
            break;
          case 0x69: // id: FIELD-ID-NUL-IGNORED, checked in place (ids are short) before slicing; FIELD-ID-SET, FIELD-ID-EMPTY-RESETS
            if (value !== -1 && !(bytes !== undefined ? bytesContainNul(bytes, offset + value, offset + end) : containsNul(text, value, end))) {
              idBuffer = text.slice(value, end);
            }
            break;
          case 0x72: // retry: RETRY-DIGITS-SET, RETRY-NONDIGIT-IGNORED, RETRY-LEADING-ZEROS-DECIMAL; applied now (RETRY-APPLIES-IMMEDIATELY)
            if (value !== -1 && onRetry && isAsciiDigits(text, value, end)) onRetry(Number(text.slice(value, end)));
            break;
          default:
            break; // PARSE-UNKNOWN-FIELD-IGNORED
        }
      }
      if (end === nextLF) {
        position = end + 1;
        // A blank line right after (the end of most events) is seen without a search, and so is the end of the text.
        if (position >= length) break;
        nextLF = (bytes !== undefined ? bytes[offset + position] : text.charCodeAt(position)) === LF ? position : text.indexOf('\n', position);
      } else {
        // A CR: with a following LF it is one CRLF terminator; at the end of the piece, decide on the next one.
        position = end + 1;
        if (position === length) skipLeadingLF = true;
        else if (position === nextLF) {
          position++;
          nextLF = text.indexOf('\n', position);
        }
        nextCR = text.indexOf('\r', position);
      }
    }
    data = dataBuffer;
    hasData = dataPresent;
    eventTypeBuffer = typeBuffer;
    lastEventIdBuffer = idBuffer;
    return position;
  }

  /**
   * Processes decoded text: strips the stream's BOM, completes the line left unterminated by
   * earlier text (or the over-long line being discarded), interprets the complete lines, and
   * keeps the unterminated tail in `partialLine`. `bytes[byteStart, byteEnd)`, when given, are
   * the bytes `text` was decoded from.
   */
  function processText(text: string, bytes?: Uint8Array, byteStart = 0, byteEnd = 0): void {
    const length = text.length;
    if (length === 0) return;
    let position = 0;
    if (atStreamStart) {
      atStreamStart = false;
      // PARSE-BOM, PARSE-BOM-ONLY-FIRST: UTF-8 decode strips one BOM, and only at the very start.
      if (text.charCodeAt(0) === BOM) position = 1;
    }
    if (skipLeadingLF) {
      skipLeadingLF = false;
      if (position < length && text.charCodeAt(position) === LF) position++;
    }
    if (partialLine.length !== 0 || discardingLine) position = finishPartialLine(text, position);
    // One byte per character (ASCII, or invalid bytes each replaced): field names can be read from the bytes.
    if (position < length) position = processLines(text, position, byteEnd - byteStart === length ? bytes : undefined, byteStart);
    if (position < length && !discardingLine) {
      const rest = length - position;
      if (partialLine.length + rest > maxLineLength) {
        report(lineTooLong(partialLine.length + rest));
        partialLine = '';
        discardingLine = true;
      } else {
        partialLine += text.slice(position);
      }
    }
  }

  /**
   * Ends the line that `partialLine` began (or that is being discarded) at the first terminator
   * of `text`, and returns the position after that terminator; `position` unchanged if there is
   * none (the caller then appends the text to the line).
   */
  function finishPartialLine(text: string, position: number): number {
    const length = text.length;
    const lf = text.indexOf('\n', position);
    const cr = text.indexOf('\r', position);
    const end = lf === -1 ? cr : cr === -1 || lf < cr ? lf : cr;
    if (end === -1) return position;
    if (discardingLine) {
      discardingLine = false;
    } else {
      // join() gives a flat string; a concatenation would give processLines a rope, whose every
      // charCodeAt is slower and which makes the optimized loop slower for all later text.
      const line = [partialLine, text.slice(position, end), '\n'].join('');
      partialLine = '';
      if (line.length - 1 > maxLineLength) report(lineTooLong(line.length - 1));
      else processLines(line, 0, undefined, 0);
    }
    if (end === cr) {
      if (end + 1 === length) {
        skipLeadingLF = true;
        return length;
      }
      if (end + 1 === lf) return end + 2;
    }
    return end + 1;
  }

  function lineTooLong(length: number): SseParseError {
    return new SseParseError(
      'SSEC_ERR_LINE_TOO_LONG',
      `line of ${length} characters exceeds maxLineLength ${maxLineLength}; it was discarded up to its line terminator`,
    );
  }

  /** Keeps `bytes[start, end)` (a terminator only at its end) as the continuation of the pending line. */
  function appendPending(bytes: Uint8Array, start: number, end: number): void {
    const add = end - start;
    const total = pendingEnd - pendingStart + add;
    if (total > PENDING_LIMIT) {
      appendLongLine(bytes, start, end);
      return;
    }
    if (pendingEnd + add > pending.length) {
      if (total <= pending.length) {
        pending.copyWithin(0, pendingStart, pendingEnd);
      } else {
        const grown = new Uint8Array(Math.min(PENDING_LIMIT, Math.max(total, pending.length * 2, MIN_PENDING_CAPACITY)));
        grown.set(pending.subarray(pendingStart, pendingEnd));
        pending = grown;
      }
      pendingEnd -= pendingStart;
      pendingStart = 0;
    }
    pending.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), pendingEnd);
    pendingEnd += add;
  }

  /**
   * A line longer than PENDING_LIMIT bytes: its text so far goes to `partialLine` (joined once,
   * when the line ends) instead of into an ever larger byte buffer. Only an unfinished UTF-8
   * sequence at the end stays pending. Goes through processText, which strips a BOM at the
   * stream start and applies maxLineLength to `partialLine`.
   */
  function appendLongLine(bytes: Uint8Array, start: number, end: number): void {
    let source = bytes;
    let from = start;
    let to = end;
    if (pendingEnd !== pendingStart) {
      source = new Uint8Array(pendingEnd - pendingStart + end - start);
      source.set(pending.subarray(pendingStart, pendingEnd));
      source.set(bytes.subarray(start, end), pendingEnd - pendingStart);
      from = 0;
      to = source.length;
    }
    const decodable = to - unfinishedSequenceLength(source, to, from);
    clearPending();
    processText(decodeUtf8(source, from, decodable), source, from, decodable);
    if (decodable < to && !discardingLine) {
      if (pending.length < MIN_PENDING_CAPACITY) pending = new Uint8Array(MIN_PENDING_CAPACITY);
      pending.set(source.subarray(decodable, to));
      pendingEnd = to - decodable;
    }
  }

  function clearPending(): void {
    takePendingUpTo(pendingEnd);
  }

  /** Drops the pending bytes before `upTo` (they were decoded); the rest starts a new line. */
  function takePendingUpTo(upTo: number): void {
    countedBytes = 0;
    countedUnits = 0;
    if (upTo < pendingEnd) {
      pendingStart = upTo;
      return;
    }
    pendingStart = 0;
    pendingEnd = 0;
    // Memory per idle connection stays small: a buffer grown by a long line is not kept.
    if (pending.length > RETAINED_CAPACITY) pending = NO_BYTES;
  }

  /**
   * maxLineLength for a line still pending: counts the UTF-16 units of what can be decoded for
   * good (all of it when `final`, as at the end of the body where an unfinished sequence is one
   * U+FFFD), incrementally, and starts discarding the line once it is too long.
   */
  function checkPendingLength(final: boolean): void {
    const upTo = final ? pendingEnd : pendingEnd - unfinishedSequenceLength(pending, pendingEnd, pendingStart);
    const countedUpTo = pendingStart + countedBytes;
    if (upTo > countedUpTo) {
      const piece = decodeUtf8(pending, countedUpTo, upTo);
      // A leading BOM is stripped before the line is measured (PARSE-BOM).
      countedUnits += countedBytes === 0 && atStreamStart && piece.charCodeAt(0) === BOM ? piece.length - 1 : piece.length;
      countedBytes = upTo - pendingStart;
    }
    const length = partialLine.length + countedUnits;
    if (length > maxLineLength) {
      report(lineTooLong(length));
      partialLine = '';
      clearPending();
      discardingLine = true;
    }
  }

  /**
   * PARSE-UTF8-DECODE, PARSE-STREAMING-DECODE: decodes up to the chunk's last line terminator
   * (with the pending bytes in front) and keeps the rest as bytes; see utf8-decoder.ts for why
   * that cut is exact.
   */
  function feedBytes(chunk: Uint8Array): void {
    const length = chunk.length;
    if (length > 6 && chunk[length - 1] === LF && chunk[length - 2] === LF && chunk[0] === 0x64 && pendingEnd === pendingStart && singleDataEvent(chunk, length)) return;
    const last = lastTerminator(chunk);
    if (last === -1) {
      if (discardingLine) return; // still inside the over-long line
      appendPending(chunk, 0, length);
    } else if (pendingEnd === pendingStart) {
      processText(decodeUtf8(chunk, 0, last + 1), chunk, 0, last + 1);
      if (last + 1 < length) appendPending(chunk, last + 1, length);
    } else if (length <= COMBINE_LIMIT && pendingEnd - pendingStart + length <= PENDING_LIMIT) {
      // Small read: one decode of the pending bytes and the chunk together; the tail stays where it is.
      appendPending(chunk, 0, length);
      const source = pending; // takePendingUpTo may let the buffer go
      const textStart = pendingStart;
      const textEnd = pendingEnd - (length - last - 1);
      const text = decodeUtf8(source, textStart, textEnd);
      takePendingUpTo(textEnd);
      processText(text, source, textStart, textEnd);
    } else {
      // Large read: finish the pending line on its own rather than copy the whole chunk behind it.
      const first = firstTerminator(chunk, 0);
      appendPending(chunk, 0, first + 1);
      const source = pending; // takePendingUpTo may let the buffer go
      const headStart = pendingStart;
      const headEnd = pendingEnd;
      const head = decodeUtf8(source, headStart, headEnd);
      takePendingUpTo(headEnd);
      processText(head, source, headStart, headEnd);
      if (first < last) processText(decodeUtf8(chunk, first + 1, last + 1), chunk, first + 1, last + 1);
      if (last + 1 < length) appendPending(chunk, last + 1, length);
    }
    // A CR that ended the decoded text was followed by more bytes of this chunk, so it was not a CRLF's CR waiting for its LF.
    if (last + 1 < length) skipLeadingLF = false;
    if (pendingEnd !== pendingStart && partialLine.length + pendingEnd - pendingStart > maxLineLength) checkPendingLength(false);
  }

  /**
   * One event per read, the shape of token streams: the chunk is `data:` + value + LF + LF and
   * nothing is pending. The value is decoded alone (no decoded piece to slice it from) and, when it
   * holds no CR or LF (one data line, then the blank line), dispatched at once; otherwise this
   * returns false before changing any state and the chunk takes the general path. Exactly what
   * processText would do for this chunk: FIELD-DATA-APPEND on an empty data buffer, then
   * PARSE-BLANK-LINE-DISPATCH with the type and id buffers as they are.
   */
  function singleDataEvent(chunk: Uint8Array, length: number): boolean {
    if (chunk[1] !== 0x61 || chunk[2] !== 0x74 || chunk[3] !== 0x61 || chunk[4] !== COLON) return false;
    if (atStreamStart || skipLeadingLF || discardingLine || partialLine.length !== 0 || hasData || maxLineLength !== Infinity) return false;
    const valueStart = chunk[5] === SPACE ? 6 : 5; // PARSE-SINGLE-SPACE-STRIP
    const value = decodeUtf8(chunk, valueStart, length - 2);
    if (value.indexOf('\n') !== -1 || value.indexOf('\r') !== -1) return false;
    // The value's decoding ends before the LF, so an unfinished sequence in it is U+FFFD, as in
    // the decoded line; the data buffer was empty, so the event's data is the value.
    const id = lastEventIdBuffer;
    if (lastEventIdString !== id) lastEventIdString = id; // DISPATCH-SETS-LAST-EVENT-ID (no store, and no write barrier, when unchanged)
    const type = eventTypeBuffer;
    if (type !== '') eventTypeBuffer = '';
    onEvent({ type: type === '' ? 'message' : type, data: value, lastEventId: id });
    return true;
  }

  function throwPending(): void {
    if (pendingError) {
      const error = pendingError;
      pendingError = undefined;
      throw error;
    }
  }

  /** Set while feed() or end() runs, so a callback cannot re-enter them (see processLines). */
  let busy = false;
  function enter(method: string): void {
    if (busy) throw new TypeError(`SseParser.${method}: called from inside a parser callback; feed the parser from outside its callbacks`);
    busy = true;
  }

  return {
    feed(chunk: Uint8Array | string): void {
      enter('feed');
      try {
        // PARSE-UTF8-DECODE, PARSE-STREAMING-DECODE.
        if (typeof chunk === 'string') {
          feedText(chunk);
        } else if (chunk instanceof Uint8Array) {
          if (chunk.length !== 0) feedBytes(chunk);
        } else {
          throw new TypeError(`SseParser.feed: expected a Uint8Array or a string, got ${chunk === null ? 'null' : typeof chunk}`);
        }
      } finally {
        busy = false;
      }
      throwPending();
    },
    end(): void {
      enter('end');
      try {
        endBody();
      } finally {
        busy = false;
      }
      throwPending();
    },
    get lastEventId(): string {
      return lastEventIdString;
    },
  };

  function feedText(chunk: string): void {
    if (pendingEnd !== pendingStart) {
      // Text continues the line: decode its pending bytes, an unfinished sequence as U+FFFD.
      const text = decodeUtf8(pending, pendingStart, pendingEnd);
      clearPending();
      processText(text);
    }
    processText(chunk);
  }

  function endBody(): void {
    // The unterminated line is dropped, but an over-long one is still reported (an unfinished sequence counts as U+FFFD).
    if (pendingEnd !== pendingStart && !discardingLine && maxLineLength !== Infinity) checkPendingLength(true);
    // PARSE-EOF-DISCARD, LASTID-NOT-FROM-INCOMPLETE-EVENT: drop the unterminated line and undispatched event.
    clearPending();
    atStreamStart = true;
    skipLeadingLF = false;
    discardingLine = false;
    partialLine = '';
    data = '';
    hasData = false;
    eventTypeBuffer = '';
    lastEventIdBuffer = lastEventIdString; // LASTID-PERSISTS-ACROSS-RECONNECT (G1)
  }
}

/** Everything one body produced, in stream order; for tests, vectors and the `parse` command. */
export interface ParseResult {
  readonly events: SseEvent[];
  /** Valid `retry` values in the order processed. */
  readonly retries: number[];
  readonly comments: string[];
  readonly lastEventId: string;
}

/** Parses a complete body given as one or more chunks, then ends it. */
export function parseStream(chunks: Iterable<Uint8Array | string>, options: ParserOptions = {}): ParseResult {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = createParser(
    { onEvent: (e) => events.push(e), onRetry: (r) => retries.push(r), onComment: (c) => comments.push(c) },
    options,
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, retries, comments, lastEventId: parser.lastEventId };
}
