import { ev, evId, type Draft } from './draft.ts';

export const description = '*Dispatch the event*: blank lines dispatch, empty data buffers are skipped, one trailing LF is removed, the default type is `message`, buffers are reset, order is kept.';

const many = Array.from({ length: 50 }, (_, i) => i);

export const drafts: Draft[] = [
  { id: 'blank-line-dispatches', description: 'One data line and a blank line give one event.', requirements: ['PARSE-BLANK-LINE-DISPATCH', 'DISPATCH-DEFAULT-TYPE-MESSAGE'], input: 'data: hello\n\n', events: [ev('hello')], retries: [] },
  { id: 'no-blank-line-no-event', description: 'Without a blank line nothing is dispatched.', requirements: ['PARSE-BLANK-LINE-DISPATCH', 'PARSE-EOF-DISCARD'], input: 'data: hello\n', events: [], retries: [] },
  { id: 'no-data-no-event', description: 'A block with only `event` is not dispatched.', requirements: ['DISPATCH-EMPTY-DATA-SKIPPED'], input: 'event: add\n\n', events: [], retries: [] },
  { id: 'empty-data-line-is-dispatched', description: 'One empty `data:` line makes buffer `\\n`: an event with empty data IS dispatched.', requirements: ['DISPATCH-EMPTY-DATA-SKIPPED', 'DISPATCH-TRAILING-LF-REMOVED'], input: 'data:\n\n', events: [ev('')], retries: [] },
  { id: 'empty-data-with-type', description: 'An empty data line with a custom type.', requirements: ['DISPATCH-EMPTY-DATA-SKIPPED', 'DISPATCH-CUSTOM-TYPE'], input: 'event: ping\ndata\n\n', events: [ev('', 'ping')], retries: [] },
  { id: 'only-one-trailing-lf-removed', description: 'Two empty data lines: buffer `\\n\\n`, only one LF removed.', requirements: ['DISPATCH-TRAILING-LF-REMOVED'], input: 'data:\ndata:\n\n', events: [ev('\n')], retries: [] },
  { id: 'three-empty-data-lines', description: 'Three empty data lines give two LFs.', requirements: ['DISPATCH-TRAILING-LF-REMOVED'], input: 'data\ndata\ndata\n\n', events: [ev('\n\n')], retries: [] },
  { id: 'default-type-message', description: 'No `event` field: type `message`.', requirements: ['DISPATCH-DEFAULT-TYPE-MESSAGE'], input: 'data: a\n\n', events: [ev('a', 'message')], retries: [] },
  { id: 'explicit-message-type', description: '`event: message` gives type `message`.', requirements: ['DISPATCH-CUSTOM-TYPE'], input: 'event: message\ndata: a\n\n', events: [ev('a', 'message')], retries: [] },
  { id: 'type-error', description: '`event: error` is a message event of type `error` (not a connection error).', requirements: ['DISPATCH-CUSTOM-TYPE'], input: 'event: error\ndata: a\n\n', events: [ev('a', 'error')], retries: [] },
  { id: 'type-open', description: '`event: open` is a message event of type `open`.', requirements: ['DISPATCH-CUSTOM-TYPE'], input: 'event: open\ndata: a\n\n', events: [ev('a', 'open')], retries: [] },
  { id: 'type-case-differs-from-message', description: '`Message` is a custom type, not `message`.', requirements: ['DISPATCH-CUSTOM-TYPE', 'FIELD-EVENT-TYPE'], input: 'event: Message\ndata: a\n\n', events: [ev('a', 'Message')], retries: [] },
  { id: 'resets-data', description: 'Data does not carry over to the next event.', requirements: ['DISPATCH-RESETS-DATA-AND-TYPE', 'DISPATCH-OTHER-UA-MINIMUM'], input: 'data: a\n\ndata: b\n\n', events: [ev('a'), ev('b')], retries: [] },
  { id: 'resets-type', description: 'The type does not carry over to the next event.', requirements: ['DISPATCH-RESETS-DATA-AND-TYPE', 'DISPATCH-OTHER-UA-MINIMUM'], input: 'event: add\ndata: a\n\ndata: b\n\n', events: [ev('a', 'add'), ev('b')], retries: [] },
  { id: 'resets-type-without-dispatch', description: 'A block with a type but no data still resets the type buffer.', requirements: ['DISPATCH-EMPTY-DATA-SKIPPED', 'DISPATCH-OTHER-UA-MINIMUM'], input: 'event: add\n\ndata: b\n\n', events: [ev('b')], retries: [] },
  { id: 'unknown-fields-then-blank-line', description: 'A block of unknown fields and a blank line: no event, no effect on the next one.', requirements: ['DISPATCH-EMPTY-DATA-SKIPPED', 'PARSE-UNKNOWN-FIELD-IGNORED'], input: 'foo: x\n\ndata: a\n\n', events: [ev('a')], retries: [] },
  { id: 'in-order', description: 'Fifty events arrive in stream order with their own types and ids.', requirements: ['DISPATCH-IN-ORDER'], input: many.map((i) => `id: ${i}\nevent: t${i % 3}\ndata: ${i}\n\n`).join(''), events: many.map((i) => ev(String(i), `t${i % 3}`, String(i))), retries: [], lastEventId: '49' },
  { id: 'interleaved-retry-and-events', description: 'Events and retries keep their relative order.', requirements: ['DISPATCH-IN-ORDER', 'RETRY-APPLIES-IMMEDIATELY'], input: 'data: a\n\nretry: 1\n\ndata: b\n\nretry: 2\n\n', events: [ev('a'), ev('b')], retries: [1, 2] },
  { id: 'last-event-id-at-dispatch-time', description: 'Each event carries the last event ID string as it was when it was dispatched.', requirements: ['DISPATCH-LASTEVENTID-ATTR', 'DISPATCH-SETS-LAST-EVENT-ID'], input: 'data: a\n\nid: 1\ndata: b\n\nid: 2\n\ndata: c\n\n', events: [evId('a', ''), evId('b', '1'), evId('c', '2')], retries: [], lastEventId: '2' },
  { id: 'multiline-custom-type', description: 'A multi-line payload with a custom type and id.', requirements: ['DISPATCH-CUSTOM-TYPE', 'DISPATCH-TRAILING-LF-REMOVED', 'FIELD-DATA-APPEND'], input: 'event: user-joined\nid: 42\ndata: line one\ndata: line two\n\n', events: [ev('line one\nline two', 'user-joined', '42')], retries: [], lastEventId: '42' },
  { id: 'data-ending-in-lf-from-empty-line', description: 'Data `a` then an empty data line: the single trailing LF of the value survives.', requirements: ['DISPATCH-TRAILING-LF-REMOVED'], input: 'data: a\ndata\n\n', events: [ev('a\n')], retries: [] },
];
