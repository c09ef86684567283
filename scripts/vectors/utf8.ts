import { ev, evId, type Draft } from './draft.ts';

export const description = 'UTF-8 decoding with replacement (Encoding standard, one U+FFFD per maximal subpart), decoder state across chunks, and bytes in other charsets.';

const R = '\ufffd';

/** `data: <bytes>\n\n` must give one event whose data is `expected`. */
const invalid: readonly [slug: string, bytes: number[], expected: string, why: string][] = [
  ['lone-continuation-byte', [0x80], R, 'a continuation byte without a lead byte'],
  ['two-continuation-bytes', [0x80, 0x80], R + R, 'each stray continuation byte is its own maximal subpart'],
  ['byte-ff', [0xff], R, '0xFF never appears in UTF-8'],
  ['byte-fe', [0xfe], R, '0xFE never appears in UTF-8'],
  ['overlong-nul-c0-80', [0xc0, 0x80], R + R, 'C0 is never a valid lead byte (overlong), so each byte is replaced'],
  ['overlong-c1-bf', [0xc1, 0xbf], R + R, 'C1 is never a valid lead byte'],
  ['overlong-3-byte-e0-80-80', [0xe0, 0x80, 0x80], R + R + R, 'after E0 the next byte must be A0..BF'],
  ['overlong-3-byte-e0-9f-bf', [0xe0, 0x9f, 0xbf], R + R + R, 'overlong encoding of U+07FF'],
  ['overlong-4-byte-f0-80-80-80', [0xf0, 0x80, 0x80, 0x80], R + R + R + R, 'after F0 the next byte must be 90..BF'],
  ['overlong-4-byte-f0-8f-bf-bf', [0xf0, 0x8f, 0xbf, 0xbf], R + R + R + R, 'overlong encoding of U+FFFF'],
  ['surrogate-ed-a0-80', [0xed, 0xa0, 0x80], R + R + R, 'U+D800 (a surrogate) encoded as UTF-8 is invalid: after ED the next byte must be 80..9F'],
  ['surrogate-ed-bf-bf', [0xed, 0xbf, 0xbf], R + R + R, 'U+DFFF encoded as UTF-8 is invalid'],
  ['cesu8-surrogate-pair', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], R.repeat(6), 'CESU-8 (surrogate pair as two 3-byte sequences) is six errors'],
  ['above-max-f4-90-80-80', [0xf4, 0x90, 0x80, 0x80], R + R + R + R, 'U+110000 is beyond Unicode: after F4 the next byte must be 80..8F'],
  ['lead-f5', [0xf5, 0x80, 0x80, 0x80], R + R + R + R, 'F5 is never a valid lead byte'],
  ['five-byte-form-f8', [0xf8, 0x88, 0x80, 0x80, 0x80], R.repeat(5), 'the obsolete 5-byte form is five errors'],
  ['truncated-2-of-3-then-ascii', [0xe2, 0x82, 0x78], `${R}x`, 'E2 82 is one maximal subpart: one U+FFFD, then the x is kept'],
  ['truncated-1-of-3-then-ascii', [0xe2, 0x78], `${R}x`, 'a lone lead byte is one U+FFFD'],
  ['truncated-3-of-4-then-ascii', [0xf0, 0x9f, 0x98, 0x41], `${R}A`, 'F0 9F 98 is one maximal subpart'],
  ['truncated-e0-a0-then-ascii', [0xe0, 0xa0, 0x41], `${R}A`, 'E0 A0 is a valid prefix: one U+FFFD'],
  ['truncated-f1-80-80-then-ascii', [0xf1, 0x80, 0x80, 0x41], `${R}A`, 'F1 80 80 is one maximal subpart'],
  ['truncated-f4-8f-then-ascii', [0xf4, 0x8f, 0x41], `${R}A`, 'F4 8F is a valid prefix: one U+FFFD'],
  ['invalid-then-valid-multibyte', [0xff, 0xe2, 0x82, 0xac], `${R}\u20ac`, 'an error does not swallow the valid character after it'],
  ['truncated-lead-then-valid-2-byte', [0xc2, 0xc2, 0xa9], `${R}\u00a9`, 'a lead byte followed by another lead byte'],
  ['latin1-e-acute', [0x63, 0x61, 0x66, 0xe9], `caf${R}`, 'Latin-1 "é" (E9) alone is not UTF-8'],
  ['windows-1252-euro', [0x80, 0x35], `${R}5`, 'Windows-1252 "€" (80) is a stray continuation byte'],
  ['raw-nel-byte', [0x61, 0x85, 0x62], `a${R}b`, 'a raw 0x85 byte is invalid UTF-8 (replaced), and in any case not a line end'],
  ['unicode-table-3-8-example', [0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0x80, 0xbf, 0x64], `a${R}${R}${R}b${R}c${R}${R}d`, 'the Unicode Standard\'s own maximal-subpart example (Table 3-8): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64'],
  ['truncated-4-byte-then-lead', [0xf0, 0x90, 0x80, 0xf0, 0x41], `${R}${R}A`, 'F0 90 80 is one maximal subpart; the next F0 starts a new one'],
  ['truncated-3-byte-then-valid-3-byte', [0xe1, 0x80, 0xe1, 0x80, 0x80], `${R}\u1000`, 'E1 80 is cut off by a new lead byte, whose sequence E1 80 80 (U+1000) is valid'],
];

/** `data: <bytes>\n\n` with valid boundary encodings that a hand-written decoder may reject. */
const boundaries: readonly [slug: string, bytes: number[], expected: string][] = [
  ['lowest-2-byte-c2-80', [0xc2, 0x80], '\u0080'],
  ['highest-2-byte-df-bf', [0xdf, 0xbf], '\u07ff'],
  ['lowest-3-byte-e0-a0-80', [0xe0, 0xa0, 0x80], '\u0800'],
  ['highest-before-surrogates-ed-9f-bf', [0xed, 0x9f, 0xbf], '\ud7ff'],
  ['noncharacters-fffe-ffff', [0xef, 0xbf, 0xbe, 0xef, 0xbf, 0xbf], '\ufffe\uffff'],
  ['lowest-4-byte-f0-90-80-80', [0xf0, 0x90, 0x80, 0x80], '\ud800\udc00'],
  ['plane-16-f4-80-80-80', [0xf4, 0x80, 0x80, 0x80], '\udbc0\udc00'],
];

const boundaryDrafts: Draft[] = boundaries.map(([slug, bytes, expected]) => ({
  id: `valid-${slug}`,
  description: `A valid boundary encoding (${bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')}) decodes to its code point, never to U+FFFD.`,
  requirements: ['PARSE-UTF8-DECODE'],
  input: ['data: ', bytes, '\n\n'],
  events: [ev(expected)],
  retries: [],
}));

const invalidDrafts: Draft[] = invalid.map(([slug, bytes, expected, why]) => ({
  id: slug,
  description: `Invalid UTF-8 in a data value: ${why}.`,
  requirements: ['PARSE-UTF8-DECODE'],
  input: ['data: ', bytes, '\n\n'],
  events: [ev(expected)],
  retries: [],
}));

export const drafts: Draft[] = [
  { id: 'valid-2-byte', description: 'A 2-byte character (U+00E9).', requirements: ['PARSE-UTF8-DECODE'], input: 'data: \u00e9\n\n', events: [ev('\u00e9')], retries: [] },
  { id: 'valid-3-byte', description: 'A 3-byte character (U+20AC).', requirements: ['PARSE-UTF8-DECODE'], input: 'data: \u20ac\n\n', events: [ev('\u20ac')], retries: [] },
  { id: 'valid-4-byte', description: 'A 4-byte character (U+1F600).', requirements: ['PARSE-UTF8-DECODE'], input: 'data: \ud83d\ude00\n\n', events: [ev('\ud83d\ude00')], retries: [] },
  { id: 'valid-boundaries', description: 'U+D7FF, U+E000, U+FFFD, U+10FFFF are valid and kept.', requirements: ['PARSE-UTF8-DECODE'], input: 'data: \ud7ff\ue000\ufffd\udbff\udfff\n\n', events: [ev('\ud7ff\ue000\ufffd\udbff\udfff')], retries: [] },
  { id: 'valid-nel-c2-85', description: 'C2 85 is U+0085 NEL: valid, and data rather than a line end.', requirements: ['PARSE-UTF8-DECODE', 'PARSE-NO-OTHER-LINE-ENDS'], input: ['data: a', [0xc2, 0x85], 'b\n\n'], events: [ev('a\u0085b')], retries: [] },
  { id: 'split-2-byte', description: 'A 2-byte character split across chunks.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xc3], [0xa9], '\n\n'], events: [ev('\u00e9')], retries: [] },
  { id: 'split-3-byte-1-2', description: 'A 3-byte character split 1+2.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xe2], [0x82, 0xac], '\n\n'], events: [ev('\u20ac')], retries: [] },
  { id: 'split-3-byte-2-1', description: 'A 3-byte character split 2+1.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xe2, 0x82], [0xac], '\n\n'], events: [ev('\u20ac')], retries: [] },
  { id: 'split-3-byte-1-1-1', description: 'A 3-byte character split into single bytes.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xe2], [0x82], [0xac], '\n\n'], events: [ev('\u20ac')], retries: [] },
  { id: 'split-4-byte-1-3', description: 'A 4-byte character split 1+3.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xf0], [0x9f, 0x98, 0x80], '\n\n'], events: [ev('\ud83d\ude00')], retries: [] },
  { id: 'split-4-byte-2-2', description: 'A 4-byte character split 2+2.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xf0, 0x9f], [0x98, 0x80], '\n\n'], events: [ev('\ud83d\ude00')], retries: [] },
  { id: 'split-4-byte-3-1', description: 'A 4-byte character split 3+1.', requirements: ['PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xf0, 0x9f, 0x98], [0x80], '\n\n'], events: [ev('\ud83d\ude00')], retries: [] },
  { id: 'split-4-byte-with-empty-chunks', description: 'A 4-byte character split with empty chunks in between.', requirements: ['PARSE-STREAMING-DECODE', 'PARSE-CHUNK-INVARIANCE'], chunks: ['data: ', [0xf0], '', [0x9f], '', [0x98], '', [0x80], '\n\n'], events: [ev('\ud83d\ude00')], retries: [] },
  { id: 'split-in-field-name-position', description: 'A multi-byte event type split across chunks.', requirements: ['PARSE-STREAMING-DECODE', 'FIELD-EVENT-TYPE'], chunks: ['event: \u00e9', [0xe2, 0x82], [0xac], '\ndata: a\n\n'], events: [ev('a', '\u00e9\u20ac')], retries: [] },
  { id: 'split-in-id', description: 'A multi-byte id split across chunks.', requirements: ['PARSE-STREAMING-DECODE', 'FIELD-ID-SET'], chunks: ['id: ', [0xe2, 0x80], [0xa6], '\ndata: a\n\n'], events: [evId('a', '\u2026')], retries: [], lastEventId: '\u2026' },
  { id: 'truncated-before-lf', description: 'A truncated sequence right before LF: one U+FFFD, and the LF still ends the line.', requirements: ['PARSE-UTF8-DECODE'], input: ['data: ', [0xe2, 0x82], '\n\n'], events: [ev(R)], retries: [] },
  { id: 'lone-lead-before-lf', description: 'A lone lead byte right before LF does not swallow the LF.', requirements: ['PARSE-UTF8-DECODE'], input: ['data: ', [0xe2], '\n\n'], events: [ev(R)], retries: [] },
  { id: 'truncated-4-byte-before-blank-line', description: 'F0 9F then LF LF: one U+FFFD, then the event.', requirements: ['PARSE-UTF8-DECODE'], input: ['data: ', [0xf0, 0x9f], '\n\n'], events: [ev(R)], retries: [] },
  { id: 'truncated-before-cr', description: 'A truncated sequence right before CR does not swallow the CR.', requirements: ['PARSE-UTF8-DECODE', 'PARSE-CR-LINE-END', 'PARSE-CR-AT-EOF'], input: ['data: ', [0xe2, 0x82], '\r\r'], events: [ev(R)], retries: [] },
  { id: 'truncated-split-before-lf', description: 'A truncated sequence whose bytes and the following LF arrive in separate chunks.', requirements: ['PARSE-UTF8-DECODE', 'PARSE-STREAMING-DECODE'], chunks: ['data: ', [0xe2], [0x82], '\n\n'], events: [ev(R)], retries: [] },
  { id: 'invalid-in-field-name', description: 'An invalid byte inside `data` makes an unknown field name.', requirements: ['PARSE-UTF8-DECODE', 'PARSE-FIELD-NAME-EXACT'], input: ['d', [0xff], 'ata: x\n\ndata: y\n\n'], events: [ev('y')], retries: [] },
  { id: 'invalid-in-id', description: 'An invalid byte in an id value becomes U+FFFD in the id.', requirements: ['PARSE-UTF8-DECODE', 'FIELD-ID-SET'], input: ['id: 1', [0xff], '\ndata: a\n\n'], events: [evId('a', `1${R}`)], retries: [], lastEventId: `1${R}` },
  { id: 'invalid-in-event-type', description: 'An invalid byte as the event type becomes U+FFFD.', requirements: ['PARSE-UTF8-DECODE', 'FIELD-EVENT-TYPE'], input: ['event: ', [0xc0], '\ndata: a\n\n'], events: [ev('a', R)], retries: [] },
  { id: 'invalid-in-retry', description: 'An invalid byte after retry digits makes the value invalid.', requirements: ['PARSE-UTF8-DECODE', 'RETRY-NONDIGIT-IGNORED'], input: ['retry: 10', [0xff], '\n\n'], events: [], retries: [] },
  { id: 'invalid-in-comment', description: 'Invalid bytes in a comment are harmless.', requirements: ['PARSE-UTF8-DECODE', 'PARSE-COMMENT-IGNORED'], input: [': ', [0xff, 0xc0, 0xed, 0xa0, 0x80], '\ndata: a\n\n'], events: [ev('a')], retries: [] },
  { id: 'garbage-then-recovery', description: 'A line of invalid bytes (a stray continuation byte, a lead byte without its continuation, FE FF not at the start), then a blank line, then a normal event.', requirements: ['PARSE-UTF8-DECODE', 'PARSE-UNKNOWN-FIELD-IGNORED'], input: [[0x80, 0xc3, 0x28, 0xa0, 0xa1, 0xfe, 0xff], '\n\ndata: ok\n\n'], events: [ev('ok')], retries: [] },
  { id: 'latin1-body-decoded-as-utf8', description: 'A body a server wrote in Latin-1 is still read as UTF-8, whatever charset it declared.', requirements: ['PARSE-CHARSET-IGNORED', 'PARSE-UTF8-DECODE'], input: ['data: na', [0xef], 've caf', [0xe9], '\n\n'], events: [ev(`na${R}ve caf${R}`)], retries: [] },
  { id: 'utf16le-body-decoded-as-utf8', description: 'UTF-16LE bytes for `data: a` are read as UTF-8: NULs everywhere, so no field name is `data`.', requirements: ['PARSE-CHARSET-IGNORED', 'PARSE-UTF8-DECODE'], input: [[0x64, 0x00, 0x61, 0x00, 0x74, 0x00, 0x61, 0x00, 0x3a, 0x00, 0x61, 0x00, 0x0a, 0x00, 0x0a, 0x00], '\ndata: b\n\n'], events: [ev('b')], retries: [] },
  ...invalidDrafts,
  ...boundaryDrafts,
];
