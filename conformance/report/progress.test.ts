// The live progress line: drawn in place on a TTY, never on a pipe or with --quiet; and the
// runner's onProgress callback that feeds it.
import { describe, expect, it, vi } from 'vitest';
import { check, runCases, type RunnableCase, type RunProgress } from '../runner.ts';
import { formatElapsed, ProgressLine, progressText } from './progress.ts';

function fakeStream(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns, write: (s: string) => chunks.push(s) };
}

const p = (done: number, total: number, running: string[], lastDone?: string): RunProgress => ({ done, total, running, lastDone });

describe('ProgressLine', () => {
  it('on a TTY: redraws the line in place with counts, elapsed time and the running case; end() erases it', () => {
    let now = 1000;
    const s = fakeStream(true);
    const line = ProgressLine.for(s, { now: () => now, tickMs: 0 })!;
    expect(line).toBeDefined();
    line.update(p(0, 3, ['a.first']));
    now += 2500;
    line.update(p(1, 3, ['a.second', 'a.third'], 'a.first'));
    now += 70_000;
    line.update(p(3, 3, [], 'a.third'));
    line.end();
    expect(s.chunks).toEqual([
      '\r\x1b[2K[0/3] 0s a.first',
      '\r\x1b[2K[1/3] 2s a.second (+1 running)',
      '\r\x1b[2K[3/3] 1m12s last: a.third',
      '\r\x1b[2K',
    ]);
  });

  it('draws nothing when the stream is not a TTY, or with quiet', () => {
    expect(ProgressLine.for(fakeStream(false))).toBeUndefined();
    expect(ProgressLine.for({ write: () => true })).toBeUndefined();
    expect(ProgressLine.for(fakeStream(true), { quiet: true })).toBeUndefined();
  });

  it('clear() erases only a drawn line; the next update draws again; long lines are cut to the terminal width', () => {
    const s = fakeStream(true, 30);
    const line = ProgressLine.for(s, { now: () => 0, tickMs: 0, label: 'chromium' })!;
    line.clear();
    expect(s.chunks).toEqual([]);
    line.update(p(4, 10, ['client.parse.a-very-long-scenario-identifier']));
    line.clear();
    line.clear();
    line.end();
    expect(s.chunks).toEqual(['\r\x1b[2Kchromium [4/10] 0s client.pa…', '\r\x1b[2K']);
    expect(s.chunks[0]!.length - '\r\x1b[2K'.length).toBe(29);
  });

  it('the ticker redraws elapsed time while a case runs, and stops at end()', () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const s = fakeStream(true);
      const line = ProgressLine.for(s, { now: () => now, tickMs: 1000 })!;
      line.update(p(0, 1, ['slow.case']));
      now = 3000;
      vi.advanceTimersByTime(1000);
      expect(s.chunks.at(-1)).toBe('\r\x1b[2K[0/1] 3s slow.case');
      line.end();
      const count = s.chunks.length;
      expect(s.chunks.at(-1)).toBe('\r\x1b[2K');
      vi.advanceTimersByTime(5000);
      expect(s.chunks.length).toBe(count);
    } finally {
      vi.useRealTimers();
    }
  });

  it('formats', () => {
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(60_000)).toBe('1m00s');
    expect(progressText(p(0, 2, []), 0)).toBe('[0/2] 0s starting');
  });
});

describe('runCases onProgress', () => {
  it('reports each start and finish with done/total and the running cases', async () => {
    const mk = (id: string, serial = false): RunnableCase<null> => ({
      id, title: id, area: 'x', requirementIds: [], description: '', expectation: '', serial,
      run: async () => ({ checks: [check('ok', 'PASS', [], 'x', 'x')] }),
    });
    const seen: RunProgress[] = [];
    await runCases([mk('a'), mk('b'), mk('t', true), mk('skipped')], null, {
      mode: 'server', target: { name: 't' }, harnessVersion: '0', seed: 1, strict: false, options: {}, caseTimeoutMs: 1000, runTimeoutMs: 5000,
      concurrency: 1, selection: { exclude: ['skipped'] }, onProgress: (x) => seen.push(x),
    });
    expect(seen.length).toBe(6); // a start and a finish per selected case
    expect(seen.every((x) => x.total === 3)).toBe(true);
    expect(seen.map((x) => x.done)).toEqual([...seen.map((x) => x.done)].sort());
    expect(seen.at(-1)).toMatchObject({ done: 3, running: [] });
    for (const id of ['a', 'b', 't']) {
      const started = seen.findIndex((x) => x.running.includes(id));
      const finished = seen.findIndex((x) => x.lastDone === id);
      expect(started).toBeGreaterThanOrEqual(0);
      expect(finished).toBeGreaterThan(started);
      expect(seen[finished]!.running).not.toContain(id);
    }
  });
});
