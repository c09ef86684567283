import { ev, evId, type Draft } from './draft.ts';

export const description = 'Explicit chunkings: the same events whatever the split points, including empty chunks and splits inside names, colons, values and terminators.';

const body = 'id: 1\nevent: add\ndata: a\ndata: b\n\n';
const expected = [ev('a\nb', 'add', '1')];

export const drafts: Draft[] = [
  { id: 'whole', description: 'Reference body in one chunk.', requirements: ['PARSE-CHUNK-INVARIANCE'], input: body, events: expected, retries: [], lastEventId: '1' },
  { id: 'byte-by-byte', description: 'Reference body one byte per chunk.', requirements: ['PARSE-CHUNK-INVARIANCE'], chunks: [...body], events: expected, retries: [], lastEventId: '1' },
  { id: 'split-in-field-name', description: 'Split inside `event`.', requirements: ['PARSE-CHUNK-INVARIANCE'], chunks: ['id: 1\nev', 'ent: add\ndata: a\ndata: b\n\n'], events: expected, retries: [], lastEventId: '1' },
  { id: 'split-before-colon', description: 'Split right before the colon.', requirements: ['PARSE-CHUNK-INVARIANCE'], chunks: ['id: 1\nevent', ': add\ndata: a\ndata: b\n\n'], events: expected, retries: [], lastEventId: '1' },
  { id: 'split-between-colon-and-space', description: 'Split between the colon and the space that must be stripped.', requirements: ['PARSE-CHUNK-INVARIANCE', 'PARSE-SINGLE-SPACE-STRIP'], chunks: ['id: 1\nevent: add\ndata:', ' a\ndata: b\n\n'], events: expected, retries: [], lastEventId: '1' },
  { id: 'split-after-space', description: 'Split after the stripped space.', requirements: ['PARSE-CHUNK-INVARIANCE', 'PARSE-SINGLE-SPACE-STRIP'], chunks: ['id: 1\nevent: add\ndata: ', 'a\ndata: b\n\n'], events: expected, retries: [], lastEventId: '1' },
  { id: 'split-between-blank-line-lfs', description: 'Split between the last LF of the event and the blank line.', requirements: ['PARSE-CHUNK-INVARIANCE', 'PARSE-BLANK-LINE-DISPATCH'], chunks: ['id: 1\nevent: add\ndata: a\ndata: b\n', '\n'], events: expected, retries: [], lastEventId: '1' },
  { id: 'empty-chunks-everywhere', description: 'Empty chunks at the start, between every line and at the end.', requirements: ['PARSE-CHUNK-INVARIANCE'], chunks: ['', 'id: 1\n', '', 'event: add\n', '', '', 'data: a\n', 'data: b\n', '', '\n', ''], events: expected, retries: [], lastEventId: '1' },
  { id: 'only-empty-chunks', description: 'A body of empty chunks produces nothing.', requirements: ['PARSE-CHUNK-INVARIANCE'], chunks: ['', '', ''], events: [], retries: [] },
  { id: 'many-events-one-chunk', description: 'Several events in one chunk.', requirements: ['PARSE-CHUNK-INVARIANCE', 'DISPATCH-IN-ORDER'], input: 'data: 1\n\ndata: 2\n\ndata: 3\n\n', events: [ev('1'), ev('2'), ev('3')], retries: [] },
  { id: 'event-spans-chunks-with-retry', description: 'A retry line split across chunks applies once complete.', requirements: ['PARSE-CHUNK-INVARIANCE', 'RETRY-DIGITS-SET'], chunks: ['ret', 'ry: 1', '5', '00\n', 'data: x\n\n'], events: [ev('x')], retries: [1500] },
  { id: 'id-split-across-chunks', description: 'An id value split across chunks.', requirements: ['PARSE-CHUNK-INVARIANCE', 'FIELD-ID-SET'], chunks: ['id: ab', 'c\ndata: x\n\n'], events: [evId('x', 'abc')], retries: [], lastEventId: 'abc' },
  { id: 'crlf-stream-odd-splits', description: 'A CRLF stream cut every three bytes.', requirements: ['PARSE-CHUNK-INVARIANCE', 'PARSE-CRLF-SPLIT-CHUNK'], chunks: 'data: a\r\ndata: b\r\n\r\nid: 2\r\ndata: c\r\n\r\n'.match(/[\s\S]{1,3}/g)!, events: [ev('a\nb'), evId('c', '2')], retries: [], lastEventId: '2' },
  { id: 'multibyte-and-crlf-split', description: 'Multi-byte characters and CRLF split in the same places.', requirements: ['PARSE-CHUNK-INVARIANCE', 'PARSE-STREAMING-DECODE', 'PARSE-CRLF-SPLIT-CHUNK'], chunks: ['data: ', [0xe2, 0x82], [0xac, 0x0d], [0x0a, 0x0d], [0x0a]], events: [ev('\u20ac')], retries: [] },
];
