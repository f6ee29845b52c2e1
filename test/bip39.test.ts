/**
 * BIP-39 mnemonic seed phrases (src/scan/bip39.ts, rule `bip39-mnemonic`):
 * the checksum validator against BIP-39's own vectors and against
 * `@scure/bip39` as an oracle, and the rule through the matcher on a fixed,
 * seeded set of random phrases (a random run of 12 list words fails the
 * checksum 15 times in 16, and must then not match).
 */
import { describe, expect, it } from 'vitest';
import { entropyToMnemonic, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { bip39Mnemonic, MAX_RUN_WORDS } from '../src/scan/bip39.js';
import { loadRulePacks } from '../src/scan/rule-pack.js';
import { RuleMatcher } from '../src/scan/matcher.js';
import { ScanChain } from '../src/scan/chain.js';
import { normalizeConfig } from '../src/config/normalize.js';

const rule = loadRulePacks().find((r) => r.id === 'bip39-mnemonic');
if (rule === undefined) throw new Error('rules/dlp.yaml has no bip39-mnemonic rule');
const matcher = new RuleMatcher([rule]);
const hits = (text: string): number => matcher.match(text).length;

/** Seeded PRNG (mulberry32), so the random phrases are the same on every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(0xb1739);
const randomWords = (n: number): string => Array.from({ length: n }, () => wordlist[Math.floor(rnd() * 2048)]).join(' ');
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));

describe('bip39Mnemonic (checksum validator)', () => {
  it.each([
    // BIP-39 test vectors (trezor/python-mnemonic vectors.json), entropy 00…, 7f…, 80…, ff…
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    'legal winner thank year wave sausage worth useful legal winner thank yellow',
    'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
    'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
    `${'abandon '.repeat(23)}art`,
    `${'zoo '.repeat(23)}vote`,
  ])('accepts the BIP-39 vector %s', (m) => {
    expect(bip39Mnemonic(m)).toBe(true);
  });

  it('accepts every length BIP-39 defines (128–256 bits of entropy), alone or among other words', () => {
    for (const bytes of [16, 20, 24, 28, 32]) {
      const m = entropyToMnemonic(randomBytes(bytes), wordlist);
      expect(bip39Mnemonic(m), `${bytes * 8} bits`).toBe(true);
      expect(bip39Mnemonic(`My wallet words are: ${m}. Keep them safe.`)).toBe(true);
      // Other list words before and after it do not hide it.
      expect(bip39Mnemonic(`${randomWords(5)} ${m} ${randomWords(7)}`)).toBe(true);
    }
  });

  it('agrees with @scure/bip39 on 1000 seeded random 12-word runs (about 1 in 16 pass) and accepts 300 valid 24-word phrases', () => {
    let valid12 = 0;
    for (let i = 0; i < 1000; i++) {
      const m12 = randomWords(12);
      const ok = validateMnemonic(m12, wordlist);
      expect(bip39Mnemonic(m12), m12).toBe(ok);
      if (ok) valid12++;
    }
    // Binomial(1000, 1/16): mean 62.5, sd 7.7; bounds at about ±4 sd.
    expect(valid12).toBeGreaterThan(32);
    expect(valid12).toBeLessThan(94);
    for (let i = 0; i < 300; i++) {
      const m24 = entropyToMnemonic(randomBytes(32), wordlist);
      expect(bip39Mnemonic(m24), m24).toBe(true);
    }
  });

  it('a run longer than a mnemonic passes when any 12…24-word window of it does (so a phrase among other list words is found)', () => {
    // The price: of 24 random list words, some window passes about 73 % of the time
    // (1 − (15/16)^13 (31/32)^10 (63/64)^7 (127/128)^4 (255/256)). Natural text has no
    // such runs; a list of them is treated as a seed.
    const m = entropyToMnemonic(randomBytes(16), wordlist);
    expect(bip39Mnemonic(`wallet ${m} zoo zoo`)).toBe(true);
    let passed = 0;
    for (let i = 0; i < 200; i++) if (bip39Mnemonic(randomWords(24))) passed++;
    expect(passed).toBeGreaterThan(120);
    expect(passed).toBeLessThan(175);
  });

  it('rejects a word off the list, a flipped last word, and 11 or 13 words that hold no mnemonic', () => {
    const m = entropyToMnemonic(randomBytes(16), wordlist).split(' ');
    const flipped = [...m.slice(0, 11), wordlist[(wordlist.indexOf(m[11] as string) + 1) % 2048]].join(' ');
    expect(validateMnemonic(flipped, wordlist)).toBe(false);
    expect(bip39Mnemonic(flipped)).toBe(false);
    expect(bip39Mnemonic([...m.slice(0, 5), 'bitcoin', ...m.slice(6)].join(' '))).toBe(false);
    expect(bip39Mnemonic(m.slice(0, 11).join(' '))).toBe(false);
  });

  it(`fails closed on a run of more than ${MAX_RUN_WORDS} list words (no checksum search)`, () => {
    expect(bip39Mnemonic(Array.from({ length: MAX_RUN_WORDS + 1 }, () => 'abandon').join(' '))).toBe(true);
  });
});

describe('rule bip39-mnemonic', () => {
  it('a fixed seeded set of 400 random 12-word phrases: exactly the checksum-valid ones match', () => {
    let matched = 0;
    let valid = 0;
    for (let i = 0; i < 400; i++) {
      const phrase = randomWords(12);
      const ok = validateMnemonic(phrase, wordlist);
      if (ok) valid++;
      const n = hits(`backup: ${phrase}`);
      expect(n > 0, phrase).toBe(ok);
      if (n > 0) matched++;
    }
    expect(matched).toBe(valid);
    expect(valid).toBeLessThan(400 / 8); // 1 in 16 expected: most random phrases must not match
  });

  it('matches a phrase written one word per line, numbered, or comma-separated', () => {
    const m = entropyToMnemonic(randomBytes(32), wordlist).split(' ');
    expect(hits(m.join('\n'))).toBe(1);
    expect(hits(m.map((w, i) => `${i + 1}. ${w}`).join(' '))).toBe(1);
    expect(hits(m.join(', '))).toBe(1);
  });

  it('does not match ordinary prose made of list words', () => {
    expect(hits('please review these pending changes before merging them into main since tests still fail today')).toBe(0);
    expect(hits('the quick brown fox jumps over the lazy dog again and again until the end of time')).toBe(0);
  });
});

describe('checksum budget', () => {
  it('a frame of many long runs with no valid window fails closed with scan-limit-checksum, in bounded time', () => {
    const chain = new ScanChain({ config: normalizeConfig({}), rules: loadRulePacks(), env: {} });
    // `abandon` × n is never valid (all-zero entropy needs `about`/`art`/…), so every window is computed.
    const run = Array.from({ length: 200 }, () => 'abandon').join(' ');
    const text = Array.from({ length: 100 }, () => run).join(' xyzzy ');
    const v = chain.evaluate({ direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { text } } } });
    expect(v.action).toBe('block');
    expect(v.findings).toContainEqual(expect.objectContaining({ rule: 'scan-limit-checksum', category: 'protocol' }));
    // One such run alone is checked and passes as clean.
    const one = chain.evaluate({ direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { text: run } } } });
    expect(one.action).toBe('allow');
  });
});

describe('documented mnemonics', () => {
  const chain = new ScanChain({ config: normalizeConfig({}), rules: loadRulePacks(), env: {} });
  const verdict = (text: string): ReturnType<ScanChain['evaluate']> =>
    chain.evaluate({ direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { seed: text } } } });

  it.each([
    ['BIP-39 test vector 1', 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'],
    ['Hardhat / Foundry default', 'test test test test test test test test test test test junk'],
  ])('%s warns (documented example), a real phrase blocks', (_name, text) => {
    expect(bip39Mnemonic(text)).toBe(true);
    const v = verdict(`mnemonic: ${text}`);
    expect(v.action).toBe('warn');
    expect(v.findings).toEqual([expect.objectContaining({ rule: 'bip39-mnemonic', documented: true })]);
    expect(verdict(`mnemonic: ${entropyToMnemonic(randomBytes(16), wordlist)}`).action).toBe('block');
  });
});
