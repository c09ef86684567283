// Requirement ID → WHATWG (or RFC) anchor link, for reports.
import { findRequirement } from '../../spec/requirements.ts';

export function anchorFor(requirementId: string): string | undefined {
  return findRequirement(requirementId)?.anchor;
}

export function anchorsFor(requirementIds: readonly string[]): { id: string; url: string | undefined }[] {
  return requirementIds.map((id) => ({ id, url: anchorFor(id) }));
}
