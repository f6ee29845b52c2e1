/**
 * Which of a fixed list of literal keywords occur in a text, case-insensitively,
 * in one pass (an Aho–Corasick automaton over UTF-16 code units).
 *
 * This replaced an `RE2.Set` of the keywords: RE2 runs a set in many-match
 * mode, where every pattern that has matched stays live in the DFA state, so a
 * document that names hundreds of keywords (a README, source code) builds
 * hundreds of state families, overflows the DFA's 8 MB budget and rebuilds it
 * on every pass: 2–8 ms per 40 KB where a warm pass takes 0.2 ms. The automaton
 * costs the same few ns per character whatever the text holds.
 *
 * Case folding is per code unit: a unit and its keyword letter match when
 * `lower(upper(c))` agrees (so `K`, `k` and the Kelvin sign are one letter, as
 * `ſ` and `s` are), the simple case folding RE2's `(?i)` uses for these scripts.
 */

let FOLD: Uint16Array | undefined;

/** Code unit → its case-folded unit (built once, about 65k lookups). */
function foldTable(): Uint16Array {
  if (FOLD !== undefined) return FOLD;
  const t = new Uint16Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c < 0xe000) {
      t[c] = c;
      continue;
    }
    const s = String.fromCharCode(c);
    const up = s.toUpperCase();
    const folded = up.length === 1 ? up.toLowerCase() : s.toLowerCase();
    t[c] = folded.length === 1 ? folded.charCodeAt(0) : c;
  }
  return (FOLD = t);
}

/** A compiled keyword list. */
export class KeywordAutomaton {
  readonly size: number;
  /** Code unit → input class (0: in no keyword). */
  readonly #cls: Uint16Array;
  readonly #classes: number;
  /** Transition table: `delta[state * classes + class]`. */
  readonly #delta: Int32Array;
  /** Per state, the keyword ids that end there (own and via failure links): `#outIds[#outStart[s] .. #outStart[s + 1]]`. */
  readonly #outStart: Int32Array;
  readonly #outIds: Int32Array;

  /** @param keywords literal keywords; matched case-insensitively, ids are their indices */
  constructor(keywords: readonly string[]) {
    this.size = keywords.length;
    const fold = foldTable();
    const classOf = new Map<number, number>();
    const folded = keywords.map((k) => Array.from(k, (_c, i) => fold[k.charCodeAt(i)] as number));
    for (const units of folded) for (const u of units) if (!classOf.has(u)) classOf.set(u, classOf.size + 1);
    const classes = classOf.size + 1;
    const cls = new Uint16Array(0x10000);
    for (let c = 0; c < 0x10000; c++) cls[c] = classOf.get(fold[c] as number) ?? 0;
    // Trie.
    const next: Int32Array[] = [new Int32Array(classes).fill(-1)];
    const own: number[][] = [[]];
    folded.forEach((units, id) => {
      if (units.length === 0) return;
      let s = 0;
      for (const u of units) {
        const c = classOf.get(u) as number;
        let t = next[s]?.[c] ?? -1;
        if (t === -1) {
          t = next.push(new Int32Array(classes).fill(-1)) - 1;
          own.push([]);
          (next[s] as Int32Array)[c] = t;
        }
        s = t;
      }
      own[s]?.push(id);
    });
    // Failure links, breadth first, folded into a full transition table.
    const n = next.length;
    const delta = new Int32Array(n * classes);
    const fail = new Int32Array(n);
    const out: number[][] = own.map((o) => [...o]);
    const queue: number[] = [];
    for (let c = 1; c < classes; c++) {
      const t = next[0]?.[c] ?? -1;
      delta[c] = t === -1 ? 0 : t;
      if (t !== -1) queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q] as number;
      out[s]?.push(...(out[fail[s] as number] ?? []));
      for (let c = 1; c < classes; c++) {
        const t = next[s]?.[c] ?? -1;
        const viaFail = delta[(fail[s] as number) * classes + c] as number;
        if (t === -1) delta[s * classes + c] = viaFail;
        else {
          fail[t] = viaFail;
          delta[s * classes + c] = t;
          queue.push(t);
        }
      }
    }
    this.#outStart = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) this.#outStart[s + 1] = (this.#outStart[s] as number) + (out[s]?.length ?? 0);
    this.#outIds = new Int32Array(out.flat());
    this.#cls = cls;
    this.#classes = classes;
    this.#delta = delta;
  }

  /**
   * Ids of the keywords that occur in `text` (ascending). Linear in the text.
   * @param text any string; lone surrogates are ordinary units here
   */
  present(text: string): number[] {
    const cls = this.#cls;
    const delta = this.#delta;
    const classes = this.#classes;
    const outStart = this.#outStart;
    const outIds = this.#outIds;
    const seen = new Uint8Array(this.size);
    let found = 0;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      s = delta[s * classes + (cls[text.charCodeAt(i)] as number)] as number;
      const a = outStart[s] as number;
      const b = outStart[s + 1] as number;
      for (let j = a; j < b; j++) {
        const id = outIds[j] as number;
        if (seen[id] === 0) {
          seen[id] = 1;
          found++;
        }
      }
      if (found === this.size) break;
    }
    const ids: number[] = [];
    for (let id = 0; id < seen.length; id++) if (seen[id] === 1) ids.push(id);
    return ids;
  }
}
