/**
 * rules/tool-poisoning.yaml on its own, and together with rules/injection.yaml the
 * way the tool-poisoning scanner uses them: every text field of a tools/list entry
 * (and all of them joined with "\n") is matched against both packs. Checks schema
 * and ids, examples (also behind evasion), keyword prefilter soundness, and the
 * detection / false-positive floors on `tool-poisoning/*.jsonl` of the shared corpus.
 *
 * Only these two packs are loaded, so edits to other packs cannot move these numbers.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePacks, type CompiledRule } from '../src/scan/rule-pack.js';
import { RuleMatcher, type RuleHit } from '../src/scan/matcher.js';
import { corpusDir, ROOT } from './helpers.js';
import { uncoveredKeywordMatches } from './keyword-prefilter.js';

/** Floors reached on the developer corpus; raise them as rules improve, never lower them silently. */
const FLOORS = {
  /** Share of tool-poisoning/positives.jsonl flagged (reached: 21/21; the issue's target is 95%). */
  detection: 0.95,
  /** Share of tool-poisoning/negatives.jsonl flagged (reached: 0/252; at most one allowed). */
  fp: 1 / 252,
} as const;

interface ToolRecord {
  readonly id: string;
  readonly tool: { name: string; title?: string; description?: string; inputSchema?: unknown; annotations?: { title?: unknown } };
}

/** Load both packs through the real loader (schema, RE2 compile, ids unique across the two). */
function loadPacks(...files: string[]): CompiledRule[] {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-pack-'));
  for (const f of files) copyFileSync(join(ROOT, 'rules', f), join(dir, f));
  return loadRulePacks(dir);
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(join(corpusDir(), file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const SCHEMA_TEXT = ['description', 'title', 'default', 'const', 'pattern'] as const;
const SCHEMA_LISTS = ['enum', 'examples'] as const;
const SCHEMA_MAPS = ['properties', '$defs', 'definitions', 'patternProperties'] as const;
const SCHEMA_ARRAYS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const;
const SCHEMA_SINGLE = ['items', 'additionalProperties', 'not', 'propertyNames'] as const;

/**
 * The text fields of one tool that reach the model: name, title, description,
 * annotations.title, and recursively through inputSchema the descriptions, titles,
 * defaults, consts, patterns, enums, examples and property names.
 */
function toolFields(tool: ToolRecord['tool']): string[] {
  const out: string[] = [];
  const push = (v: unknown): void => {
    if (typeof v === 'string' && v !== '') out.push(v);
  };
  const walk = (schema: unknown, depth: number): void => {
    if (schema === null || typeof schema !== 'object' || depth > 32) return;
    if (Array.isArray(schema)) {
      for (const s of schema) walk(s, depth + 1);
      return;
    }
    const s = schema as Record<string, unknown>;
    for (const k of SCHEMA_TEXT) push(s[k]);
    for (const k of SCHEMA_LISTS) if (Array.isArray(s[k])) for (const v of s[k]) push(v);
    for (const k of SCHEMA_MAPS) {
      const map = s[k];
      if (map === null || typeof map !== 'object') continue;
      for (const [name, sub] of Object.entries(map)) {
        if (k === 'properties') push(name);
        walk(sub, depth + 1);
      }
    }
    for (const k of SCHEMA_ARRAYS) if (Array.isArray(s[k])) for (const sub of s[k]) walk(sub, depth + 1);
    for (const k of SCHEMA_SINGLE) walk(s[k], depth + 1);
  };
  push(tool.name);
  push(tool.title);
  push(tool.description);
  push(tool.annotations?.title);
  walk(tool.inputSchema, 0);
  return out;
}

const both = loadPacks('injection.yaml', 'tool-poisoning.yaml');
const poisoning = both.filter((r) => r.category === 'tool-poisoning');
const matcher = new RuleMatcher(both);
const positives = readJsonl<ToolRecord>('tool-poisoning/positives.jsonl');
const negatives = readJsonl<ToolRecord>('tool-poisoning/negatives.jsonl');

/** Hits on every field of the tool and on all fields joined with "\n". */
function toolHits(tool: ToolRecord['tool']): RuleHit[] {
  const fields = toolFields(tool);
  return [...fields.flatMap((f) => matcher.match(f)), ...matcher.match(fields.join('\n'))];
}

const EVASIONS: ReadonlyArray<[string, (s: string) => string]> = [
  ['zero-width', (s) => [...s].join('\u200b')],
  ['full-width', (s) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))],
  ['homoglyph', (s) => s.replace(/[aeopcx]/g, (c) => ({ a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х' })[c] ?? c)],
];

describe('tool-poisoning pack: shape', () => {
  it('holds only tool-poisoning rules with tp- ids and family-labelled descriptions', () => {
    expect(poisoning.length).toBeGreaterThan(0);
    for (const r of poisoning) {
      expect(r.id, r.id).toMatch(/^tp-[a-z0-9]+(?:-[a-z0-9]+)+$/);
      expect(r.description, r.id).toMatch(/^[A-Z][\w -]+: \S/);
    }
  });

  it('covers the families the issue names', () => {
    const families = new Set(poisoning.map((r) => r.description.split(':')[0]));
    for (const f of ['Instruction tag', 'File exfiltration', 'Cross-tool shadowing', 'Secrecy', 'Data routing', 'Side-channel parameter']) {
      expect(families.has(f), f).toBe(true);
    }
  });

  it('extracts nested schema texts and property names', () => {
    const fields = toolFields({
      name: 't',
      description: 'd',
      inputSchema: {
        type: 'object',
        properties: { sidenote: { type: 'string', description: 'p', anyOf: [{ enum: ['e1'] }], items: { title: 'i' } } },
        $defs: { x: { default: 'dflt', examples: ['ex'], pattern: '^a$' } },
      },
    });
    expect(fields).toEqual(['t', 'd', 'sidenote', 'p', 'e1', 'i', 'dflt', '^a$', 'ex']);
  });
});

describe('tool-poisoning pack: examples', () => {
  for (const rule of poisoning) {
    it(`${rule.id}: examples behave, also behind evasion`, () => {
      const m = new RuleMatcher([rule]);
      for (const ex of rule.spec.examples.match) expect(m.match(ex).length, `should match: ${ex}`).toBeGreaterThan(0);
      for (const ex of rule.spec.examples.no_match) expect(m.match(ex), `should not match: ${ex}`).toEqual([]);
      const fm = new RuleMatcher([{ ...rule, variants: rule.variants.filter((v) => v !== 'raw') }]);
      if (fm.rules[0]?.variants.length === 0) return;
      for (const ex of rule.spec.examples.match) {
        for (const [name, hide] of EVASIONS) {
          if (name !== 'zero-width' && /[^\x20-\x7e]/.test(ex)) continue;
          expect(fm.match(hide(ex)).length, `${name}: ${ex}`).toBeGreaterThan(0);
        }
      }
    });
  }
});

describe('tool-poisoning pack: keyword prefilter', () => {
  it('every regex match contains one of its rule keywords', () => {
    const texts = [...positives, ...negatives].flatMap((r) => {
      const f = toolFields(r.tool);
      return [...f, f.join('\n')];
    });
    const uncovered = uncoveredKeywordMatches(poisoning, texts);
    expect(uncovered).toEqual([]);
  });
});

describe('tool-poisoning pack: corpus floors (poisoning + injection rules on every field)', () => {
  it('flags poisoned tools (tool-poisoning/positives.jsonl)', () => {
    const rows: Array<{ id: string; rules: string }> = [];
    let detected = 0;
    for (const p of positives) {
      const ids = [...new Set(toolHits(p.tool).map((h) => h.rule.id))];
      if (ids.length > 0) detected++;
      rows.push({ id: p.id, rules: ids.length > 0 ? ids.join(', ') : 'MISSED' });
    }
    console.log(`tool-poisoning detection: ${detected}/${positives.length}`);
    console.table(rows);
    expect(detected / positives.length).toBeGreaterThanOrEqual(FLOORS.detection);
  });

  it('stays quiet on real tool definitions (tool-poisoning/negatives.jsonl)', () => {
    const flagged: string[] = [];
    for (const n of negatives) {
      const hits = toolHits(n.tool);
      if (hits.length > 0) flagged.push(`${n.id} [${[...new Set(hits.map((h) => h.rule.id))].join(',')}]`);
    }
    console.log(`tool-poisoning false positives: ${flagged.length}/${negatives.length}${flagged.length > 0 ? `\n  ${flagged.join('\n  ')}` : ''}`);
    expect(flagged.length / negatives.length).toBeLessThanOrEqual(FLOORS.fp);
  });
});
