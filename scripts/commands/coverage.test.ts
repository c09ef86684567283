import { describe, expect, it, vi } from 'vitest';
import { REQUIREMENTS } from '../../spec/requirements.ts';
import { main } from '../cli.ts';

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  try {
    return { code: await main(['coverage', ...args]), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('sse-conformance coverage', () => {
  it('prints one text line per requirement and the uncovered list', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PARSE-CRLF-SPLIT-CHUNK +covered +vectors +\d+/m);
    expect(r.stdout).toMatch(/^GC-OPEN-REF +untestable/m);
    expect(r.stdout).toMatch(/^API-IDL +deferred/m);
    expect(r.stdout).toMatch(new RegExp(`${REQUIREMENTS.length} requirements, \\d+ deferred \\(spec/deferred.ts\\), 0 not covered`));
  });

  it('prints the Markdown table and JSON', async () => {
    const md = await cli('--markdown');
    expect(md.stdout).toContain('| Requirement | Level | Binds | Parser vectors | Client scenarios | Server cases | Status |');
    const json = JSON.parse((await cli('--json')).stdout) as { rows: { id: string; vectors: string[] }[]; uncovered: string[] };
    expect(json.rows).toHaveLength(REQUIREMENTS.length);
    expect(json.rows.find((r) => r.id === 'FIELD-ID-PERSISTS')!.vectors).toContain('id.persists-across-events');
    expect(json.uncovered).not.toContain('FIELD-ID-PERSISTS');
  });

  it('rejects unknown arguments with exit 64', async () => {
    const r = await cli('--bogus');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('coverage: unknown argument --bogus');
  });
});
