// Response cases in black-box mode: the buffering signal of server.response.incremental.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';

describe('black-box buffering signal', () => {
  it('a body whose events all arrive in one burst at the end after a long silence is NON_STRICT; steady events pass', async () => {
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      if (req.url === '/burst') setTimeout(() => res.end('id: 1\ndata: a\n\nid: 2\ndata: b\n\n'), 1100);
      else {
        res.write('data: a\n\n');
        setTimeout(() => res.end('data: b\n\n'), 200);
      }
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const burst = await runCheck(parseCheckArgs([`${base}/burst`, '--case', 'server.response.incremental', '--observe', '1500']));
      expect(burst.cases.find((c) => c.id === 'server.response.incremental')!.verdict).toBe('NON_STRICT');
      const steady = await runCheck(parseCheckArgs([`${base}/steady`, '--case', 'server.response.incremental', '--observe', '1500']));
      expect(steady.cases.find((c) => c.id === 'server.response.incremental')!.verdict).toBe('PASS');
    } finally {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  }, 20_000);
});
