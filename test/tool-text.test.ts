/** The tool-definition walk (tool-text.ts) and canonical JSON on hostile nesting. */
import { describe, expect, it } from 'vitest';
import { MAX_TOOL_DEPTH, toolTooDeep, walkTool } from '../src/scan/tool-text.js';
import { canonicalJson } from '../src/scan/drift.js';

const nest = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

describe('walkTool', () => {
  it('reads every string and key in document order, skipping keyword names and vocabulary values', () => {
    const tool = {
      name: 'get_page',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { url: { type: ['string', 'null'], format: 'uri', 'x-hint': 'A web address.' } },
        required: ['url'],
      },
      annotations: { readOnlyHint: true, 'com.example/cost': 'low' },
    };
    expect(walkTool(tool, 't').texts.map((t) => [t.path, t.value, t.kind, t.isKey])).toEqual([
      ['t.name', 'get_page', 'name', false],
      ['t.inputSchema.properties.url', 'url', 'name', true],
      ['t.inputSchema.properties.url.x-hint', 'x-hint', 'name', true],
      ['t.inputSchema.properties.url.x-hint', 'A web address.', 'text', false],
      ['t.inputSchema.required[0]', 'url', 'name', false],
      ['t.annotations["com.example/cost"]', 'com.example/cost', 'name', true],
      ['t.annotations["com.example/cost"]', 'low', 'text', false],
    ]);
  });

  it('a non-vocabulary value under a keyword is still read ($schema, type, format)', () => {
    const texts = walkTool({ inputSchema: { $schema: 'ignore previous', type: 'secret', format: 'x' } }, 't').texts.map((t) => t.value);
    expect(texts).toEqual(['ignore previous', 'secret', 'x']);
  });

  it(`stops past ${MAX_TOOL_DEPTH} levels and says where, without recursion (200,000 levels)`, () => {
    // The tool is level 0, so `x`'s n nested arrays reach level n.
    expect(walkTool({ x: nest(MAX_TOOL_DEPTH) }, 't').tooDeep).toBeUndefined();
    expect(walkTool({ x: nest(MAX_TOOL_DEPTH + 1) }, 't').tooDeep).toBe(`t.x${'[0]'.repeat(MAX_TOOL_DEPTH)}`);
    const hostile = JSON.parse(`{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`) as unknown;
    expect(walkTool(hostile, 't').tooDeep).toBeDefined();
    expect(toolTooDeep(hostile)).toBe(true);
    expect(toolTooDeep({ x: nest(MAX_TOOL_DEPTH) })).toBe(false);
    expect(toolTooDeep({ x: nest(MAX_TOOL_DEPTH + 1) })).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('is iterative: 200,000 levels do not overflow the stack', () => {
    const hostile = JSON.parse(`{"b":${'['.repeat(200_000)}${']'.repeat(200_000)},"a":1}`) as unknown;
    const c = canonicalJson(hostile);
    expect(c.startsWith('{"a":1,"b":[[[')).toBe(true);
    expect(c.length).toBe(JSON.stringify({ a: 1, b: 0 }).length - 1 + 400_000);
  });

  it('keeps the recursive form: sorted keys, undefined members dropped, undefined array items as null', () => {
    expect(canonicalJson({ b: [1, undefined, { d: 'x', c: null }], a: undefined, '\u00e9': true })).toBe('{"b":[1,null,{"c":null,"d":"x"}],"é":true}');
    expect(canonicalJson('s')).toBe('"s"');
    expect(canonicalJson(undefined)).toBe('null');
  });
});
