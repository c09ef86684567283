// Package root: the stable public API. Subpath entries: `sse-conformance/parser`, `/encoder`, `/client`, `/server`, `/spec`.
export * from './reference/parser.ts';
export * from './reference/encoder.ts';
export { EventSource, MAX_RECONNECTION_TIME, type EventSourceInit, type FetchLike } from './reference/client.ts';
export { REQUIREMENTS, findRequirement, requirement, isRequirementId } from './spec/requirements.ts';
export type { Requirement, RequirementArea, RequirementBinds, RequirementLevel, RequirementId } from './spec/requirements.ts';
export { createReferenceServer, FAULTS, InMemoryReplayLog, PublishError, REPLAY_GAP_EVENT } from './reference/server/index.ts';
export type { ReferenceServer, ReferenceServerOptions, FaultName, FaultInfo, ReplayLog, ReplayResult, StoredEvent, PublishInput, ServerLogEntry, AuthOptions, CorsOptions } from './reference/server/index.ts';
