import { describe, expect, it } from 'vitest';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { wireIds } from './replay.ts';
import { startScriptedTarget } from './scripted-target.ts';
import { splitLines } from './wire-lint.ts';

describe('ids on the wire', () => {
  it('wireIds keeps every written id in order, repeats included; skips empty, NUL and unterminated ids', () => {
    const lines = splitLines([{ at: 0, bytes: new TextEncoder().encode('\uFEFFid: 1\ndata: a\n\nid:1\n\nid\n\nid: a\u0000b\n\nid: 2') }]);
    expect(wireIds(lines).map((x) => x.id)).toEqual(['1', '1']);
  });
  it('a server that repeats one id on every event fails server.replay.ids-fresh (black-box)', async () => {
    const t = await startScriptedTarget({ staticEvents: 3, style: { fixedId: '7' } });
    try {
      const r = await runCheck(parseCheckArgs([`${t.url}/channels/static`, '--observe', '400', '--case', 'server.replay.ids-fresh']));
      const c = r.cases.find((x) => x.id === 'server.replay.ids-fresh')!;
      expect(c.verdict).toBe('FAIL');
      expect(c.reason).toMatch(/id "7" sent again/);
    } finally {
      await t.close();
    }
  });
});
