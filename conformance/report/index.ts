// Report formats by name; each renders the canonical RunResult (mode 'server' or 'client').
import type { RunResult } from '../model.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { renderText } from './text.ts';

export type ReportFormat = 'text' | 'json' | 'junit' | 'html' | 'markdown';
export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'junit', 'html', 'markdown'];

export function render(format: ReportFormat, result: RunResult): string {
  switch (format) {
    case 'text': return renderText(result);
    case 'json': return renderJson(result);
    case 'junit': return renderJunit(result);
    case 'html': return renderHtml(result);
    case 'markdown': return renderMarkdown(result);
  }
}

/** Default file names when a reporter is given a directory (e.g. `npm start` writes reports/). */
export const REPORT_FILE_NAMES: Readonly<Record<ReportFormat, string>> = {
  text: 'report.txt', json: 'result.json', junit: 'junit.xml', html: 'report.html', markdown: 'summary.md',
};
