/**
 * Event streams the parser benchmark feeds to every contender: each workload is one body as
 * bytes, already cut into the chunks a socket would deliver, plus how many events it must yield.
 * Deterministic (seeded) so runs and machines compare.
 */
import { seededRandom } from '../test-seed.ts';

/** One benchmark input: a body split into chunks, with the number of events it dispatches. */
export interface ParserWorkload {
  readonly name: string;
  /** Counted in the "small-event" targets (many short lines; per-line overhead dominates). */
  readonly smallEvents: boolean;
  readonly chunks: Buffer[];
  readonly totalBytes: number;
  readonly expectedEvents: number;
}

// The random chunking is the same on every run: a seeded PRNG.
export { seededRandom };

/** Cuts `body` into consecutive chunks of `size` bytes (the last may be shorter). */
export function fixedChunks(body: Uint8Array, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < body.length; start += size) {
    chunks.push(Buffer.from(body.buffer, body.byteOffset + start, Math.min(size, body.length - start)));
  }
  return chunks;
}

/** Cuts `body` into consecutive chunks of a random size in [min, max] bytes (seeded). */
export function randomChunks(body: Uint8Array, min: number, max: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  const chunks: Buffer[] = [];
  for (let start = 0; start < body.length; ) {
    const size = Math.min(min + Math.floor(random() * (max - min + 1)), body.length - start);
    chunks.push(Buffer.from(body.buffer, body.byteOffset + start, size));
    start += size;
  }
  return chunks;
}

/** A JSON-ish payload of about 40-60 characters, like a typical notification. */
function payload(n: number): string {
  return `{"seq":${n},"user":"u${n % 997}","text":"hello from the server"}`;
}

/** Repeats `frame(n)` until the body reaches about `targetBytes` of UTF-8; returns the frames and event count. */
function repeat(targetBytes: number, frame: (n: number) => string, last?: string): { frames: string[]; text: string; events: number } {
  const frames: string[] = [];
  let length = 0;
  let n = 0;
  while (length < targetBytes) {
    const f = frame(n++);
    frames.push(f);
    length += Buffer.byteLength(f);
  }
  if (last !== undefined) {
    frames.push(last);
    n++;
  }
  return { frames, text: frames.join(''), events: n };
}

const smallFrame = (n: number): string => `data: ${payload(n)}\n\n`;
const smallCrlfFrame = (n: number): string => `data: ${payload(n)}\r\n\r\n`;
const idEventDataFrame = (n: number): string => `id: ${n}\nevent: update\ndata: ${payload(n)}\n\n`;
const multiLineFrame = (n: number): string => {
  let frame = '';
  for (let line = 0; line < 8; line++) frame += `data: line ${line} of event ${n}: lorem ipsum dolor sit\n`;
  return frame + '\n';
};
const bigLine = 'x'.repeat(64 * 1024);

/**
 * Chat messages in other scripts, mostly CJK with some Korean, Cyrillic, accented Latin and emoji
 * (1-4 UTF-8 bytes per character; 4-byte emoji are surrogate pairs after decoding).
 */
const CHAT_TEXTS = [
  '今天的会议改到下午三点，请大家准时参加。',
  '好的，我马上到！👍',
  '这个版本的性能提升很明显，谢谢你的修复。',
  'これは日本語のメッセージです。よろしくお願いします。',
  '서울 날씨가 정말 좋네요 ☀️ 산책 가실 분?',
  '收到，文件已经上传到共享目录了 📁',
  'Привет! Увидимся завтра в 10:00.',
  '明天北京有雨，记得带伞 ☔',
  'Café à 15 h ? Je réserve une table près de la fenêtre.',
  '我们下周一发布新版本 🚀🎉',
] as const;
const chatFrame = (n: number): string => `data: {"from":"用户${n % 97}","room":"团队","text":"${CHAT_TEXTS[n % CHAT_TEXTS.length]!}"}\n\n`;

/** Multi-line data mixing scripts line by line: ASCII, accented Latin, Cyrillic, CJK, emoji. */
const MIXED_LINES = [
  'line of plain ASCII text for the log',
  'Crème brûlée, naïve façade, smörgåsbord — déjà vu',
  'Съешь же ещё этих мягких французских булок',
  '服务器发送事件在中文环境下也必须准确无误',
  'status ✅ done 🎉 deploy 🚀 at 12:00',
  'Zürich → München → Kraków, 3 €',
  '日本語とEnglishが混在する行です',
  'plain ASCII again, with some digits 0123456789',
] as const;
const mixedMultiLineFrame = (n: number): string => {
  let frame = '';
  for (let line = 0; line < MIXED_LINES.length; line++) frame += `data: ${n} ${MIXED_LINES[(n + line) % MIXED_LINES.length]!}\n`;
  return frame + '\n';
};

/** Mostly-ASCII JSON where one event in four carries a non-ASCII string (a name, a city). */
const NAMES = ['Zoë', 'José', 'Ægir', 'Łukasz', 'Ørjan', '李雷', 'Đorđe', 'Søren'] as const;
const fewNonAsciiFrame = (n: number): string =>
  `data: {"seq":${n},"user":"${n % 4 === 0 ? NAMES[(n >> 2) % NAMES.length]! : `u${n % 997}`}","text":"hello from the server"}\n\n`;

/** An OpenAI-compatible chat completion stream: one token per event, then `data: [DONE]`. */
const ASCII_TOKENS = ['Hello', ',', ' how', ' can', ' I', ' help', ' you', ' today', '?', ' The', ' answer', ' is', ' 42', '.'] as const;
const NON_ASCII_TOKENS = ['你好', '，', '我', '可以', '帮', '你', '什么', '？', ' café', ' naïve', ' Привет', ' 🙂', '日本', '語', ' 😀👍'] as const;
const tokenFrame = (tokens: readonly string[]) => (n: number): string =>
  `data: {"id":"chatcmpl-AbC123xyz","object":"chat.completion.chunk","created":1733570000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":${JSON.stringify(tokens[n % tokens.length])}},"finish_reason":null}]}\n\n`;
export const DONE_FRAME = 'data: [DONE]\n\n';
/** The frames of the non-benchmark-sized streams other benchmarks share (the client benchmark). */
export const frames = { small: smallFrame, chat: chatFrame, mixedMultiLine: mixedMultiLineFrame, fewNonAscii: fewNonAsciiFrame, asciiTokens: tokenFrame(ASCII_TOKENS), nonAsciiTokens: tokenFrame(NON_ASCII_TOKENS) };
const bigLineFrame = (n: number): string => `data: ${n} ${bigLine}\n\n`;

/**
 * The benchmark's workloads, each about `targetBytes` long. Bodies are cut into 64 KiB chunks
 * (a typical socket read) except `random chunks`, which is the id+event+data body cut into
 * seeded random 1-64 byte chunks (a worst case: most lines span several chunks).
 */
export function parserWorkloads(targetBytes = 4 * 1024 * 1024, seed = 0x5e5e): ParserWorkload[] {
  const encoder = new TextEncoder();
  const make = (name: string, smallEvents: boolean, frame: (n: number) => string, options: { chunking?: (body: Uint8Array) => Buffer[]; perEvent?: boolean; last?: string; bytes?: number } = {}): ParserWorkload => {
    const { frames: parts, text, events } = repeat(options.bytes ?? targetBytes, frame, options.last);
    const body = encoder.encode(text);
    // One event per read: each frame is its own chunk, as when every event is its own socket read.
    const chunks = options.perEvent ? parts.map((f) => Buffer.from(f)) : options.chunking ? options.chunking(body) : fixedChunks(body, 64 * 1024);
    return { name, smallEvents, chunks, totalBytes: body.length, expectedEvents: events };
  };
  // Tiny reads make every contender pay per call; a quarter of the body keeps a round short.
  const tiny = { chunking: (body: Uint8Array) => randomChunks(body, 1, 16, seed), bytes: Math.ceil(targetBytes / 4) };
  return [
    make('small events', true, smallFrame),
    make('64 KiB data lines', false, bigLineFrame),
    make('multi-line data', false, multiLineFrame),
    make('id+event+data', true, idEventDataFrame),
    make('CRLF small events', true, smallCrlfFrame),
    make('random 1-64 B chunks', true, idEventDataFrame, { chunking: (body) => randomChunks(body, 1, 64, seed) }),
    make('CJK chat', true, chatFrame),
    make('mixed-script multi-line', false, mixedMultiLineFrame),
    make('JSON, few non-ASCII', true, fewNonAsciiFrame),
    make('LLM tokens, one event per read', true, frames.asciiTokens, { perEvent: true, last: DONE_FRAME }),
    make('LLM tokens non-ASCII, one event per read', true, frames.nonAsciiTokens, { perEvent: true, last: DONE_FRAME }),
    make('CJK chat, 1-16 B reads', true, chatFrame, tiny),
    make('mixed-script multi-line, 1-16 B reads', false, mixedMultiLineFrame, tiny),
    make('LLM tokens, 1-16 B reads', true, frames.asciiTokens, { ...tiny, last: DONE_FRAME }),
    make('LLM tokens non-ASCII, 1-16 B reads', true, frames.nonAsciiTokens, { ...tiny, last: DONE_FRAME }),
  ];
}
