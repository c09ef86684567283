/**
 * A deliberately simple second parser, written line by line from the spec's prose, for
 * differential testing of the streaming parser (reference/parser.ts). Whole body in, no
 * streaming, no performance concerns: each step should be obviously what the spec says.
 *
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * Not for production use: it needs the whole body in memory.
 */

export interface NaiveEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

export interface NaiveResult {
  readonly events: NaiveEvent[];
  readonly retries: number[];
  readonly lastEventId: string;
}

export function naiveParse(body: Uint8Array, initialLastEventId = ''): NaiveResult {
  // "Streams must be decoded using the UTF-8 decode algorithm": replacement characters for
  // errors, and one leading BOM removed (TextDecoder's default does both).
  const text = new TextDecoder('utf-8').decode(body);

  // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
  // character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE
  // RETURN (CR) character." CRLF is tried first, so it counts once.
  const lines = text.split(/\r\n|\r|\n/);
  // Whatever follows the last terminator is an incomplete line: "Once the end of the file is
  // reached, any pending data must be discarded."
  lines.pop();

  const events: NaiveEvent[] = [];
  const retries: number[] = [];
  let dataBuffer = '';
  let eventTypeBuffer = '';
  let lastEventIdBuffer = initialLastEventId;
  let lastEventIdString = initialLastEventId;

  for (const line of lines) {
    if (line === '') {
      // "If the line is empty (a blank line): Dispatch the event."
      lastEventIdString = lastEventIdBuffer;
      if (dataBuffer === '') {
        eventTypeBuffer = '';
        continue;
      }
      if (dataBuffer.endsWith('\n')) dataBuffer = dataBuffer.slice(0, -1);
      events.push({ type: eventTypeBuffer === '' ? 'message' : eventTypeBuffer, data: dataBuffer, lastEventId: lastEventIdString });
      dataBuffer = '';
      eventTypeBuffer = '';
      continue;
    }
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    if (line.startsWith(':')) continue;

    let name: string;
    let value: string;
    const colon = line.indexOf(':');
    if (colon >= 0) {
      // "Collect the characters on the line before the first U+003A COLON character (:), and let
      // field be that string. Collect the characters on the line after the first U+003A COLON
      // character (:), and let value be that string. If value starts with a U+0020 SPACE
      // character, remove it from value."
      name = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
    } else {
      // "Otherwise, the string is not empty but does not contain a U+003A COLON character (:):
      // Process the field using the whole line as the field name, and the empty string as the
      // field value."
      name = line;
      value = '';
    }

    if (name === 'event') eventTypeBuffer = value;
    else if (name === 'data') dataBuffer += `${value}\n`;
    else if (name === 'id') {
      if (!value.includes('\u0000')) lastEventIdBuffer = value;
    } else if (name === 'retry') {
      if (/^[0-9]+$/.test(value)) retries.push(Number(value));
    }
    // "Otherwise: The field is ignored."
  }
  return { events, retries, lastEventId: lastEventIdString };
}
