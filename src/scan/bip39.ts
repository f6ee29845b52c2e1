/**
 * BIP-39 mnemonic seed phrases: a run of 12, 15, 18, 21 or 24 words of the
 * official English wordlist whose last bits are the SHA-256 checksum of the rest
 * (BIP-39, "Generating the mnemonic":
 * https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki#generating-the-mnemonic).
 * Each word is 11 bits; of the 11·n bits, n/3 are checksum, so a random run of
 * 12 list words passes 1 time in 16, and of 24 words 1 time in 256.
 *
 * The wordlist comes from `@scure/bip39` (audited, maintained, the list of
 * `bip-0039/english.txt`).
 */
import { createHash } from 'node:crypto';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { spendChecksum } from './budget.js';

/** Mnemonic lengths BIP-39 defines, in words, longest first. */
export const MNEMONIC_LENGTHS = [24, 21, 18, 15, 12] as const;

/**
 * Words of one run of list words checked at most. Past it the validator accepts
 * (fails closed): natural text never holds hundreds of list words in a row, and
 * a hostile one must not buy a long checksum search or hide a phrase at its end.
 * Across a frame, checksums are also bounded by budget.ts (`scan-limit-checksum`).
 */
export const MAX_RUN_WORDS = 256;

let index: Map<string, number> | undefined;
/** Word → its 11-bit index in the English list (built on first use). */
function wordIndex(): Map<string, number> {
  return (index ??= new Map(wordlist.map((w, i) => [w, i])));
}

/**
 * True when the `n` word indices at `at` in `ids` carry a valid BIP-39 checksum.
 * @throws ScanLimitError (budget.ts) when the frame's checksum budget is used up
 */
export function checksumValid(ids: readonly number[], at: number, n: number): boolean {
  spendChecksum();
  const bits = n * 11;
  const csBits = n / 3;
  const entBytes = (bits - csBits) / 8;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  for (let k = 0; k < n; k++) {
    const v = ids[at + k] as number;
    for (let b = 0; b < 11; b++) {
      if ((v >> (10 - b)) & 1) {
        const pos = k * 11 + b;
        out[pos >> 3] = (out[pos >> 3] as number) | (0x80 >> (pos & 7));
      }
    }
  }
  const hash = createHash('sha256').update(out.subarray(0, entBytes)).digest();
  // The checksum is the first csBits (4…8) bits of the hash, stored right after the entropy.
  const stored = (out[entBytes] as number) >> (8 - csBits);
  return stored === (hash[0] as number) >> (8 - csBits);
}

/**
 * True when `text` holds a BIP-39 mnemonic: some 12, 15, 18, 21 or 24
 * consecutive words (lower-case letters; numbering, commas and other words
 * between them break a run) that are all in the English list and checksum-valid.
 * Every window of a longer run is tried, so a phrase next to other list words
 * (`wallet abandon …`) is found; the price is that a long run of random list
 * words often holds a valid window (24 random words: about 73 %), which natural
 * text does not have. A run longer than {@link MAX_RUN_WORDS} list words is
 * accepted unchecked.
 */
export function bip39Mnemonic(text: string): boolean {
  const map = wordIndex();
  let run: number[] = [];
  const check = (): boolean => {
    if (run.length > MAX_RUN_WORDS) return true;
    for (const n of MNEMONIC_LENGTHS) {
      for (let at = 0; at + n <= run.length; at++) if (checksumValid(run, at, n)) return true;
    }
    return false;
  };
  // An escaped line break (`\n` in JSON or code text) separates words like a real one.
  for (const m of text.replace(/\\[nrt]/g, ' ').matchAll(/[a-z]+|\d+/g)) {
    const id = map.get(m[0]);
    // A number between words is list numbering (`1. abandon 2. ability`): it neither counts nor breaks the run.
    if (/^\d/.test(m[0])) continue;
    if (id !== undefined) {
      run.push(id);
      continue;
    }
    if (run.length >= 12 && check()) return true;
    run = [];
  }
  return run.length >= 12 && check();
}
