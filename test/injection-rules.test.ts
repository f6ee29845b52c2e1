/**
 * rules/injection.yaml on its own: schema and ids, family and language coverage,
 * examples (also behind zero-width, full-width and homoglyph evasion), keyword
 * prefilter soundness, and detection / false-positive floors on the shared corpus
 * (`injection/positives.jsonl`, `injection/negatives.jsonl`; see the corpus README).
 *
 * Only this pack is loaded, so edits to other packs cannot move these numbers.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePacks, type CompiledRule } from '../src/scan/rule-pack.js';
import { RuleMatcher } from '../src/scan/matcher.js';
import { corpusDir, ROOT } from './helpers.js';
import { uncoveredKeywordMatches } from './keyword-prefilter.js';

/** Floors reached on the developer corpus; raise them as rules improve, never lower them silently. */
const FLOORS = {
  /** Share of injection/positives.jsonl flagged (reached: 400/400). */
  detection: 0.99,
  /** Share of kind=tool-output negatives flagged (reached: 0/989; at most one allowed). */
  fpToolOutput: 1 / 989,
  /** Share of kind=over-defense negatives flagged (reached: 0/113; at most one allowed). */
  fpOverDefense: 1 / 113,
} as const;

const LANGUAGES = ['zh', 'ja', 'ko', 'es', 'de', 'fr', 'ru'] as const;

interface Positive {
  readonly id: string;
  readonly text: string;
  readonly category?: string;
}
interface Negative {
  readonly id: string;
  readonly text: string;
  readonly kind: 'tool-output' | 'over-defense';
}

/** Load one pack file through the real loader (schema, RE2 compile, duplicate ids). */
function loadPackFile(file: string): CompiledRule[] {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-pack-'));
  copyFileSync(file, join(dir, basename(file)));
  return loadRulePacks(dir);
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(join(corpusDir(), file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Family name: the description up to its first colon. */
function familyOf(rule: CompiledRule): string {
  return rule.description.split(':')[0] ?? rule.description;
}

/** Ways to hide a string from a naive matcher that normalisation must undo. */
const EVASIONS: ReadonlyArray<[string, (s: string) => string]> = [
  ['zero-width', (s) => [...s].join('\u200b')],
  ['full-width', (s) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))],
  ['homoglyph', (s) => s.replace(/[aeopcx]/g, (c) => ({ a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х' })[c] ?? c)],
];

const rules = loadPackFile(join(ROOT, 'rules', 'injection.yaml'));
const matcher = new RuleMatcher(rules);
const positives = readJsonl<Positive>('injection/positives.jsonl');
const negatives = readJsonl<Negative>('injection/negatives.jsonl');

/** Ids of the rules that fire on `text`. */
const firing = (text: string): string[] => matcher.match(text).map((h) => h.rule.id);
const pct = (n: number, d: number): string => `${((100 * n) / Math.max(d, 1)).toFixed(1)}%`;

describe('injection pack: shape', () => {
  it('holds only injection rules with inj- ids and family-labelled descriptions', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(r.category, r.id).toBe('injection');
      expect(r.id, r.id).toMatch(/^inj-[a-z0-9]+(?:-[a-z0-9]+)+$/);
      expect(r.description, r.id).toMatch(/^[A-Z][\w -]+: \S/);
    }
  });

  it('covers at least 25 families and the required languages', () => {
    const families = new Set(rules.map(familyOf));
    expect(families.size).toBeGreaterThanOrEqual(25);
    const segments = new Set(rules.flatMap((r) => r.id.split('-')));
    for (const lang of LANGUAGES) expect(segments.has(lang), `no rule for ${lang}`).toBe(true);
  });
});

describe('injection pack: examples', () => {
  for (const rule of rules) {
    it(`${rule.id}: examples behave, also behind evasion`, () => {
      const m = new RuleMatcher([rule]);
      for (const ex of rule.spec.examples.match) expect(m.match(ex).length, `should match: ${ex}`).toBeGreaterThan(0);
      for (const ex of rule.spec.examples.no_match) expect(m.match(ex), `should not match: ${ex}`).toEqual([]);
      const folded = rule.variants.filter((v) => v !== 'raw');
      if (folded.length === 0) return;
      // The normalising variants alone must see through the evasions.
      const fm = new RuleMatcher([{ ...rule, variants: folded }]);
      for (const ex of rule.spec.examples.match) {
        for (const [name, hide] of EVASIONS) {
          if (name !== 'zero-width' && /[^\x20-\x7e]/.test(ex)) continue;
          expect(fm.match(hide(ex)).length, `${name}: ${ex}`).toBeGreaterThan(0);
        }
      }
    });
  }
});

describe('injection pack: keyword prefilter', () => {
  it('every regex match contains one of its rule keywords', () => {
    const texts = [...positives.map((p) => p.text), ...negatives.map((n) => n.text)];
    const uncovered = uncoveredKeywordMatches(rules, texts);
    expect(uncovered).toEqual([]);
  });
});

describe('injection pack: corpus floors', () => {
  it('detects injected tool responses (injection/positives.jsonl)', () => {
    const byCategory = new Map<string, { total: number; missed: string[] }>();
    const byFamily = new Map<string, number>();
    let detected = 0;
    for (const p of positives) {
      const hits = matcher.match(p.text);
      const cat = byCategory.get(p.category ?? '(none)') ?? { total: 0, missed: [] };
      cat.total++;
      if (hits.length > 0) detected++;
      else cat.missed.push(p.id);
      byCategory.set(p.category ?? '(none)', cat);
      for (const f of new Set(hits.map((h) => familyOf(h.rule)))) byFamily.set(f, (byFamily.get(f) ?? 0) + 1);
    }
    console.log(`injection detection: ${detected}/${positives.length} = ${pct(detected, positives.length)}`);
    console.table(
      [...byCategory].map(([category, c]) => ({ category, total: c.total, missed: c.missed.length, ids: c.missed.slice(0, 4).join(' ') })),
    );
    console.table([...byFamily].sort((a, b) => b[1] - a[1]).map(([family, records]) => ({ family, records })));
    expect(detected / positives.length).toBeGreaterThanOrEqual(FLOORS.detection);
  });

  it('stays quiet on benign tool outputs and over-defense traps (injection/negatives.jsonl)', () => {
    const byKind = new Map<string, { total: number; flagged: string[] }>();
    const bySource = new Map<string, { total: number; flagged: number }>();
    for (const n of negatives) {
      const ids = firing(n.text);
      const k = byKind.get(n.kind) ?? { total: 0, flagged: [] };
      k.total++;
      if (ids.length > 0) k.flagged.push(`${n.id} [${ids.join(',')}]`);
      byKind.set(n.kind, k);
      const src = n.id.split('-')[0] ?? n.id;
      const s = bySource.get(src) ?? { total: 0, flagged: 0 };
      s.total++;
      if (ids.length > 0) s.flagged++;
      bySource.set(src, s);
    }
    console.table([...byKind].map(([kind, k]) => ({ kind, total: k.total, flagged: k.flagged.length, rate: pct(k.flagged.length, k.total) })));
    console.table([...bySource].map(([source, s]) => ({ source, total: s.total, flagged: s.flagged })));
    for (const [kind, k] of byKind) if (k.flagged.length > 0) console.log(`false positives (${kind}):\n  ${k.flagged.join('\n  ')}`);
    const rate = (kind: string): number => {
      const k = byKind.get(kind);
      return k === undefined ? 0 : k.flagged.length / k.total;
    };
    expect(byKind.get('tool-output')?.total ?? 0).toBeGreaterThan(0);
    expect(rate('tool-output')).toBeLessThanOrEqual(FLOORS.fpToolOutput);
    expect(rate('over-defense')).toBeLessThanOrEqual(FLOORS.fpOverDefense);
  });
});
