/**
 * Every text field of a tool definition that reaches the model, with its path.
 *
 * Shapes: MCP spec 2025-06-18, Server features § Tools, "Tool" (name, title,
 * description, inputSchema, outputSchema, annotations.title); JSON Schema
 * 2020-12 keywords for nested schemas.
 */
import { joinPath } from './json-walk.js';
import type { ScanInput } from './types.js';

/** One text field of a tool. */
export interface ToolText {
  readonly path: string;
  readonly value: string;
  /** `name` for parameter names and the tool name, `text` otherwise. */
  readonly kind: 'name' | 'text';
}

const TEXT_KEYS = ['description', 'title', 'pattern', '$comment'] as const;
const VALUE_KEYS = ['default', 'const', 'enum', 'examples'] as const;
const SUBSCHEMA_MAPS = ['properties', '$defs', 'definitions', 'patternProperties', 'dependentSchemas'] as const;
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const;
const SUBSCHEMA_SINGLE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'] as const;
const MAX_SCHEMA_DEPTH = 32;

function pushStrings(out: ToolText[], value: unknown, path: string): void {
  if (typeof value === 'string') out.push({ path, value, kind: 'text' });
  else if (Array.isArray(value)) value.forEach((v, i) => pushStrings(out, v, joinPath(path, i)));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) pushStrings(out, v, joinPath(path, k));
  }
}

function walkSchema(out: ToolText[], schema: unknown, path: string, depth: number): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema) || depth > MAX_SCHEMA_DEPTH) return;
  const s = schema as Record<string, unknown>;
  for (const k of TEXT_KEYS) if (typeof s[k] === 'string') out.push({ path: joinPath(path, k), value: s[k], kind: 'text' });
  for (const k of VALUE_KEYS) if (s[k] !== undefined) pushStrings(out, s[k], joinPath(path, k));
  for (const k of SUBSCHEMA_MAPS) {
    const m = s[k];
    if (m === null || typeof m !== 'object' || Array.isArray(m)) continue;
    for (const [name, sub] of Object.entries(m)) {
      const p = joinPath(joinPath(path, k), name);
      if (k === 'properties') out.push({ path: p, value: name, kind: 'name' });
      walkSchema(out, sub, p, depth + 1);
    }
  }
  for (const k of SUBSCHEMA_LISTS) {
    const list = s[k];
    if (Array.isArray(list)) list.forEach((sub, i) => walkSchema(out, sub, joinPath(joinPath(path, k), i), depth + 1));
  }
  for (const k of SUBSCHEMA_SINGLE) {
    const sub = s[k];
    if (Array.isArray(sub)) sub.forEach((x, i) => walkSchema(out, x, joinPath(joinPath(path, k), i), depth + 1));
    else walkSchema(out, sub, joinPath(path, k), depth + 1);
  }
}

/**
 * Collect the text fields of one tool: name, title, description,
 * annotations.title, and inputSchema/outputSchema texts and parameter names.
 * @param tool one element of `tools/list` `result.tools`
 * @param base its path, e.g. `result.tools[3]`
 */
export function toolTexts(tool: unknown, base: string): ToolText[] {
  const out: ToolText[] = [];
  if (tool === null || typeof tool !== 'object') return out;
  const t = tool as Record<string, unknown>;
  if (typeof t['name'] === 'string') out.push({ path: joinPath(base, 'name'), value: t['name'], kind: 'name' });
  if (typeof t['title'] === 'string') out.push({ path: joinPath(base, 'title'), value: t['title'], kind: 'text' });
  if (typeof t['description'] === 'string') out.push({ path: joinPath(base, 'description'), value: t['description'], kind: 'text' });
  const ann = t['annotations'];
  if (ann !== null && typeof ann === 'object' && typeof (ann as Record<string, unknown>)['title'] === 'string') {
    out.push({ path: joinPath(joinPath(base, 'annotations'), 'title'), value: (ann as Record<string, string>)['title'] as string, kind: 'text' });
  }
  walkSchema(out, t['inputSchema'], joinPath(base, 'inputSchema'), 0);
  walkSchema(out, t['outputSchema'], joinPath(base, 'outputSchema'), 0);
  return out;
}

/** The `result.tools` array of a server's `tools/list` response, or undefined for any other frame. */
export function listedTools(input: ScanInput): unknown[] | undefined {
  if (input.direction !== 'server-to-client' || input.context?.method !== 'tools/list') return undefined;
  const result = input.message.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const tools = result['tools'];
  return Array.isArray(tools) ? tools : undefined;
}
