import { ev, type Draft } from './draft.ts';

export const description = 'Comment lines: any line whose first character is `:` is ignored entirely.';

export const drafts: Draft[] = [
  { id: 'simple', description: '`: hello` is ignored.', requirements: ['PARSE-COMMENT-IGNORED'], input: ': hello\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'bare-colon', description: 'A line with only `:` is a comment.', requirements: ['PARSE-COMMENT-IGNORED'], input: ':\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'looks-like-field', description: '`:data: x` is a comment, not a data field.', requirements: ['PARSE-COMMENT-IGNORED'], input: ':data: x\n\n', events: [], retries: [] },
  { id: 'double-colon', description: '`::` is a comment.', requirements: ['PARSE-COMMENT-IGNORED'], input: '::\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'with-nul', description: 'A comment containing NUL is ignored.', requirements: ['PARSE-COMMENT-IGNORED'], input: ': \u0000\u0000\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'inside-event', description: 'A comment between data lines does not split the event.', requirements: ['PARSE-COMMENT-IGNORED'], input: 'data: a\n: keep-alive\ndata: b\n\n', events: [ev('a\nb')], retries: [] },
  { id: 'is-not-blank-line', description: 'A comment line is not a blank line: no dispatch.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-BLANK-LINE-DISPATCH'], input: 'data: a\n:\ndata: b\n\n', events: [ev('a\nb')], retries: [] },
  { id: 'comment-only-block', description: 'A block with only comments dispatches nothing.', requirements: ['PARSE-COMMENT-IGNORED', 'DISPATCH-EMPTY-DATA-SKIPPED'], input: ': a\n: b\n\n', events: [], retries: [] },
  { id: 'heartbeats-between-events', description: 'Keep-alive comments between events.', requirements: ['PARSE-COMMENT-IGNORED'], input: ':\n\ndata: a\n\n:\n\n:\n\ndata: b\n\n', events: [ev('a'), ev('b')], retries: [] },
  { id: 'crlf-terminated', description: 'Comments with CRLF terminators.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-CRLF-LINE-END'], input: ': a\r\ndata: b\r\n\r\n', events: [ev('b')], retries: [] },
  { id: 'cr-terminated', description: 'Comments with CR terminators.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-CR-LINE-END', 'PARSE-CR-AT-EOF'], input: ': a\rdata: b\r\r', events: [ev('b')], retries: [] },
  { id: 'long-comment', description: 'A 2048-character comment is ignored.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-LONG-LINES'], input: `:${'x'.repeat(2048)}\ndata: a\n\n`, events: [ev('a')], retries: [] },
  { id: 'very-long-comment', description: 'A 100 000-character comment is ignored (no limit in the spec).', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-LONG-LINES'], input: `:${'y'.repeat(100000)}\ndata: a\n\n`, events: [ev('a')], retries: [] },
  { id: 'space-before-colon-is-field', description: '` : x` starts with a space, so it is a field named ` `, not a comment.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-FIELD-NAME-EXACT'], input: ' : x\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'non-ascii', description: 'A comment with non-ASCII and astral text.', requirements: ['PARSE-COMMENT-IGNORED'], input: ': \u00e9\u4e16\ud83d\ude00\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'retry-and-id-in-comment', description: 'Fields written inside comments have no effect.', requirements: ['PARSE-COMMENT-IGNORED'], input: ':retry: 1\n:id: 2\n:event: x\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'comment-split-across-chunks', description: 'A comment line split across chunks, then data.', requirements: ['PARSE-COMMENT-IGNORED', 'PARSE-CHUNK-INVARIANCE'], chunks: [':', ' hel', 'lo\nda', 'ta: a\n', '\n'], events: [ev('a')], retries: [] },
];
