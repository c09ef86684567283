// Public entry for the requirement catalog (`sse-conformance/spec`).
import { REQUIREMENTS } from './catalog.ts';
import type { Requirement } from './types.ts';

export type { Requirement, RequirementArea, RequirementBinds, RequirementLevel } from './types.ts';
export { REQUIREMENTS };

/** Union of every requirement ID, so a typo in a case or vector fails type-checking. */
export type RequirementId = (typeof REQUIREMENTS)[number]['id'];

const byId: ReadonlyMap<string, Requirement> = new Map(REQUIREMENTS.map((r) => [r.id, r]));

/** Looks a requirement up by ID; `undefined` when the ID is not in the catalog. */
export function findRequirement(id: string): Requirement | undefined {
  return byId.get(id);
}

/** Looks a requirement up by ID and throws when it is unknown (for code that cites IDs). */
export function requirement(id: string): Requirement {
  const found = byId.get(id);
  if (!found) throw new Error(`unknown requirement ID "${id}" (not in spec/catalog.ts)`);
  return found;
}

export function isRequirementId(id: string): id is RequirementId {
  return byId.has(id);
}
