/**
 * `mcp-guard config schema` prints a JSON Schema (zod 4's `z.toJSONSchema`) that
 * validates pipelock.example.yaml, and rejects what the config loader rejects.
 * The check is a small validator for the keywords the schema uses (no ajv).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers.js';

type Schema = Record<string, unknown>;

/** Problems of `value` against `schema` (JSON Schema 2020-12 keywords: type, properties, additionalProperties, required, enum, const, items, anyOf, oneOf, propertyNames, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, minItems). */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const out: string[] = [];
  const known = new Set(['$schema', 'type', 'properties', 'additionalProperties', 'required', 'enum', 'const', 'items', 'anyOf', 'oneOf', 'propertyNames', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'minItems', 'description', 'title', 'default']);
  for (const k of Object.keys(schema)) if (!known.has(k)) out.push(`${path}: the validator does not know keyword ${k}`);
  const t = schema['type'];
  const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);
  if (typeof t === 'string') {
    const actual = typeOf(value);
    if (!(actual === t || (t === 'number' && actual === 'integer'))) return [`${path}: expected ${t}, got ${actual}`];
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema['enum'])}`);
  if ('const' in schema && schema['const'] !== value) out.push(`${path}: expected ${JSON.stringify(schema['const'])}`);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alts = schema[key] as Schema[] | undefined;
    if (alts && !alts.some((s) => validate(s, value, path).length === 0)) out.push(`${path}: matches none of ${key}`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) out.push(`${path}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) out.push(`${path}: above maximum`);
    if (typeof schema['exclusiveMinimum'] === 'number' && value <= schema['exclusiveMinimum']) out.push(`${path}: not above exclusiveMinimum`);
    if (typeof schema['exclusiveMaximum'] === 'number' && value >= schema['exclusiveMaximum']) out.push(`${path}: not below exclusiveMaximum`);
  }
  if (typeof value === 'string' && typeof schema['minLength'] === 'number' && value.length < schema['minLength']) out.push(`${path}: shorter than minLength`);
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) out.push(`${path}: fewer than minItems`);
    const items = schema['items'] as Schema | undefined;
    if (items) value.forEach((v, i) => out.push(...validate(items, v, `${path}[${i}]`)));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const r of (schema['required'] as string[] | undefined) ?? []) if (!(r in value)) out.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(value)) {
      if (props[k]) out.push(...validate(props[k], v, `${path}.${k}`));
      else if (schema['additionalProperties'] === false) out.push(`${path}: unknown key ${k}`);
      else if (typeof schema['additionalProperties'] === 'object') out.push(...validate(schema['additionalProperties'] as Schema, v, `${path}.${k}`));
      if (schema['propertyNames']) out.push(...validate(schema['propertyNames'] as Schema, k, `${path}.${k} (name)`));
    }
  }
  return out;
}

describe('mcp-guard config schema', () => {
  let schema: Schema;
  beforeAll(async () => {
    const r = await runCli(['config', 'schema']);
    expect(r.code).toBe(0);
    schema = JSON.parse(r.stdout) as Schema;
  });

  it('prints a draft 2020-12 JSON Schema of the whole config, guard_policy included', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const props = schema['properties'] as Record<string, Schema>;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['dlp', 'mcp_tool_policy', 'guard_policy', 'limits', 'ssrf']));
    expect(((props['guard_policy']?.['properties'] as Record<string, Schema>)['urls']?.['properties'] as Record<string, Schema>)['action']).toMatchObject({ type: 'string', enum: ['block', 'warn', 'ask', 'off'], description: expect.stringMatching(/ask/) });
  });

  it('validates pipelock.example.yaml', () => {
    const example = parse(readFileSync(join(ROOT, 'pipelock.example.yaml'), 'utf8')) as unknown;
    expect(validate(schema, example)).toEqual([]);
  });

  it('rejects what the loader rejects: an unknown key, a wrong enum value, a wrong type', () => {
    expect(validate(schema, { guard_policy: { tool: {} } })).toEqual(['$.guard_policy: unknown key tool']);
    expect(validate(schema, { guard_policy: { tools: { default: 'maybe' } } })[0]).toMatch(/\$\.guard_policy\.tools\.default: "maybe" is not one of/);
    expect(validate(schema, { guard_policy: { rate_limits: { session: { per_minute: 'ten' } } } })).toEqual(['$.guard_policy.rate_limits.session.per_minute: expected number, got string']);
    // A Pipelock section mcp-guard ignores is accepted.
    expect(validate(schema, { ssrf: { ip_allowlist: ['10.0.0.0/8'] } })).toEqual([]);
  });
});
