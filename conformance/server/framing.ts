// Framing cases (black-box): judge the bytes of the primary capture line by line.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
import { isBase64 } from '../../reference/encoder.ts';
import type { CheckResult, Evidence } from '../model.ts';
import { check, type CaseOutcome } from '../runner.ts';
import { bytesEvidence, eventsEvidence, headersEvidence } from './capture-evidence.ts';
import { TERMINATOR_PAUSE_MS, type PrimaryCapture, type ServerCase, type ServerContext } from './context.ts';
import { noStream } from './response.ts';
import { lintWire, type FindingRule, type WireAnalysis } from './wire-lint.ts';


const analyses = new WeakMap<PrimaryCapture, WireAnalysis>();

export function analyse(capture: PrimaryCapture): WireAnalysis {
  let a = analyses.get(capture);
  if (!a) {
    const r = capture.result;
    a = lintWire(r.body, r.chunks, { endedByServer: r.end === 'eof' || r.end === 'reset', endedAt: r.elapsedMs, pauseMs: TERMINATOR_PAUSE_MS });
    analyses.set(capture, a);
  }
  return a;
}

function statsText(a: WireAnalysis): string {
  const s = a.stats;
  return `${a.lines.length} lines (${s.lf} LF, ${s.crlf} CRLF, ${s.cr} CR endings), ${s.fields} field lines, ${s.comments} comments, ${s.blankLines} blank lines${s.bom ? ', leading BOM' : ''}`;
}

/** Shared shape: judge one rule's findings over the primary capture. */
function framingCase(
  id: string, title: string, rule: FindingRule, requirementIds: readonly string[], description: string, expectation: string, expectedText: string,
  extra?: (capture: PrimaryCapture, a: WireAnalysis) => CheckResult[],
): ServerCase {
  return {
    id, title, area: 'framing', requirementIds, description, expectation,
    async run(ctx: ServerContext): Promise<CaseOutcome> {
      const capture = await ctx.primary();
      const r = capture.result;
      const why = noStream(r);
      if (why) return { verdict: 'ERROR', reason: `no stream to judge: ${why}`, checks: [], evidence: [headersEvidence(r)] };
      const a = analyse(capture);
      const found = a.findings.filter((f) => f.rule === rule);
      const evidence: Evidence[] = [
        { kind: 'text', label: 'what was read', text: `${statsText(a)}; ${r.body.byteLength} bytes, read ended: ${r.end}${r.endDetail ? ` (${r.endDetail})` : ''}` },
        bytesEvidence(r, 'body bytes (as received)', found[0]?.offset),
      ];
      const checks: CheckResult[] = [];
      if (found.length) {
        for (const [i, f] of found.slice(0, 5).entries()) checks.push(check(i === 0 ? rule : `${rule}-${i + 1}`, f.severity, requirementIds, expectedText, f.message));
        if (found.length > 5) evidence.push({ kind: 'text', label: 'more findings', text: found.slice(5, 50).map((f) => f.message).join('\n') });
      } else {
        checks.push(check(rule, 'PASS', requirementIds, expectedText, `no violation in ${r.body.byteLength} bytes (${statsText(a)})`));
      }
      checks.push(...(extra?.(capture, a) ?? []));
      if (r.body.byteLength === 0 || a.lines.length === 0) {
        return { verdict: 'INFO', reason: `nothing to judge: the stream sent no bytes during the ${ctx.config.observeMs} ms observation (use --publish, or --observe for a longer window)`, checks, evidence };
      }
      return { checks, evidence };
    },
  };
}

const utf8Case = framingCase(
  'server.framing.utf8', 'The stream is valid UTF-8', 'utf8', ['SRV-UTF8', 'PARSE-UTF8-DECODE', 'PARSE-CHARSET-IGNORED'],
  'Validate every byte of the observed body as UTF-8.', 'No invalid UTF-8 sequence (clients decode them as U+FFFD, whatever the charset parameter says).',
  'valid UTF-8 throughout',
);

const fieldNamesCase = framingCase(
  'server.framing.field-names', 'Every line is a comment, a blank line or a known field', 'field-name', ['SRV-FIELD-NAMES', 'SRV-ABNF', 'SRV-DATA-MULTILINE', 'PARSE-FIELD-NAME-EXACT'],
  'Split the body into lines (CR, LF or CRLF) and read each field name as a client would.',
  'Field names are exactly event, data, id or retry. A line such as `line two` (no colon, spaces) means a payload newline was not split into data lines (FAIL); other unknown token names are legal but ignored (NON_STRICT).',
  'only the fields event, data, id, retry (plus comments and blank lines)',
);

const retryCase = framingCase(
  'server.framing.retry-digits', 'retry values are ASCII digits only', 'retry', ['SRV-RETRY-FORMAT', 'RETRY-NONDIGIT-IGNORED'],
  'Read every retry field of the observed body.', 'Each retry value is one or more ASCII digits (no sign, unit, space or decimal point); other values are ignored by clients.',
  'retry values of ASCII digits only',
);

const idCase = framingCase(
  'server.framing.id-no-nul', 'id values contain no NUL', 'id', ['SRV-ID-CHARS', 'FIELD-ID-NUL-IGNORED'],
  'Read every id field of the observed body.', 'No id value contains U+0000 (clients ignore such an id, breaking Last-Event-ID).',
  'id values without U+0000',
);

const bomCase = framingCase(
  'server.framing.bom', 'A BOM appears only at the very start', 'bom', ['SRV-BOM-OPTIONAL', 'PARSE-BOM-ONLY-FIRST'],
  'Look for U+FEFF at the start of every line.', 'At most one U+FEFF, as the first character of the body (legal and stripped); elsewhere at a line start it corrupts the field name.',
  'U+FEFF only as the first character of the body',
);

const terminatorCase = framingCase(
  'server.framing.event-terminator', 'Every event ends with a blank line', 'terminator', ['SRV-EVENT-TERMINATOR', 'SRV-LINE-ENDINGS', 'PARSE-EOF-DISCARD', 'PARSE-BLANK-LINE-DISPATCH'],
  `Track field blocks in the observed body (read for the observation window plus ${TERMINATOR_PAUSE_MS} ms); a block still open when the body ends, or left open for ${TERMINATOR_PAUSE_MS} ms while no further field arrives, is not terminated.`,
  'Each event is closed by a blank line before the server pauses or ends the body (otherwise clients never dispatch it, or merge it with the next one).',
  'every field block closed by a blank line before a pause or the end of the body',
  (capture) => capture.result.end === 'line-cap'
    ? [check('line-ends', 'FAIL', ['SRV-EVENT-TERMINATOR', 'SRV-LINE-ENDINGS'], 'every line ends with CR, LF or CRLF', capture.result.endDetail)]
    : [],
);

const base64Case: ServerCase = {
  id: 'server.binary.base64',
  title: 'Binary event data is valid Base64',
  area: 'binary',
  requirementIds: ['SRV-BINARY-BASE64'],
  description: 'For the event types declared with --base64-events, check every observed event\'s data; in cooperative mode, also publish random bytes as a binary event and decode what arrives.',
  expectation: 'The data of every declared-binary event is canonical padded Base64 on one line; published bytes decode back exactly.',
  async run(ctx, signal) {
    const declared = new Set(ctx.config.base64Events);
    const checks: CheckResult[] = [];
    const evidence: Evidence[] = [];
    if (declared.size) {
      const capture = await ctx.primary();
      const events = capture.result.events.filter((e) => declared.has(e.type));
      const bad = events.filter((e) => !isBase64(e.data));
      evidence.push(eventsEvidence(events, 'declared-binary events observed'));
      if (events.length) {
        checks.push(check('observed-base64', bad.length ? 'FAIL' : 'PASS', ['SRV-BINARY-BASE64'], `data of ${[...declared].join(', ')} events is canonical Base64`,
          bad.length ? `${bad.length} of ${events.length} not Base64, e.g. ${JSON.stringify(bad[0]!.data.slice(0, 80))}` : `${events.length} events, all Base64`));
      }
    }
    if (ctx.cooperative) {
      const bytes = new Uint8Array(48);
      let x = ctx.seed >>> 0 || 1;
      for (let i = 0; i < bytes.length; i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        bytes[i] = i < 4 ? [0, 255, 10, 13][i]! : x & 0xff;
      }
      const b64 = Buffer.from(bytes).toString('base64');
      const channel = ctx.channel('binary');
      const type = [...declared][0] ?? `ssec-binary-${ctx.nonce}`;
      let publishDetail = '';
      const local = new AbortController();
      let settle: NodeJS.Timeout | undefined;
      const result = await ctx.read({
        url: ctx.streamUrl(channel),
        onHeaders: ({ status }) => {
          if (status === 200) {
            void ctx.publish(channel, { event: type, binary: b64 }, signal).then((o) => {
              publishDetail = o.detail;
              settle = setTimeout(() => local.abort(), ctx.config.deliveryMs + 250); // not coming if not here by then
            });
          }
        },
        stopWhen: (p) => p.events.some((e) => e.type === type),
        totalTimeMs: ctx.config.headerTimeoutMs + ctx.config.deliveryMs + 500,
      }, AbortSignal.any([signal, local.signal]));
      clearTimeout(settle);
      const got = result.events.find((e) => e.type === type);
      evidence.push(bytesEvidence(result, 'binary round-trip stream'));
      if (!got) {
        checks.push(check('round-trip', 'FAIL', ['SRV-BINARY-BASE64'], `a ${type} event carrying the published bytes`, `no such event (${noStream(result) ?? result.end}; publish: ${publishDetail || 'pending'})`));
      } else {
        const ok = isBase64(got.data) && Buffer.from(got.data, 'base64').equals(Buffer.from(bytes));
        checks.push(check('round-trip', ok ? 'PASS' : 'FAIL', ['SRV-BINARY-BASE64'], `data ${b64}`, JSON.stringify(got.data.slice(0, 120))));
      }
    }
    if (!checks.length) {
      return { verdict: 'UNSUPPORTED', reason: declared.size ? `no events of the declared binary types (${[...declared].join(', ')}) were observed` : 'no binary event types declared (--base64-events) and no publish endpoint', checks, evidence };
    }
    return { checks, evidence };
  },
};

export const FRAMING_CASES: readonly ServerCase[] = [utf8Case, fieldNamesCase, retryCase, idCase, bomCase, terminatorCase, base64Case];
