import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RunResult } from '../../conformance/model.ts';
import { renderCompatibilityHtml, renderCompatibilityMarkdown } from '../../conformance/report/compatibility.ts';
import { parseRunResult, ResultFileError } from '../../conformance/report/json.ts';
import { UsageError, type Command } from '../cli.ts';

export const usage = `Usage: sse-conformance report <result.json>... [options]

Merges client run results (written by 'sse-conformance client --reporter json=<path>') into one
compatibility matrix: rows are scenarios grouped by requirement area, columns are the browsers and
clients with their versions, every cell links to its evidence (observed events, request log,
measured delays). A WebKit result names its engine (WebKitGTK: WebCore EventSource on libsoup,
not Safari's CFNetwork); without one, WebKit is shown as a column not in this run.

Options:
  --html <path>       write the self-contained HTML matrix
  --markdown <path>   write the Markdown table (to stdout when neither --html nor --markdown is given)
  --title <text>      page title (default "SSE client compatibility")
  --note <text>       a line under the title (e.g. how the report was produced)

Exit codes: 0 written, 64 usage error or unreadable/invalid result file.`;

export interface ReportOptions {
  files: string[];
  html?: string | undefined;
  markdown?: string | undefined;
  title?: string | undefined;
  note?: string | undefined;
}

export function parseReportArgs(args: readonly string[]): ReportOptions {
  const o: ReportOptions = { files: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v === '') throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--html': o.html = value(); break;
      case '--markdown': o.markdown = value(); break;
      case '--title': o.title = value(); break;
      case '--note': o.note = value(); break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`report: unknown option ${arg}`);
        o.files.push(arg);
    }
  }
  if (o.files.length === 0) throw new UsageError('report needs at least one result file');
  return o;
}

export function readResults(files: readonly string[]): RunResult[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`report: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      return parseRunResult(text, file);
    } catch (error) {
      if (error instanceof ResultFileError) throw new UsageError(`report: ${error.message}`);
      throw error;
    }
  });
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export const command: Command = {
  summary: 'merge client results into a compatibility matrix (self-contained HTML + Markdown)',
  usage,
  async run(args) {
    const o = parseReportArgs(args);
    const results = readResults(o.files);
    const options = { title: o.title, note: o.note, htmlHref: o.html ? basename(o.html) : undefined };
    if (o.html) {
      write(o.html, renderCompatibilityHtml(results, options));
      process.stderr.write(`report written: ${o.html}\n`);
    }
    if (o.markdown) {
      write(o.markdown, renderCompatibilityMarkdown(results, options));
      process.stderr.write(`report written: ${o.markdown}\n`);
    }
    if (!o.html && !o.markdown) process.stdout.write(renderCompatibilityMarkdown(results, options));
    return 0;
  },
};
