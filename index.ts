// Package root: the stable public API. Subpath entries: `sse-conformance/parser`, `/encoder`, `/client`, `/spec`.
export * from './reference/parser.ts';
export * from './reference/encoder.ts';
export { EventSource, MAX_RECONNECTION_TIME, type EventSourceInit, type FetchLike } from './reference/client.ts';
export { REQUIREMENTS, findRequirement, requirement, isRequirementId } from './spec/requirements.ts';
export type { Requirement, RequirementArea, RequirementBinds, RequirementLevel, RequirementId } from './spec/requirements.ts';
