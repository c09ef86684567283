// Option parsing shared by the commands that run cases and write reports (check, client, vectors).
import { REPORT_FORMATS, type ReportFormat } from '../../conformance/report/index.ts';
import { UsageError } from '../cli.ts';

/** An integer option value of at least `min`; anything else is a usage error naming the option. */
export function positiveInt(name: string, value: string | undefined, min = 1): number {
  if (value === undefined || !/^[0-9]+$/.test(value) || Number(value) < min) throw new UsageError(`${name} needs an integer >= ${min}, got ${JSON.stringify(value ?? '')}`);
  return Number(value);
}

/** `--reporter <format>[=<path>]`: the format, and the output path when one is given. */
export function parseReporterSpec(value: string): { format: ReportFormat; path: string | undefined } {
  const at = value.indexOf('=');
  const format = (at < 0 ? value : value.slice(0, at)) as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--reporter: unknown format ${JSON.stringify(format)} (use ${REPORT_FORMATS.join(', ')})`);
  const path = at < 0 ? undefined : value.slice(at + 1);
  if (path === '') throw new UsageError(`--reporter ${format}= needs a path`);
  return { format, path };
}
