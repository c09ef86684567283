/**
 * The harness page a real browser loads to watch a target through its own EventSource. The page
 * is answered by request interception at a URL of the origin the case needs (the target's own
 * origin for same-origin cases, so the target needs no CORS setup), while the EventSource request
 * goes to the real target untouched. The page reports every `open`, `error` (with readyState) and
 * dispatched event to Node through an exposed binding.
 */

/** Path the page is served at on whatever origin the case chooses. */
export const PAGE_PATH = '/__sse_conformance__/page.html';

/** Name of the binding exposed to the page. The page's own helper must have a different name (browsers.md gotcha). */
export const REPORT_BINDING = 'ssecReport';

/** Name of the page function that closes the EventSource. */
export const STOP_FUNCTION = 'ssecStopSource';

export interface PageConfig {
  /** Absolute URL of the stream. */
  readonly streamUrl: string;
  readonly withCredentials: boolean;
  /** Event types to listen for besides `message` (EventSource dispatches a named event only to its listeners). */
  readonly types: readonly string[];
}

/**
 * What the page reports; `t` is `performance.now()` in the page and `n` the page's own count of
 * reports (0, 1, …): the order things happened in the page, whatever order the binding delivers
 * them in (a burst of events and the error that follows the stream's end must not swap places).
 */
export type PageReport =
  | { readonly k: 'open'; readonly rs: number; readonly t: number; readonly n: number }
  | { readonly k: 'error'; readonly rs: number; readonly t: number; readonly n: number }
  | { readonly k: 'event'; readonly type: string; readonly data: string; readonly lastEventId: string; readonly origin: string; readonly t: number; readonly n: number }
  | { readonly k: 'throw'; readonly message: string; readonly t: number; readonly n: number };

/** Parses one report from the page; anything malformed becomes undefined (a page cannot crash the harness). */
export function parseReport(text: string): PageReport | undefined {
  try {
    const r = JSON.parse(text) as Record<string, unknown>;
    const t = typeof r['t'] === 'number' ? r['t'] : 0;
    const n = typeof r['n'] === 'number' ? r['n'] : -1;
    switch (r['k']) {
      case 'open':
      case 'error':
        return typeof r['rs'] === 'number' ? { k: r['k'], rs: r['rs'], t, n } : undefined;
      case 'event':
        return typeof r['type'] === 'string' && typeof r['data'] === 'string' && typeof r['lastEventId'] === 'string'
          ? { k: 'event', type: r['type'], data: r['data'], lastEventId: r['lastEventId'], origin: String(r['origin'] ?? ''), t, n }
          : undefined;
      case 'throw':
        return { k: 'throw', message: String(r['message'] ?? ''), t, n };
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** The page HTML. The configuration travels as JSON inside the script, escaped so no value can end the script element. */
export function pageHtml(config: PageConfig): string {
  const json = JSON.stringify({ url: config.streamUrl, withCredentials: config.withCredentials, types: [...new Set(['message', ...config.types])] })
    .replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<meta charset="utf-8">
<title>sse-conformance browser observer</title>
<script>
(() => {
  const config = ${json};
  let count = 0;
  const send = (report) => { report.t = performance.now(); report.n = count++; try { window.${REPORT_BINDING}(JSON.stringify(report)); } catch (e) {} };
  let source;
  try {
    source = new EventSource(config.url, { withCredentials: config.withCredentials });
  } catch (e) {
    send({ k: 'throw', message: String(e && e.message || e) });
    return;
  }
  const dispatched = (e) => send({ k: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin });
  // A stream may name its events "open" or "error" too: those arrive as MessageEvents.
  source.addEventListener('open', (e) => e instanceof MessageEvent ? dispatched(e) : send({ k: 'open', rs: source.readyState }));
  source.addEventListener('error', (e) => e instanceof MessageEvent ? dispatched(e) : send({ k: 'error', rs: source.readyState }));
  for (const type of config.types) if (type !== 'open' && type !== 'error') source.addEventListener(type, dispatched);
  window.${STOP_FUNCTION} = () => source.close();
})();
</script>
`;
}
