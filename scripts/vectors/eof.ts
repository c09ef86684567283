import { ev, evId, type Draft } from './draft.ts';

export const description = 'End of the body: an unterminated last line is not processed and an event without its blank line is not dispatched.';

export const drafts: Draft[] = [
  { id: 'unterminated-data-line', description: 'A data line without terminator at EOF: nothing.', requirements: ['PARSE-EOF-DISCARD'], input: 'data: a', events: [], retries: [] },
  { id: 'terminated-data-line-no-blank', description: 'A terminated data line without blank line: nothing.', requirements: ['PARSE-EOF-DISCARD'], input: 'data: a\n', events: [], retries: [] },
  { id: 'last-event-lost', description: 'The first event is dispatched, the second (no blank line) is lost.', requirements: ['PARSE-EOF-DISCARD'], input: 'data: a\n\ndata: b\n', events: [ev('a')], retries: [] },
  { id: 'last-event-unterminated-line', description: 'The last event\'s line has no terminator either.', requirements: ['PARSE-EOF-DISCARD'], input: 'data: a\n\ndata: b', events: [ev('a')], retries: [] },
  { id: 'multiline-event-lost', description: 'A multi-line event with one missing blank line is lost entirely.', requirements: ['PARSE-EOF-DISCARD'], input: 'data: a\ndata: b\ndata: c\n', events: [], retries: [] },
  { id: 'typed-event-lost', description: 'A typed event without blank line is lost.', requirements: ['PARSE-EOF-DISCARD'], input: 'event: add\ndata: a\n', events: [], retries: [] },
  { id: 'crlf-single-terminator-at-eof', description: 'One CRLF at EOF ends the line only: no event.', requirements: ['PARSE-EOF-DISCARD', 'PARSE-CRLF-LINE-END'], input: 'data: a\r\n', events: [], retries: [] },
  { id: 'id-in-lost-event', description: 'The id of the lost event is not kept.', requirements: ['PARSE-EOF-DISCARD', 'LASTID-NOT-FROM-INCOMPLETE-EVENT'], input: 'id: 1\ndata: a\n\nid: 2\ndata: b\n', events: [evId('a', '1')], retries: [], lastEventId: '1' },
  { id: 'unterminated-comment', description: 'An unterminated comment at EOF is harmless.', requirements: ['PARSE-EOF-DISCARD', 'PARSE-COMMENT-IGNORED'], input: 'data: a\n\n: bye', events: [ev('a')], retries: [] },
  { id: 'unterminated-empty-field-name', description: 'A partial field name at EOF.', requirements: ['PARSE-EOF-DISCARD'], input: 'data: a\n\nda', events: [ev('a')], retries: [] },
  { id: 'truncated-utf8-at-eof', description: 'The body ends inside a multi-byte sequence after complete events: nothing more, no error.', requirements: ['PARSE-EOF-DISCARD', 'PARSE-UTF8-DECODE'], input: ['data: a\n\n', [0xe2, 0x82]], events: [ev('a')], retries: [] },
  { id: 'truncated-utf8-in-last-line', description: 'An unterminated line that ends in a truncated sequence is discarded.', requirements: ['PARSE-EOF-DISCARD', 'PARSE-UTF8-DECODE'], input: ['data: a\n\ndata: ', [0xf0, 0x9f, 0x98]], events: [ev('a')], retries: [] },
  { id: 'only-comment-lines', description: 'A body of comments only dispatches nothing.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-EOF-DISCARD'], input: ': a\n: b\n\n: c\n', events: [], retries: [] },
];
