/**
 * src/scan/matcher.ts and src/scan/normalize.ts on small inline rules: the
 * keyword prefilter, variants and their transform labels, spans (and the
 * `secret` group), validators and placeholders, the caps that mark a rule
 * `limited`, and each normalisation step. The packs' own examples run in the
 * pack tests (test/*-rules.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { compileRule, type CompiledRule, type RuleSpec } from '../src/scan/rule-pack.js';
import { MAX_HITS_PER_RULE, MAX_REJECTED_PER_RULE, RuleMatcher } from '../src/scan/matcher.js';
import { TextVariants, compactText, foldLeet, normalizeText } from '../src/scan/normalize.js';
import { maskSecret } from '../src/scan/mask.js';
import { beginFrame, endFrame } from '../src/scan/budget.js';

function rule(id: string, regex: string, extra: Partial<RuleSpec> = {}): CompiledRule {
  return compileRule({ id, category: 'injection', severity: 'high', description: id, regex, examples: { match: ['x'], no_match: ['y'] }, ...extra }, 'test');
}
const ids = (m: RuleMatcher, text: string | TextVariants): string[] => m.match(text).map((h) => h.rule.id);

describe('RuleMatcher: candidates', () => {
  it('a rule with keywords runs only where a keyword occurs, matched literally and case-insensitively', () => {
    const m = new RuleMatcher([rule('dot', 'a.b', { keywords: ['A.B'] })]);
    expect(ids(m, 'x a.b y')).toEqual(['dot']);
    expect(ids(m, 'x aXb y')).toEqual([]);
    expect(m.test('x aXb y')).toBe(false);
    expect(m.test('x A.b y')).toBe(true);
    expect(m.test('nothing')).toBe(false);
  });

  it('rules sharing a keyword are all candidates; a keyword-less rule always is; hits keep rule order', () => {
    const m = new RuleMatcher([
      rule('one', 'key=1', { keywords: ['key'] }),
      rule('free', 'free[0-9]'),
      rule('two', 'key=2', { keywords: ['KEY', 'other'] }),
      rule('three', 'other=3', { keywords: ['other'] }),
    ]);
    expect(ids(m, 'free1 key=2 key=1')).toEqual(['one', 'free', 'two']);
    expect(ids(m, 'other=3 key=2')).toEqual(['two', 'three']);
    expect(ids(m, 'free7')).toEqual(['free']);
    expect(ids(m, '')).toEqual([]);
  });

  it('skips the rules named in skip', () => {
    const m = new RuleMatcher([rule('a', 'aa'), rule('b', 'bb')]);
    expect(m.match('aa bb', { skip: new Set(['a']) }).map((h) => h.rule.id)).toEqual(['b']);
  });

  it('a matcher without rules, or whose rules need no variant of the text, finds nothing', () => {
    expect(new RuleMatcher([]).match('anything')).toEqual([]);
    expect(new RuleMatcher([]).test('anything')).toBe(false);
  });
});

describe('RuleMatcher: variants', () => {
  const raw = rule('raw-only', 'ignore', { variants: ['raw'] });
  const norm = rule('norm-only', 'ignore', { variants: ['normalized'] });
  const leet = rule('leet-only', 'ignore', { variants: ['leet'] });
  const compact = rule('compact-only', 'ignore', { variants: ['compact'] });

  it('each rule sees only its variants, and a hit says which transform made it', () => {
    const m = new RuleMatcher([raw, norm, leet, compact]);
    const hit = (text: string): Array<[string, string, string | undefined]> => m.match(text).map((h) => [h.rule.id, h.variant, h.transform]);
    // Plain ASCII: every variant is the raw text, scanned once, with no transform.
    expect(hit('ignore')).toEqual([
      ['raw-only', 'raw', undefined],
      ['norm-only', 'raw', undefined],
      ['leet-only', 'raw', undefined],
      ['compact-only', 'raw', undefined],
    ]);
    expect(hit('ｉｇｎｏｒｅ')).toEqual([
      ['norm-only', 'normalized', 'normalized'],
      ['leet-only', 'normalized', 'normalized'],
      ['compact-only', 'normalized', 'normalized'],
    ]);
    expect(hit('1gn0r3')).toEqual([['leet-only', 'leet', 'leet']]);
    expect(hit('i g n o r e')).toEqual([['compact-only', 'compact', 'compact']]);
  });

  it('a rule found in an earlier variant is not reported again from a later one', () => {
    const both = rule('both', 'ignore', { variants: ['raw', 'normalized'] });
    const m = new RuleMatcher([both]);
    expect(m.match('ignore ｉｇｎｏｒｅ').map((h) => [h.variant, h.start])).toEqual([['raw', 0]]);
    expect(m.match('ｉｇｎｏｒｅ').map((h) => h.variant)).toEqual(['normalized']);
  });

  it('test() looks at every distinct variant text', () => {
    const m = new RuleMatcher([leet]);
    expect(m.test('1gn0r3')).toBe(true);
    expect(m.test(new TextVariants('1gn0r3'))).toBe(true);
    expect(m.test('ignorant')).toBe(false);
  });
});

describe('RuleMatcher: spans, validators, placeholders', () => {
  it('reports the span and a masked preview; with a secret group, only the group', () => {
    const m = new RuleMatcher([rule('kv', 'key=(?P<secret>[A-Za-z0-9]{12})')]);
    const [h] = m.match('x key=Zq8Rw2Lm5Vx9 y');
    expect(h).toMatchObject({ start: 6, end: 18, matched: 'Zq8Rw2Lm5Vx9', masked: maskSecret('Zq8Rw2Lm5Vx9') });
    const plain = new RuleMatcher([rule('p', 'ab+')]).match('xxabbb');
    expect(plain.map((x) => [x.start, x.end, x.matched])).toEqual([[2, 6, 'abbb']]);
  });

  it('first hit per rule by default, every hit when asked', () => {
    const m = new RuleMatcher([rule('d', '[0-9]+')]);
    expect(m.match('1 22 333').map((h) => h.matched)).toEqual(['1']);
    expect(m.match('1 22 333', { firstPerRule: false }).map((h) => h.matched)).toEqual(['1', '22', '333']);
  });

  it('an empty match does not loop', () => {
    const m = new RuleMatcher([rule('e', 'z*')]);
    expect(m.find('abc', { firstPerRule: false }).hits.length).toBeGreaterThan(0);
  });

  it('DLP matches are judged by their validator (on the secret, or on the whole match for generic-secret) and placeholders are dropped', () => {
    const card = rule('card', '\\b[0-9]{16}\\b', { category: 'dlp', validator: 'luhn' });
    const m = new RuleMatcher([card]);
    expect(ids(m, '4539578763621486')).toEqual(['card']);
    expect(ids(m, '4539578763621487')).toEqual([]);
    const token = rule('tok', 'tok_(?P<secret>[A-Za-z0-9]{20})', { category: 'dlp' });
    expect(ids(new RuleMatcher([token]), 'tok_Zq8Rw2Lm5Vx9Kp3Ny7Bt')).toEqual(['tok']);
    expect(ids(new RuleMatcher([token]), 'tok_xxxxxxxxxxxxxxxxxxxx')).toEqual([]);
    // A later real token after rejected ones is still found.
    expect(new RuleMatcher([card]).match('4539578763621487 4539578763621486').map((h) => h.matched)).toEqual(['4539578763621486']);
  });

  it('a validator judges the secret group, not the whole match (except generic-secret and password)', () => {
    const card = rule('kcard', 'card=(?P<secret>[0-9]{16})', { category: 'dlp', validator: 'luhn' });
    expect(new RuleMatcher([card]).match('card=4539578763621486').map((h) => h.matched)).toEqual(['4539578763621486']);
  });

  it('a rule whose raw matches were all rejected is still tried on the normalised text', () => {
    const card = rule('ncard', '\\b[0-9]{16}\\b', { category: 'dlp', validator: 'luhn', variants: ['raw', 'normalized'] });
    const wide = [...'4539578763621486'].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    expect(new RuleMatcher([card]).match(`4539578763621487 ${wide}`).map((h) => [h.variant, h.matched])).toEqual([['normalized', '4539578763621486']]);
  });

  it('an empty text has no hits, even for a rule that matches the empty string', () => {
    expect(new RuleMatcher([rule('e', 'z*')]).match('')).toEqual([]);
  });

  it('a validator on an injection or poisoning rule applies too; placeholders do not', () => {
    const m = new RuleMatcher([rule('inj-card', '\\b[0-9]{16}\\b', { validator: 'luhn' })]);
    expect(ids(m, '4539578763621487')).toEqual([]);
    expect(ids(m, '4539578763621486')).toEqual(['inj-card']);
    expect(ids(new RuleMatcher([rule('inj-x', 'x{20}')]), 'xxxxxxxxxxxxxxxxxxxx')).toEqual(['inj-x']);
  });

  it('generic-secret judges the whole match (key and value), not only the secret group', () => {
    const g = rule('gen', '(?i)password\\s*=\\s*(?P<secret>\\S+)', { category: 'dlp', validator: 'generic-secret' });
    const hits = new RuleMatcher([g]).match('password = Zq8Rw2Lm5Vx9Kp3N');
    expect(hits.map((h) => h.matched)).toEqual(['Zq8Rw2Lm5Vx9Kp3N']);
  });
});

describe('RuleMatcher: caps', () => {
  const digits = rule('d', '\\b[0-9]{3}\\b');

  it(`keeps ${MAX_HITS_PER_RULE} hits per rule and text, and marks the rule limited only when more follow`, () => {
    const m = new RuleMatcher([digits]);
    const at = (n: number): string => Array.from({ length: n }, () => '123').join(' ');
    const full = m.find(at(MAX_HITS_PER_RULE), { firstPerRule: false });
    expect(full.hits).toHaveLength(MAX_HITS_PER_RULE);
    expect(full.limited).toEqual([]);
    const over = m.find(at(MAX_HITS_PER_RULE + 1), { firstPerRule: false });
    expect(over.hits).toHaveLength(MAX_HITS_PER_RULE);
    expect(over.limited.map((r) => r.id)).toEqual(['d']);
  });

  it(`stops after ${MAX_REJECTED_PER_RULE} rejected matches and marks the rule limited, so decoys cannot hide a real one unseen`, () => {
    const card = rule('card', '\\b[0-9]{16}\\b', { category: 'dlp', validator: 'luhn' });
    const m = new RuleMatcher([card]);
    const decoys = (n: number): string => Array(n).fill('4539578763621487').join(' ');
    const below = m.find(`${decoys(MAX_REJECTED_PER_RULE)} 4539578763621486`);
    expect(below.hits.map((h) => h.matched)).toEqual([]);
    expect(below.limited.map((r) => r.id)).toEqual(['card']);
    const within = m.find(`${decoys(MAX_REJECTED_PER_RULE - 1)} 4539578763621486`);
    expect(within.hits.map((h) => h.matched)).toEqual(['4539578763621486']);
    expect(within.limited).toEqual([]);
    // A rule is listed once however many variants stopped at a cap.
    const twice = new RuleMatcher([{ ...card, variants: ['raw', 'normalized'] }]).find(`${decoys(MAX_REJECTED_PER_RULE + 1)} é`);
    expect(twice.limited).toHaveLength(1);
  });

  it('the regex state is reset between texts', () => {
    const m = new RuleMatcher([digits]);
    expect(m.match('123 456').map((h) => h.matched)).toEqual(['123']);
    expect(m.match('789').map((h) => h.matched)).toEqual(['789']);
  });
});

describe('normalize', () => {
  it('leaves printable ASCII (with tab, LF, CR) as it is', () => {
    const s = 'plain\ttext\r\nhere ~';
    expect(normalizeText(s)).toBe(s);
  });

  it('removes invisible characters, decodes tag characters, applies NFKC, drops marks and folds confusables', () => {
    expect(normalizeText('ig\u200bn\u00adore\u2066 \ufeffall\u0007')).toBe('ignore all');
    expect(normalizeText('\u202eevil\u202c')).toBe('evil');
    expect(normalizeText('x\udb40\udc69\udb40\udc67y')).toBe('xigy');
    expect(normalizeText('\udb40\udc01tag\udb40\udc7f')).toBe('tag');
    expect(normalizeText('ｉｇｎｏｒｅ ①')).toBe('ignore 1');
    expect(normalizeText('e\u0301te\u0300')).toBe('ete');
    expect(normalizeText('іgnоrе')).toBe('ignore');
    expect(normalizeText('\u{1D42D}\u{1D41E}\u{1D431}\u{1D42D}')).toBe('text');
    expect(normalizeText('a\ufe0fb\u180ec\u034fd')).toBe('abcd');
  });

  it('removes every invisible range at both ends, and keeps the characters just outside them', () => {
    const removed = [
      0x00, 0x08, 0x0b, 0x0c, 0x0e, 0x1f, 0x7f, 0x9f, 0xad, 0x34f, 0x61c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e,
      0x200b, 0x200f, 0x202a, 0x202e, 0x2060, 0x206f, 0x3164, 0xfe00, 0xfe0f, 0xfeff, 0xffa0,
    ];
    for (const cp of removed) expect(normalizeText(`a${String.fromCodePoint(cp)}b`), cp.toString(16)).toBe('ab');
    for (const cp of [0xe0000, 0xe001f, 0xe007f, 0xe01ef]) expect(normalizeText(`a${String.fromCodePoint(cp)}b`), cp.toString(16)).toBe('ab');
    // Tab, LF and CR stay; so do letters next to the ranges.
    expect(normalizeText('a\t\n\rb\u00e9')).toBe('a\t\n\rbe');
    for (const cp of [0x1a0, 0x200a, 0x2010, 0x2030, 0xfe10, 0xe01f0]) expect(normalizeText(`a${String.fromCodePoint(cp)}b`), cp.toString(16)).not.toBe('ab');
  });

  it('decodes each tag character to its ASCII twin', () => {
    const tagged = [...'Hi ~'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    expect(normalizeText(`x${tagged}y`)).toBe('xHi ~y');
    expect(normalizeText(String.fromCodePoint(0xe0020, 0xe007e))).toBe(' ~');
  });

  it('keeps characters with no ASCII look-alike, and the text around them', () => {
    expect(normalizeText('日本 ignore')).toBe('日本 ignore');
    expect(normalizeText('ignore 🚀 all')).toBe('ignore 🚀 all');
  });

  it('charges the frame budget for normalising and for NFKC growth, in chunks for long text', () => {
    beginFrame(100);
    try {
      expect(() => normalizeText('é'.repeat(101))).toThrow(/normalisation/);
    } finally {
      endFrame();
    }
    beginFrame(100);
    try {
      expect(normalizeText('é'.repeat(50))).toBe('e'.repeat(50));
      expect(() => normalizeText('\uFDFA'.repeat(10))).toThrow(/normalisation/);
    } finally {
      endFrame();
    }
    const long = `${'ﬁ'.repeat(70_000)}a`;
    expect(normalizeText(long)).toBe(`${'fi'.repeat(70_000)}a`);
    beginFrame(100_000);
    try {
      expect(() => normalizeText(long)).toThrow(/normalisation/);
    } finally {
      endFrame();
    }
    // Outside a frame nothing is counted.
    expect(normalizeText('\uFDFA'.repeat(10)).length).toBeGreaterThan(100);
  });

  it('foldLeet and compactText', () => {
    expect(foldLeet('1gn0r3 4ll pr3v10u5 1n5truct10n5 @$!|+78 9')).toBe('ignore all previous instructions asilttb g');
    expect(compactText('i g-n_o.r\te\n')).toBe('ignore');
  });

  it('TextVariants builds each variant only when it differs, and labels only real transforms', () => {
    const ascii = new TextVariants('plain words');
    for (const v of ['raw', 'normalized', 'leet', 'compact'] as const) {
      expect(ascii.get(v)).toBe('plain words');
      expect(ascii.transform(v)).toBeUndefined();
    }
    const leet = new TextVariants('1gn0r3 it');
    expect(leet.get('leet')).toBe('ignore it');
    expect(leet.transform('leet')).toBe('leet');
    expect(leet.get('compact')).toBe('1gn0r3 it');
    const spaced = new TextVariants('i g n o r e');
    expect(spaced.get('compact')).toBe('ignore');
    expect(spaced.transform('compact')).toBe('compact');
    expect(spaced.get('leet')).toBe('i g n o r e');
    const wide = new TextVariants('ｉ ｇ ｎ ｏ ｒ ｅ 1gn0r3');
    expect(wide.get('normalized')).toBe('i g n o r e 1gn0r3');
    expect(wide.transform('normalized')).toBe('normalized');
    expect(wide.get('leet')).toBe('i g n o r e ignore');
    expect(wide.get('compact')).toBe('ignore1gn0r3');
    expect(new TextVariants('ｗｏｒｄ').get('compact')).toBe('word');
    expect(new TextVariants('ｗｏｒｄ').get('leet')).toBe('word');
    expect(new TextVariants('ｗ0ｒｄ').get('leet')).toBe('word');
  });

  it('replaces lone surrogates, keeping offsets', () => {
    const tv = new TextVariants('a\ud800b');
    expect(tv.raw).toBe('a\ufffdb');
    expect(tv.raw.length).toBe(3);
  });

  it('knows when a decoder could apply', () => {
    expect(new TextVariants('plain words').mayDecode()).toBe(false);
    expect(new TextVariants(Buffer.from('a fairly long base64 payload here').toString('base64')).mayDecode()).toBe(true);
  });

  it('bytes() gives the UTF-8 of a variant, one buffer per distinct text', () => {
    const tv = new TextVariants('ｉ');
    expect(tv.bytes('raw').toString('utf8')).toBe('ｉ');
    expect(tv.bytes('normalized').toString('utf8')).toBe('i');
    expect(tv.bytes('leet')).toBe(tv.bytes('normalized'));
  });
});
