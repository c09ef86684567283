// Package root: the stable public API. Subpath entries: `sse-conformance/parser`, `/encoder`, `/spec`.
export * from './reference/parser.ts';
export * from './reference/encoder.ts';
export { REQUIREMENTS, findRequirement, requirement, isRequirementId } from './spec/requirements.ts';
export type { Requirement, RequirementArea, RequirementBinds, RequirementLevel, RequirementId } from './spec/requirements.ts';
