/**
 * Every string of a tool definition that may reach the model, with its path:
 * all string values and object keys, at any depth, except the vocabulary of
 * JSON Schema and of the MCP `Tool` shape itself (keyword names such as `type`,
 * `properties`, `readOnlyHint`; values such as `type: "string"`, `format: "uri"`).
 * So `x-*` extensions, `markdownDescription`, `enumDescriptions`, `errorMessage`,
 * `$ref` strings, `$defs` names, `required` entries, custom annotations and
 * `_meta` are all read.
 *
 * Shapes: MCP spec 2025-11-25, Server features § Tools, "Tool" (name, title,
 * description, icons, inputSchema, outputSchema, execution, annotations, _meta);
 * JSON Schema 2020-12 Core and Validation (and the draft-04…07 keywords) for
 * nested schemas.
 */
import { joinPath } from './json-walk.js';
import type { ScanInput } from './types.js';

/** One text field of a tool. */
export interface ToolText {
  readonly path: string;
  readonly value: string;
  /** `name` for the tool name, object keys and `required` entries (identifiers); `text` otherwise. */
  readonly kind: 'name' | 'text';
  /** True when `value` is an object key (`path` then ends with it), not a string value. */
  readonly isKey: boolean;
}

/** The strings of one tool, and whether the walk had to stop early. */
export interface ToolWalk {
  readonly texts: ToolText[];
  /**
   * Path of the first object or array nested deeper than {@link MAX_TOOL_DEPTH}
   * below the tool; the tool was not read past it and must not be forwarded.
   */
  readonly tooDeep: string | undefined;
}

/**
 * Deepest nesting read below a tool object (the tool is level 0, `inputSchema`
 * level 1, …): about 30 levels of nested schemas, far beyond real definitions.
 */
export const MAX_TOOL_DEPTH = 64;

/** Rule id of a tool nested deeper than {@link MAX_TOOL_DEPTH}: it cannot be read whole, so it is never forwarded. */
export const TOOL_TOO_DEEP = 'tool-too-deep';

/** Keyword names: never attacker text, so not scanned as keys. */
const KEYWORDS = new Set([
  // JSON Schema 2020-12: core, applicator, unevaluated, validation, meta-data, format, content.
  '$schema', '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor', '$vocabulary', '$comment', '$defs',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'prefixItems', 'items', 'contains',
  'properties', 'patternProperties', 'additionalProperties', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties',
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength',
  'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties',
  'minProperties', 'required', 'dependentRequired', 'title', 'description', 'default', 'deprecated', 'readOnly',
  'writeOnly', 'examples', 'format', 'contentEncoding', 'contentMediaType', 'contentSchema',
  // Drafts 04-07 and 2019-09.
  'id', 'definitions', 'dependencies', 'additionalItems', '$recursiveRef', '$recursiveAnchor',
  // MCP Tool, ToolAnnotations, Icon, ToolExecution.
  'name', 'icons', 'inputSchema', 'outputSchema', 'execution', 'annotations', '_meta', 'readOnlyHint',
  'destructiveHint', 'idempotentHint', 'openWorldHint', 'src', 'mimeType', 'sizes', 'theme', 'taskSupport',
]);

/** Values that are pure vocabulary of the key holding them (JSON Schema 2020-12 Validation §6.1.1, §7.3; MCP Icon, ToolExecution). */
const VOCABULARY = new Map<string, ReadonlySet<string>>([
  ['type', new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'])],
  ['format', new Set([
    'date-time', 'date', 'time', 'duration', 'email', 'idn-email', 'hostname', 'idn-hostname', 'ipv4', 'ipv6', 'uri',
    'uri-reference', 'iri', 'iri-reference', 'uuid', 'uri-template', 'json-pointer', 'relative-json-pointer', 'regex',
    'int32', 'int64', 'float', 'double', 'byte', 'binary', 'password',
  ])],
  ['contentEncoding', new Set(['7bit', '8bit', 'binary', 'quoted-printable', 'base16', 'base32', 'base64'])],
  ['taskSupport', new Set(['forbidden', 'optional', 'required'])],
  ['theme', new Set(['light', 'dark'])],
]);
const DIALECT = /^https?:\/\/json-schema\.org\/(?:draft-0[3-7]\/schema#?|draft\/20(?:19-09|20-12)\/schema)$/;

function isVocabulary(key: string | undefined, value: string): boolean {
  if (key === undefined) return false;
  if (key === '$schema') return DIALECT.test(value);
  return VOCABULARY.get(key)?.has(value) === true;
}

interface Frame {
  readonly value: unknown;
  readonly path: string;
  readonly depth: number;
  /** The object key this value sits under (for array elements: the array's key). */
  readonly key: string | undefined;
  /** True when `key` is to be scanned just before the value (object members, not keywords). */
  readonly scanKey: boolean;
}

/**
 * Walk one tool definition iteratively (no recursion, so no stack overflow on
 * hostile nesting) in document order, collecting its scannable strings.
 * @param tool one element of `tools/list` `result.tools` (or `sampling/createMessage` `params.tools`)
 * @param base its path, e.g. `result.tools[3]`
 * @returns the strings, and the path where nesting passed {@link MAX_TOOL_DEPTH}, if it did
 */
export function walkTool(tool: unknown, base: string): ToolWalk {
  const texts: ToolText[] = [];
  let tooDeep: string | undefined;
  if (tool === null || typeof tool !== 'object' || Array.isArray(tool)) return { texts, tooDeep };
  const stack: Frame[] = [{ value: tool, path: base, depth: 0, key: undefined, scanKey: false }];
  for (let f = stack.pop(); f !== undefined; f = stack.pop()) {
    const { value, path, depth, key } = f;
    // Tool lists get no credential (DLP) scan, so a key's finding may name the key itself.
    if (f.scanKey && key !== undefined) texts.push({ path, value: key, kind: 'name', isKey: true });
    if (typeof value === 'string') {
      if (isVocabulary(key, value)) continue;
      const identifier = (depth === 1 && key === 'name') || key === 'required';
      texts.push({ path, value, kind: identifier ? 'name' : 'text', isKey: false });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_TOOL_DEPTH) {
      tooDeep ??= path;
      continue;
    }
    const children: Frame[] = [];
    if (Array.isArray(value)) {
      value.forEach((v: unknown, i) => children.push({ value: v, path: joinPath(path, i), depth: depth + 1, key, scanKey: false }));
    } else {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        children.push({ value: v, path: joinPath(path, k), depth: depth + 1, key: k, scanKey: !KEYWORDS.has(k) });
      }
    }
    // Document order: each key, then its value.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
  }
  return { texts, tooDeep };
}

/**
 * Whether a tool definition nests objects or arrays deeper than
 * {@link MAX_TOOL_DEPTH} (the same measure as {@link walkTool}'s `tooDeep`),
 * checked iteratively without collecting strings.
 */
export function toolTooDeep(tool: unknown): boolean {
  const stack: Array<readonly [unknown, number]> = [[tool, 0]];
  for (let f = stack.pop(); f !== undefined; f = stack.pop()) {
    const [value, depth] = f;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_TOOL_DEPTH) return true;
    for (const v of Array.isArray(value) ? value : Object.values(value as Record<string, unknown>)) stack.push([v, depth + 1]);
  }
  return false;
}

/**
 * The strings of one tool (see {@link walkTool}), without the depth verdict.
 * @param tool one element of `tools/list` `result.tools`
 * @param base its path, e.g. `result.tools[3]`
 */
export function toolTexts(tool: unknown, base: string): ToolText[] {
  return walkTool(tool, base).texts;
}

/** The `result.tools` array of a server's `tools/list` response, or undefined for any other frame. */
export function listedTools(input: ScanInput): unknown[] | undefined {
  if (input.direction !== 'server-to-client' || input.context?.method !== 'tools/list') return undefined;
  const result = input.message.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const tools = result['tools'];
  return Array.isArray(tools) ? tools : undefined;
}
