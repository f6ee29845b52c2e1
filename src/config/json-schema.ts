/**
 * The config file's JSON Schema, generated from the zod schema (src/config/schema.ts)
 * with zod 4's `z.toJSONSchema` (draft 2020-12), for `mcp-guard config schema`.
 */
import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import { PIPELOCK_IGNORED_SECTIONS, configSchema } from './schema.js';

const require = createRequire(import.meta.url);

/** The JSON Schema of the config file, with the JSDoc `@default`s left to pipelock.example.yaml. */
export function configJsonSchema(): Record<string, unknown> {
  const z = require('zod') as typeof Zod;
  // `io: 'input'`: the schema of what users write (optional keys stay optional).
  const schema = z.toJSONSchema(configSchema(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // Pipelock's sections that do not apply to a stdio proxy are accepted (and named in one warning), so a
  // Pipelock file validates unchanged.
  const ignored = Object.fromEntries([...PIPELOCK_IGNORED_SECTIONS].sort().map((k) => [k, { description: 'Pipelock section; accepted and ignored by mcp-guard' }]));
  return {
    ...schema,
    properties: { ...(schema['properties'] as Record<string, unknown>), ...ignored },
    title: 'mcp-guard config (Pipelock-compatible YAML)',
    description: 'Every key is documented, with its default, in pipelock.example.yaml.',
  };
}
