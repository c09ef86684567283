// Evidence records built from a read: the response headers, the first bytes, the chunk timeline.
import type { Evidence } from '../model.ts';
import { bytesExcerpt, headersText, type ReadResult } from './stream-reader.ts';

export function headersEvidence(result: ReadResult, label = 'response headers'): Evidence {
  const redirects = result.redirects.map((r) => `(redirect ${r.status} -> ${r.location})\n`).join('');
  return { kind: 'headers', label, text: `GET ${result.requestedUrl}\n${redirects}${headersText(result)}\n(read ended: ${result.end}${result.endDetail ? `: ${result.endDetail}` : ''}; ${Math.round(result.elapsedMs)} ms)` };
}

export function bytesEvidence(result: ReadResult, label = 'body bytes (as received)', around?: number): Evidence {
  const start = around === undefined ? 0 : Math.max(0, around - 200);
  const excerpt = bytesExcerpt(result.body.subarray(start), 1200);
  return { kind: 'bytes', label: start ? `${label}, from byte ${start}` : label, text: excerpt || '(no body bytes)' };
}

export function timelineEvidence(result: ReadResult, label = 'chunk arrival times'): Evidence {
  const rows = [`headers at ${result.headersAt ?? '-'} ms`];
  let offset = 0;
  for (const c of result.chunks.slice(0, 40)) {
    rows.push(`+${c.at} ms: ${c.bytes.byteLength} bytes at offset ${offset}`);
    offset += c.bytes.byteLength;
  }
  if (result.chunks.length > 40) rows.push(`… ${result.chunks.length - 40} more chunks`);
  return { kind: 'timing', label, text: rows.join('\n') };
}

export function eventsEvidence(events: readonly { type: string; data: string; lastEventId: string; at?: number }[], label = 'events as a client reads them'): Evidence {
  const rows = events.slice(0, 30).map((e) => JSON.stringify({ type: e.type, data: e.data.length > 120 ? `${e.data.slice(0, 120)}…` : e.data, lastEventId: e.lastEventId, ...(e.at !== undefined ? { at: e.at } : {}) }));
  if (events.length > 30) rows.push(`… ${events.length - 30} more`);
  return { kind: 'events', label, text: rows.join('\n') || '(no events)' };
}
