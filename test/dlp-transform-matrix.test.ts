/**
 * The DLP transform matrix (issue 10, section 1), generated from rules/dlp.yaml:
 * every rule's `examples.match` strings, each put through every evasion of
 * {@link MATRIX_TRANSFORMS}, sent as a `tools/call` request through the real
 * decision code (GuardSession over a ScanChain built from the pack), must give
 * a DLP finding of that rule and a block (a warn for low-severity rules, which warn by default). Every `no_match` example and every
 * negative of the shared secrets corpus must stay clean under the same evasions.
 *
 * A rule may exempt itself from a transform only with a written reason in the
 * rule (`matrix_exempt: {transform: reason}`, see rules/README.md). An exempt
 * cell is not skipped: it must still miss, so a stale exemption fails here.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRulePacks, MATRIX_TRANSFORMS, type CompiledRule, type MatrixTransform } from '../src/scan/rule-pack.js';
import { RuleMatcher } from '../src/scan/matcher.js';
import { ScanChain } from '../src/scan/chain.js';
import { GuardSession } from '../src/proxy/session.js';
import { normalizeConfig } from '../src/config/normalize.js';
import type { Finding } from '../src/scan/types.js';
import { corpusDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const packFile = resolve(here, '..', 'rules', 'dlp.yaml');

/** rules/dlp.yaml alone, through the real loader (schema, RE2 compile). */
function loadDlpPack(): CompiledRule[] {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-matrix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(packFile, join(dir, 'dlp.yaml'));
  return loadRulePacks(dir);
}

const rules = loadDlpPack();
const chain = new ScanChain({ config: normalizeConfig({}), rules, env: {} });

// ───── The evasions ─────

/** Tool arguments an evasion builds from an example and the span of its secret (UTF-16 offsets). */
type Build = (text: string, span: readonly [number, number]) => Record<string, unknown>;

const ZW = '\u200b';
const SHY = '\u00ad';
/** Insert `ch` into `text` at the given offsets (ascending). */
function insertAt(text: string, at: readonly number[], ch: string): string {
  let out = '';
  let last = 0;
  for (const i of at) {
    out += text.slice(last, i) + ch;
    last = i;
  }
  return out + text.slice(last);
}
/** Offsets strictly inside the span, every `step` characters. */
const every = ([s, e]: readonly [number, number], step: number): number[] => {
  const out: number[] = [];
  for (let i = s + step; i < e; i += step) out.push(i);
  return out;
};
const mid = ([s, e]: readonly [number, number]): number => s + Math.floor((e - s) / 2);

/** Look-alikes: Cyrillic and Greek letters that render as the Latin one (UTS #39 confusables). */
const CYRILLIC: Record<string, string> = {
  a: 'а', c: 'с', e: 'е', o: 'о', p: 'р', x: 'х', y: 'у', i: 'і', j: 'ј', s: 'ѕ',
  A: 'А', B: 'В', C: 'С', E: 'Е', H: 'Н', K: 'К', M: 'М', O: 'О', P: 'Р', T: 'Т', X: 'Х', I: 'І', J: 'Ј', S: 'Ѕ', Y: 'Ү',
};
const GREEK: Record<string, string> = {
  A: 'Α', B: 'Β', E: 'Ε', Z: 'Ζ', H: 'Η', I: 'Ι', K: 'Κ', M: 'Μ', N: 'Ν', O: 'Ο', P: 'Ρ', T: 'Τ', Y: 'Υ', X: 'Χ',
  o: 'ο', v: 'ν', i: 'ι',
};
const swap = (text: string, table: Record<string, string>): string => [...text].map((c) => table[c] ?? c).join('');
const fullwidth = (text: string): string => [...text].map((c) => (/[!-~]/.test(c) ? String.fromCodePoint(c.charCodeAt(0) + 0xfee0) : c)).join('');
const percent = (text: string): string => [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const uEscape = (text: string): string => Array.from({ length: text.length }, (_v, i) => `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
const entities = (text: string): string => [...text].map((c) => `&#${c.codePointAt(0)};`).join('');

/** Every evasion of the matrix; the keys are the rule schema's {@link MATRIX_TRANSFORMS}. */
const TRANSFORMS: Record<MatrixTransform, Build> = {
  'zero-width-1': (t, span) => ({ input: insertAt(t, [span[0] + 1], ZW) }),
  'zero-width-mid': (t, span) => ({ input: insertAt(t, [mid(span)], ZW) }),
  'zero-width-every-4': (t, span) => ({ input: insertAt(t, every(span, 4), ZW) }),
  'soft-hyphen': (t, span) => ({ input: insertAt(t, every(span, 4), SHY) }),
  cyrillic: (t) => ({ input: swap(t, CYRILLIC) }),
  greek: (t) => ({ input: swap(t, GREEK) }),
  fullwidth: (t) => ({ input: fullwidth(t) }),
  base64: (t) => ({ input: Buffer.from(t).toString('base64') }),
  base64url: (t) => ({ input: Buffer.from(t).toString('base64url') }),
  hex: (t) => ({ input: Buffer.from(t).toString('hex') }),
  url: (t) => ({ input: percent(t) }),
  'double-url': (t) => ({ input: percent(t).replace(/%/g, '%25') }),
  'unicode-escape': (t) => ({ input: uEscape(t) }),
  'html-entities': (t) => ({ input: entities(t) }),
  'split-arguments': (t, span) => ({ first: t.slice(0, mid(span)), second: t.slice(mid(span)) }),
  'split-array': (t, span) => ({ parts: [t.slice(0, mid(span)), t.slice(mid(span))] }),
  'object-key': (t) => ({ env: { [t]: 'set' } }),
  'json-in-string': (t) => ({ payload: JSON.stringify({ note: t }) }),
};

it('the matrix implements exactly the transforms the rule schema names', () => {
  expect(Object.keys(TRANSFORMS).sort()).toEqual([...MATRIX_TRANSFORMS].sort());
});

describe('matrix_exempt in the rule schema', () => {
  const pack = (exempt: string): string =>
    `rules:\n  - id: t\n    category: dlp\n    severity: high\n    description: t\n    regex: tk_[a-z]{8}\n    keywords: [tk_]\n` +
    `    matrix_exempt: ${exempt}\n    examples:\n      match: [tk_abcdefgh]\n      no_match: [tk_x]\n`;
  const load = (yaml: string): CompiledRule[] => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-exempt-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), yaml);
      return loadRulePacks(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('takes a known evasion with a reason', () => {
    expect(load(pack("{split-array: 'the secret is one character, so it cannot be split'}"))[0]?.spec.matrix_exempt).toEqual({
      'split-array': 'the secret is one character, so it cannot be split',
    });
  });
  it('rejects an unknown evasion and a reason that is not a sentence', () => {
    expect(() => load(pack("{rot47: 'no such evasion in the matrix at all'}"))).toThrow(/invalid/);
    expect(() => load(pack("{hex: 'why not'}"))).toThrow(/invalid/);
  });
});

// ───── Running one frame ─────

let nextId = 1;
/** The verdict on a `tools/call` with `args`, through GuardSession (raw line included, as the proxy does). */
function decide(args: Record<string, unknown>): { action: string; findings: readonly Finding[] } {
  const msg = { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'run', arguments: args } };
  const raw = JSON.stringify(msg);
  return new GuardSession(chain).fromClient(JSON.parse(raw), raw).verdict;
}

/** The span of the rule's secret in `text` (the `secret` group when it has one). */
function secretSpan(rule: CompiledRule, text: string): [number, number] {
  const hit = new RuleMatcher([rule]).match(text)[0];
  if (hit === undefined || hit.variant !== 'raw') throw new Error(`${rule.id}: an example does not match as written`);
  return [hit.start, hit.end];
}

/** The matrix's columns: the example as written (the baseline), then every evasion. */
type Column = MatrixTransform | 'as-written';
const names: Column[] = ['as-written', ...(Object.keys(TRANSFORMS) as MatrixTransform[])];
const builder = (c: Column): Build => (c === 'as-written' ? (t) => ({ input: t }) : TRANSFORMS[c]);
const exemption = (rule: CompiledRule, c: Column): string | undefined => (c === 'as-written' ? undefined : rule.spec.matrix_exempt?.[c]);

// ───── Match examples: a finding of the rule, and a block ─────

const matchRows = rules.flatMap((r) => names.map((t) => ({ rule: r, id: r.id, transform: t })));

describe('every match example is blocked under every evasion', () => {
  it.each(matchRows)('$id × $transform', ({ rule, transform }) => {
    const build = builder(transform);
    const missed: string[] = [];
    // Low-severity rules warn by default (chain.ts; `mode: strict` blocks): for them the finding is what counts.
    const expected = rule.severity === 'low' ? 'warn' : 'block';
    for (const ex of rule.spec.examples.match) {
      const v = decide(build(ex, secretSpan(rule, ex)));
      const acted = v.action === 'block' || v.action === expected;
      if (!acted || !v.findings.some((f) => f.category === 'dlp' && f.rule === rule.id)) {
        missed.push(`${ex.slice(0, 12)}… → ${v.action} [${v.findings.map((f) => `${f.rule}/${f.transform ?? 'raw'}`).join(', ')}]`);
      }
    }
    const reason = exemption(rule, transform);
    if (reason === undefined) {
      expect(missed.join('\n'), 'examples not blocked').toBe('');
    } else {
      // Not a silent skip: the exemption must still be needed.
      expect(missed.length, `exempt (${reason}) but every example is now blocked: remove matrix_exempt.${transform}`).toBeGreaterThan(0);
    }
  });
});

// ───── no_match examples and corpus negatives: no finding ─────

const SPLITS: ReadonlySet<Column> = new Set(['split-arguments', 'split-array']);

/**
 * DLP findings the column adds to a clean text, as `rule/transform`. A split
 * makes two new texts: what either half gives on its own is that half's
 * verdict, not the evasion's, so only findings beyond those count (the join of
 * the halves must not make a secret out of a negative).
 */
function introduced(column: Column, text: string, only?: string): string[] {
  const span: [number, number] = [0, text.length];
  const dlp = (args: Record<string, unknown>): Finding[] =>
    // A documented example value (AKIAIOSFODNN7EXAMPLE) is a warning by design, not a finding here.
    decide(args).findings.filter((f) => f.category === 'dlp' && f.documented !== true && (only === undefined || f.rule === only));
  const found = dlp(builder(column)(text, span));
  if (!SPLITS.has(column)) return found.map((f) => `${f.rule}/${f.transform ?? 'raw'}`);
  const alone = new Set([text.slice(0, mid(span)), text.slice(mid(span))].flatMap((half) => dlp({ input: half }).map((f) => f.rule)));
  return found.filter((f) => !alone.has(f.rule)).map((f) => `${f.rule}/${f.transform ?? 'raw'}`);
}

const noMatchRows = matchRows.filter((r) => r.rule.spec.examples.no_match.length > 0);

describe('no no_match example is flagged by its rule under any evasion', () => {
  it.each(noMatchRows)('$id × $transform', ({ rule, transform }) => {
    const flagged = rule.spec.examples.no_match.flatMap((ex) => introduced(transform, ex, rule.id).map((f) => `${ex.slice(0, 16)}… → ${f}`));
    expect(flagged.join('\n')).toBe('');
  });
});

interface Row {
  readonly id: string;
  readonly text: string;
}
function readNegatives(): Row[] {
  const path = join(corpusDir(), 'secrets', 'negatives.jsonl');
  if (!existsSync(path)) throw new Error(`DLP corpus missing: ${path}; this test never skips.`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}
const negatives = readNegatives();

/**
 * Corpus negatives the chain flags as written, on purpose, with the finding
 * expected. Each must still be flagged exactly so; when one stops, delete it here.
 */
const KNOWN_FLAGGED: Record<string, { finding: string; reason: string }> = {
  'sl-1password-ok-ops-prefix-but-is-not-jwt': {
    finding: 'onepassword-secret-key',
    reason:
      'negative for the service-account-token rule only (its ops_ prefix is not followed by a JWT); its base64 body decodes to JSON whose secretKey is a well-formed 1Password Secret Key, which the decoded view finds',
  },
};

describe('no corpus negative is flagged under any evasion', () => {
  it.each(names)('%s', (transform) => {
    const flagged: string[] = [];
    for (const n of negatives) {
      const found = introduced(transform, n.text);
      const known = KNOWN_FLAGGED[n.id];
      if (known !== undefined) {
        if (transform === 'as-written') expect(found, `${n.id}: ${known.reason}`).toContainEqual(expect.stringMatching(`^${known.finding}/`));
        if (found.every((f) => f.startsWith(`${known.finding}/`))) continue;
      }
      if (found.length > 0) flagged.push(`${n.id}: ${found.join(', ')}`);
    }
    expect(flagged.join('\n')).toBe('');
  });
});
