import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateJsonSchema } from '../../fixtures/vectors/json-schema-subset.ts';
import { loadScenarios, SCENARIO_DIR, validateScenario, checkLevel, ScenarioError } from './scenario.ts';

describe('client scenario files', () => {
  it('validate against fixtures/scenarios/scenario.schema.json', () => {
    const schema = JSON.parse(readFileSync(`${SCENARIO_DIR}/scenario.schema.json`, 'utf8')) as Record<string, unknown>;
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))) {
      expect([file, validateJsonSchema(JSON.parse(readFileSync(`${SCENARIO_DIR}/${file}`, 'utf8')), schema)]).toEqual([file, []]);
    }
  });

  it('have unique stable IDs, known requirement IDs, and derive check levels from the catalog', () => {
    const scenarios = loadScenarios();
    expect(new Set(scenarios.map((s) => s.id)).size).toBe(scenarios.length);
    const empty = scenarios.find((s) => s.id === 'client.reconnect.empty-retry-ignored')!;
    expect(empty.checks.map((c) => [c.name, checkLevel(c)])).toEqual([['lower-bound', 'MUST'], ['not-reset-to-default', 'SHOULD']]); // RETRY-EMPTY-IGNORED is interp
    const defaultDelay = scenarios.find((s) => s.id === 'client.reconnect.default-delay')!;
    expect(checkLevel(defaultDelay.checks[0]!)).toBe('INFO');
  });

  it('reject malformed scenarios with a message naming the problem', () => {
    const good = loadScenarios()[0]!;
    expect(() => validateScenario({ ...good, id: 'Bad Id' }, 'x.json')).toThrow(/x\.json: bad id/);
    expect(() => validateScenario({ ...good, requirementIds: ['NOT-A-RULE'] }, 'x.json')).toThrow(ScenarioError);
    expect(() => validateScenario({ ...good, server: { responses: [{ status: 200, chunks: [{ hex: 'zz' }] }] } }, 'x.json')).toThrow(/invalid hex/);
    expect(() => validateScenario({ ...good, until: {} }, 'x.json')).toThrow(/until/);
  });
});
