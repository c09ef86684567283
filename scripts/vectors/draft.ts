/**
 * A small authoring language for the parser test vectors. Every expectation is written by hand
 * from the spec's rules (never computed by the reference parser); these helpers only assemble
 * bytes, chunk split points and JSON.
 */
import type { RequirementId } from '../../spec/requirements.ts';
import type { ExpectedEvent, Vector } from '../../fixtures/vectors/load.ts';

/** A piece of input: text (UTF-8 encoded) or raw bytes. */
export type Piece = string | readonly number[];

export interface Draft {
  /** Slug inside the area; the file's area name is prefixed (`line-endings.` + slug). */
  readonly id: string;
  readonly description: string;
  readonly requirements: readonly RequirementId[];
  /** The whole body in one piece (no split points). */
  readonly input?: Piece | readonly Piece[];
  /** The body as chunks: split points fall between the pieces (an empty piece is an empty chunk). */
  readonly chunks?: readonly Piece[];
  readonly initialLastEventId?: string;
  readonly events: readonly ExpectedEvent[];
  /** All valid retry values in order; `undefined` with `retry` set = intermediate values are implementation-defined. */
  readonly retries?: readonly number[] | undefined;
  /** Final retry; defaults to the last of `retries`, or null. */
  readonly retry?: number | null;
  /** Last event ID string after the body; defaults to `initialLastEventId` or `''`. */
  readonly lastEventId?: string;
}

/** An expected event; type defaults to `message`, lastEventId to `''`. */
export function ev(data: string, type = 'message', lastEventId = ''): ExpectedEvent {
  return { type, data, lastEventId };
}

/** An expected event with the given last event ID and the default type. */
export function evId(data: string, lastEventId: string): ExpectedEvent {
  return { type: 'message', data, lastEventId };
}

const encoder = new TextEncoder();

export function pieceBytes(piece: Piece): Uint8Array {
  return typeof piece === 'string' ? encoder.encode(piece) : Uint8Array.from(piece);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Turns a draft into the committed vector form. */
export function finish(area: string, draft: Draft): Vector {
  if (draft.input !== undefined && draft.chunks !== undefined) throw new Error(`${draft.id}: give input or chunks, not both`);
  let pieces: readonly Piece[];
  if (draft.chunks !== undefined) pieces = draft.chunks;
  else if (draft.input === undefined) throw new Error(`${draft.id}: no input`);
  else if (typeof draft.input === 'string' || (draft.input.length > 0 && typeof draft.input[0] === 'number')) pieces = [draft.input as Piece];
  else pieces = draft.input as readonly Piece[];
  const parts = pieces.map(pieceBytes);
  const bytes = concat(parts);
  const splitPoints: number[] = [];
  if (draft.chunks !== undefined) {
    let offset = 0;
    for (let i = 0; i < parts.length - 1; i++) {
      offset += parts[i]!.length;
      splitPoints.push(offset);
    }
  }
  const retries = draft.retries;
  const retry = draft.retry !== undefined ? draft.retry : retries && retries.length > 0 ? retries[retries.length - 1]! : null;
  if (retries === undefined && draft.retry === undefined) throw new Error(`${draft.id}: retries omitted without a final retry`);
  const vector: Vector = {
    id: `${area}.${draft.id}`,
    description: draft.description,
    requirements: [...draft.requirements],
    ...(isValidUtf8(bytes) ? { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) } : { base64: Buffer.from(bytes).toString('base64') }),
    ...(draft.chunks !== undefined ? { chunks: splitPoints } : {}),
    ...(draft.initialLastEventId !== undefined ? { initialLastEventId: draft.initialLastEventId } : {}),
    events: draft.events.map((e) => ({ type: e.type, data: e.data, lastEventId: e.lastEventId })),
    retry,
    ...(retries !== undefined ? { retries: [...retries] } : {}),
    lastEventId: draft.lastEventId ?? draft.initialLastEventId ?? '',
  };
  return vector;
}

/** Characters outside printable ASCII as `\uXXXX`, so BOMs, NEL, LS/PS and controls are visible and files are pure ASCII. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The committed layout: one property per line for the file and each vector, every value (events
 * included, one per line) in compact ASCII JSON. Deterministic for a given input.
 */
export function stableJson(file: { readonly [key: string]: unknown; readonly vectors: readonly Vector[] }): string {
  const lines: string[] = ['{'];
  for (const [key, value] of Object.entries(file)) {
    if (key !== 'vectors') lines.push(`  ${asciiJson(key)}: ${asciiJson(value)},`);
  }
  lines.push('  "vectors": [');
  file.vectors.forEach((vector, i) => {
    lines.push('    {');
    const entries = Object.entries(vector);
    entries.forEach(([key, value], j) => {
      const comma = j < entries.length - 1 ? ',' : '';
      if (key === 'events' && Array.isArray(value) && value.length > 0) {
        lines.push(`      "events": [`);
        value.forEach((event, k) => lines.push(`        ${asciiJson(event)}${k < value.length - 1 ? ',' : ''}`));
        lines.push(`      ]${comma}`);
      } else {
        lines.push(`      ${asciiJson(key)}: ${asciiJson(value)}${comma}`);
      }
    });
    lines.push(`    }${i < file.vectors.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]', '}', '');
  return lines.join('\n');
}
