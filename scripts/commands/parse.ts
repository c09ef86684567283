import { createReadStream } from 'node:fs';
import { createParser } from '../../reference/parser.ts';
import { UsageError, type Command } from '../cli.ts';

const usage = `Usage: sse-conformance parse [file] [--last-event-id <id>] [--comments]

Reads raw event-stream bytes from <file> (or standard input when omitted or "-") and prints, in
stream order, one JSON line per dispatched event {"type","data","lastEventId"} and one
{"retry": N} line per valid retry field, exactly as the WHATWG parsing rules read them.

Options:
  --last-event-id <id>  start as a reconnected stream with this last event ID string
  --comments            also print {"comment": "..."} lines
At the end, an unterminated last event is discarded, as a browser would.`;

export const command: Command = {
  summary: 'parse a captured event stream (file or stdin) into JSON lines',
  usage,
  async run(args) {
    let file: string | undefined;
    let initialLastEventId = '';
    let comments = false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--last-event-id') {
        const value = args[++i];
        if (value === undefined) throw new UsageError('--last-event-id needs a value');
        initialLastEventId = value;
      } else if (arg === '--comments') comments = true;
      else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`parse: unknown option ${arg}`);
      else if (file === undefined) file = arg;
      else throw new UsageError('parse: only one input file is accepted');
    }
    const out: string[] = [];
    const flush = () => {
      if (out.length) process.stdout.write(out.join(''));
      out.length = 0;
    };
    const parser = createParser(
      {
        onEvent: (e) => out.push(`${JSON.stringify({ type: e.type, data: e.data, lastEventId: e.lastEventId })}\n`),
        onRetry: (ms) => out.push(`${JSON.stringify({ retry: ms })}\n`),
        onComment: comments ? (c) => out.push(`${JSON.stringify({ comment: c })}\n`) : undefined,
      },
      { initialLastEventId },
    );
    const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
    try {
      for await (const chunk of input) {
        parser.feed(chunk as Buffer);
        flush();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      process.stderr.write(`sse-conformance parse: cannot read ${file ?? 'stdin'}: ${code ?? (error as Error).message}\n`);
      return 2;
    }
    parser.end();
    flush();
    return 0;
  },
};
