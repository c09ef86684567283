/** Requirement level as the spec words it; `impl` = implementation-defined, `interp` = our reading of a gap, `note` = non-normative practice. */
export type RequirementLevel = 'MUST' | 'SHOULD' | 'MAY' | 'impl' | 'interp' | 'note';
/** Who the rule constrains. */
export type RequirementBinds = 'server' | 'client' | 'both';
/** Spec area, used to group cases and report rows. */
export type RequirementArea =
  | 'wire' | 'decode' | 'lines' | 'fields' | 'dispatch' | 'api' | 'request' | 'response' | 'processing' | 'lifecycle';

export interface Requirement {
  /** Stable ID, e.g. `PARSE-CRLF-SPLIT-CHUNK`. Never renamed. */
  readonly id: string;
  readonly level: RequirementLevel;
  /** The level exactly as the digest gives it (e.g. `MUST (implied)`, `SHOULD (authoring note)`). */
  readonly levelText: string;
  readonly binds: RequirementBinds;
  readonly area: RequirementArea;
  /** The rule in one line, in our words. */
  readonly rule: string;
  /** WHATWG anchor URL (anchors, not section numbers: section numbers shift in a living standard). */
  readonly anchor: string;
  /** Public tests that exercise the rule (WPT file names and others); empty when none. */
  readonly evidence: string;
}
