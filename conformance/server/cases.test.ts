import { describe, expect, it } from 'vitest';
import { isRequirementId } from '../../spec/requirements.ts';
import { SERVER_CASES } from './cases.ts';

describe('SERVER_CASES', () => {
  it('have unique stable ids naming area and rule', () => {
    const ids = SERVER_CASES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of SERVER_CASES) expect(c.id).toMatch(new RegExp(`^server\\.${c.area}\\.[a-z0-9-]+$`));
  });
  it('cite only requirement IDs from the catalog, and at least one each', () => {
    for (const c of SERVER_CASES) {
      expect(c.requirementIds.length, c.id).toBeGreaterThan(0);
      for (const r of c.requirementIds) expect(isRequirementId(r), `${c.id} cites ${r}`).toBe(true);
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.expectation.length).toBeGreaterThan(10);
    }
  });
});
