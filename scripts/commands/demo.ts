import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { browserAvailable } from '../../conformance/browsers.ts';
import { exitCodeFor } from '../../conformance/runner.ts';
import { REPORT_FILE_NAMES, REPORT_FORMATS } from '../../conformance/report/index.ts';
import { UsageError, type Command } from '../cli.ts';
import { parseCheckArgs, runCheck, writeReports } from './check.ts';

const usage = `Usage: sse-conformance demo [--out <dir>] [check options…]   (npm start)

Starts the embedded reference server configured so every server case can run (a token-protected
channel, publishing enabled with its own token, a 500 ms heartbeat, replay, Last-Event-ID also as
?lastEventId=, CORS with credentials for the browser cross-origin case's page origin, Chromium for
the browser cases when it is installed), runs \`check\` against it, prints the text report and writes every format to
<dir> (default reports/): result.json, junit.xml, report.html, summary.md, report.txt.
Extra options are passed to check (e.g. --case 'server.replay.*', --seed 7, --strict).
Exits with check's exit code.`;

export const command: Command = {
  summary: 'run check against the embedded reference server and write all reports (npm start)',
  usage,
  async run(args) {
    let out = 'reports';
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--out') {
        const v = args[++i];
        if (!v) throw new UsageError('--out needs a directory');
        out = v;
      } else rest.push(args[i]!);
    }
    if (rest.some((a) => !a.startsWith('-') && /^https?:/.test(a))) throw new UsageError('demo runs against its own embedded server; use `check <url>` for another target');
    const { createReferenceServer } = await import('../../reference/server/index.ts');
    const streamToken = randomBytes(12).toString('hex');
    const publishToken = randomBytes(12).toString('hex');
    const heartbeatMs = 500;
    const { probeOrigin } = await import('../../conformance/server/browser.ts');
    // CORS for the browser cross-origin case's page origin (a reserved .test host), with credentials.
    const srv = await createReferenceServer({
      heartbeatMs, retryMs: 1000, auth: { tokens: { private: streamToken } }, publishToken,
      cors: { origins: [probeOrigin('http://127.0.0.1/')], credentials: true },
    });
    try {
      const options = parseCheckArgs([
        `${srv.url}/channels/{channel}`,
        '--publish', `${srv.url}/channels/{channel}`, '--publish-token', publishToken,
        '--protected-url', `${srv.url}/channels/private`, '--bearer', streamToken,
        '--heartbeat', String(heartbeatMs), '--last-event-id-param', 'lastEventId', '--base64-events', 'blob',
        '--expect-status', `404=${srv.url}/no-such-route`,
        ...(browserAvailable('chromium') && !rest.includes('--browser') ? ['--browser', 'chromium'] : []),
        ...rest,
      ]);
      process.stderr.write(`sse-conformance demo: reference server at ${srv.url}; running check (seed ${options.seed})\n`);
      const result = await runCheck(options);
      const dir = resolve(out);
      const written = writeReports(result, [{ format: 'text' }, ...REPORT_FORMATS.map((format) => ({ format, path: join(dir, REPORT_FILE_NAMES[format]) }))]);
      process.stdout.write(`\nReports written to ${dir}:\n${written.map((p) => `  ${p}`).join('\n')}\n`);
      return exitCodeFor(result);
    } finally {
      await srv.close();
    }
  },
};
