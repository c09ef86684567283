// The property case against a faulty target: the shrunk counterexample and the seed appear in every
// report format, and the same --seed replays the same counterexample.
import { describe, expect, it } from 'vitest';
import { createReferenceServer } from '../../reference/server/index.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { REPORT_FORMATS, render } from '../report/index.ts';
import { scenarioArbitrary } from './publish.ts';
import fc from 'fast-check';

async function propertyRun(seed: number) {
  const srv = await createReferenceServer({ heartbeatMs: 1000, faults: ['raw-newline-in-data'] });
  try {
    return await runCheck(parseCheckArgs([`${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '--case', 'server.publish.property',
      '--seed', String(seed), '--property-runs', '20', '--property-time', '8000']));
  } finally {
    await srv.close();
  }
}

describe('server.publish.property', () => {
  it('fails against raw-newline-in-data with a shrunk counterexample shown in every report; the seed replays it', async () => {
    const first = await propertyRun(7);
    const kase = first.cases.find((c) => c.id === 'server.publish.property')!;
    expect(kase.verdict).toBe('FAIL');
    const cx = kase.evidence.find((e) => e.kind === 'counterexample');
    expect(cx?.text).toMatch(/\\n/); // a multi-line payload is what breaks
    for (const format of REPORT_FORMATS) {
      const text = render(format, first);
      expect(text, format).toContain('seed 7');
      expect(text, format).toContain(format === 'html' ? 'shrunk counterexample' : 'counterexample');
    }
    const second = await propertyRun(7);
    const again = second.cases.find((c) => c.id === 'server.publish.property')!.evidence.find((e) => e.kind === 'counterexample');
    expect(again?.text.split('\n')[0]).toBe(cx!.text.split('\n')[0]);
  }, 40_000);

  it('generates payload lists with framing characters and a disconnect point inside the list', () => {
    fc.assert(fc.property(scenarioArbitrary(fc), (s) => s.payloads.length >= 1 && s.disconnectAfter >= 1 && s.disconnectAfter <= s.payloads.length), { seed: 1, numRuns: 200 });
  });
});
