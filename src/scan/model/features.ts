/**
 * Features of the learned scorers (prompt injection, tool poisoning), computed
 * in one pass over the normalised text (normalize.ts: NFKC, invisibles removed,
 * confusables folded), so that scoring a clean 1 KB text costs a few µs.
 *
 * The text is cut into **chunks** at line and sentence ends (at least
 * {@link CHUNK_MIN} UTF-16 units each, at most about {@link CHUNK_MAX}); a text's
 * score is its best chunk's. An injection is one sentence in a long tool output:
 * scored over the whole output, it would be diluted by the benign text around it.
 *
 * Per chunk, every feature occurrence adds its weight; the chunk's logit is
 * `bias + Σ weight / √n` (n occurrences), i.e. counts scaled to about unit L2 norm.
 * - **Words** (runs of ASCII letters and digits, and letters of other scripts; each
 *   CJK ideograph or kana is a word of its own, as CJK has no spaces), lower-cased,
 *   digits folded to `0`: unigrams and bigrams within the chunk, FNV-1a hashed.
 * - **Character 3-, 4- and 5-grams** over a 64-symbol alphabet (a–z, one digit
 *   symbol, 35 buckets for other characters, one separator for any run of
 *   punctuation or space), packed 6 bits a symbol, so a 5-gram is an exact 30-bit code.
 *   They catch typos, inflections and words glued together ("everthing", "ignoreall").
 * - Both kinds share one table of `2^bits` weights (multiplicative hashing, one
 *   odd multiplier per kind).
 * - **Structural features**: {@link STRUCTURAL}, each with its own weight.
 */

/** Shortest chunk (UTF-16 units) that a line or sentence end closes. */
export const CHUNK_MIN = 64;
/** A chunk this long closes at the next whitespace; at twice this length, anywhere. */
export const CHUNK_MAX = 512;

/**
 * Structural features and why each one is there. Word lists are in {@link LEXICON}.
 * Each is counted per occurrence, like a word.
 */
export const STRUCTURAL = [
  /** A sentence that opens with an imperative verb ("Ignore…", "Send…", "Call…"): an instruction, not data. */
  'imperative-start',
  /** A word that addresses the model: you, assistant, AI, agent, model… Data rarely talks to its reader's AI. */
  'model-address',
  /** The model addressed with an obligation ("you must", "assistant should", "you are now"). */
  'model-obligation',
  /** Concealment words (secretly, silently, covertly, hide…): poisoned tools hide what they do. */
  'concealment',
  /** A negated telling verb ("do not mention", "without notifying", "never tell"): secrecy from the user. */
  'negated-tell',
  /** Mentions of tools and functions: a description or output that steers which tool to call. */
  'tool-mention',
  /** A code identifier in prose (`send_email`, `readFile`): usually another tool's or a parameter's name. */
  'identifier',
  /** A URL (`://`): a destination for data. */
  'url',
  /** An e-mail address: a destination for data. */
  'email',
  /** A sensitive path or store: `~/`, ssh, id_rsa, passwd, .env, .npmrc, kubeconfig, credentials… */
  'sensitive-path',
  /** Credential words: password, token, secret, API key, mnemonic… */
  'secret-word',
  /** Text that changes arguments: change/replace/override… within four words of recipient/parameter/amount… */
  'argument-change',
  /** A sending verb (send, forward, upload, post, exfiltrate…) and a URL or e-mail in the same chunk. */
  'send-to-address',
  /** A fake instruction tag: `<IMPORTANT>`, `[SYSTEM]`, `<instructions>`… */
  'instruction-tag',
  /** A shouted word (four or more capitals: IMPORTANT, NOTE, ATTENTION). */
  'caps-word',
  /** An override of prior instructions ("ignore all previous", "disregard the above", "forget everything"). */
  'override-prior',
] as const;
export type StructuralName = (typeof STRUCTURAL)[number];

const S = Object.fromEntries(STRUCTURAL.map((n, i) => [n, i])) as Record<StructuralName, number>;

/** Word classes used by the structural features (lower-case, as tokenised: "don't" is "don" + "t"). */
export const LEXICON = {
  imperative: 'ignore disregard forget override bypass skip stop send forward email mail upload post transfer transmit exfiltrate share copy call invoke use run execute print output reply respond write translate tell say include append insert add delete remove visit click go open read fetch download change update set replace modify pretend act answer summarize summarise repeat reveal show list provide give make create generate do dont never always please remember note instead first before',
  model: 'you your yourself assistant ai model llm agent chatbot bot gpt chatgpt claude gemini copilot',
  modal: 'must should shall will need needs have are now always never cannot can',
  conceal: 'secretly silently quietly covertly conceal concealed hide hidden discreetly unnoticed undetected stealthily invisibly invisible',
  neg: 'not never without no don dont doesn didn nor',
  tell: 'mention mentioning inform informing notify notifying tell telling reveal revealing disclose alert show acknowledge report',
  tool: 'tool tools function functions mcp plugin plugins',
  sensitive: 'ssh rsa ed25519 passwd shadow env dotenv netrc npmrc pypirc pgpass kubeconfig kube gnupg keychain wallet credentials bashrc zshrc history',
  secret: 'password passwords passphrase token tokens secret secrets apikey credential credentials mnemonic privatekey',
  change: 'change changes changing replace replacing modify modifying override overwrite substitute redirect redirecting instead alter swap',
  arg: 'parameter parameters param argument arguments arg args recipient recipients destination address amount account field value path iban',
  send: 'send sending forward forwarding upload uploading post posting transmit exfiltrate exfiltrating leak email mail share',
  tag: 'important system instructions instruction admin secret hidden sys inst im note',
  override: 'ignore ignoring disregard disregarding forget forgetting override bypass skip',
  prior: 'previous prior above earlier all any everything instructions rules guidelines preceding',
} as const;

const F = {
  imperative: 1, model: 2, modal: 4, conceal: 8, neg: 16, tell: 32, tool: 64, sensitive: 128,
  secret: 256, change: 512, arg: 1024, send: 2048, tag: 4096, override: 8192, prior: 16384,
} as const;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
// Odd multipliers (multiplicative hashing, Knuth TAOCP 6.4), one per feature kind.
const M_UNI = 0x9e3779b1;
const M_BI = 0x85ebca6b;
const M_3 = 0xc2b2ae35;
const M_4 = 0x27d4eb2f;
const M_5 = 0x165667b1;
const M_PAIR = 0x2545f491;

/**
 * Word hashes are cut to 30 bits: V8 keeps such integers unboxed (Smi) when they
 * are passed to a function or stored in an object; larger ones are allocated.
 */
const SMI = 0x3fffffff;

/** FNV-1a (30 bits) of a lower-case word as the scanner folds it (digits as `0`). */
export function wordHash(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) {
    let c = word.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c >= 48 && c <= 57) c = 48;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h & SMI;
}

const LEX_BITS = 14;
const lexHash = new Int32Array(1 << LEX_BITS);
const lexFlags = new Uint16Array(1 << LEX_BITS);
for (const [cls, words] of Object.entries(LEXICON)) {
  for (const w of words.split(' ')) {
    const h = wordHash(w);
    let slot = Math.imul(h, M_UNI) >>> (32 - LEX_BITS);
    // Linear probing; the table is < 2 % full.
    while (lexFlags[slot] !== 0 && lexHash[slot] !== h) slot = (slot + 1) & ((1 << LEX_BITS) - 1);
    lexHash[slot] = h;
    lexFlags[slot] = (lexFlags[slot] ?? 0) | F[cls as keyof typeof F];
  }
}

function lexiconFlags(h: number): number {
  let slot = Math.imul(h, M_UNI) >>> (32 - LEX_BITS);
  for (;;) {
    const f = lexFlags[slot] as number;
    if (f === 0) return 0;
    if (lexHash[slot] === h) return f;
    slot = (slot + 1) & ((1 << LEX_BITS) - 1);
  }
}

function isCjk(c: number): boolean {
  return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
}

/** Feature kinds as recorded by a {@link Recorder}. */
export const KIND = { word: 1, bigram: 2, char3: 3, char4: 4, char5: 5, structural: 6 } as const;

/**
 * Collects every feature occurrence and chunk, for training and for naming the
 * features behind a score. Per occurrence, four numbers go into `feats`:
 * feature index (table bucket, or `2^bits + k` for structural feature k), kind
 * ({@link KIND}), and two details: word span `[start, end)` for words and bigrams,
 * `[end offset, packed code]` for character n-grams, `[k, offset]` for structural ones.
 */
export interface Recorder {
  readonly feats: number[];
  /** Per chunk: `[start, end)` offsets in the text and the range of `feats` (in fours) it owns. */
  readonly chunks: Array<{ start: number; end: number; from: number; to: number }>;
}

/** Weights a chunk pass reads: the hashed table and the structural weights. */
export interface ChunkWeights {
  /** `2^bits` weights, shared by words, bigrams and character n-grams. */
  readonly table: Float32Array;
  /** One weight per entry of {@link STRUCTURAL}. */
  readonly structural: Float32Array;
  readonly bias: number;
  readonly bits: number;
}

/** The best chunk of a text. */
export interface BestChunk {
  /** Its logit, `bias + Σw/√n`; -Infinity for a text without features. */
  logit: number;
  start: number;
  end: number;
}

/** Per-chunk state outside the per-character hot path (kept in one object: no closures in the loop). */
class ChunkState {
  /** Sum and count of word, bigram and structural features (character n-grams are summed in the loop). */
  sum = 0;
  n = 0;
  prevWh = 0;
  hasPrev = false;
  sentStart = true;
  wordIdx = 0;
  lastModel = -9;
  lastNeg = -9;
  lastOverride = -9;
  lastChange = -9;
  lastArg = -9;
  sendSeen = false;
  addrSeen = false;
  tagOpen = false;

  reset(): void {
    this.sum = 0;
    this.n = 0;
    this.hasPrev = false;
    this.sentStart = true;
    this.wordIdx = 0;
    this.lastModel = this.lastNeg = this.lastOverride = this.lastChange = this.lastArg = -9;
    this.sendSeen = this.addrSeen = this.tagOpen = false;
  }
}

function structural(st: ChunkState, w: ChunkWeights, k: number, at: number, rec: Recorder | undefined): void {
  st.sum += w.structural[k] as number;
  st.n++;
  if (rec) rec.feats.push((1 << w.bits) + k, KIND.structural, k, at);
}

/** Structural features of one word (rare: only lexicon words and shouted words get here). */
function wordStructure(st: ChunkState, w: ChunkWeights, f: number, caps: boolean, at: number, rec: Recorder | undefined): void {
  const i = st.wordIdx;
  if (f & F.imperative && st.sentStart) structural(st, w, S['imperative-start'], at, rec);
  if (f & F.model) {
    structural(st, w, S['model-address'], at, rec);
    st.lastModel = i;
  } else if (f & F.modal && i - st.lastModel <= 2) structural(st, w, S['model-obligation'], at, rec);
  if (f & F.conceal) structural(st, w, S.concealment, at, rec);
  if (f & F.tell && i - st.lastNeg <= 2) structural(st, w, S['negated-tell'], at, rec);
  if (f & F.neg) st.lastNeg = i;
  if (f & F.tool) structural(st, w, S['tool-mention'], at, rec);
  if (f & F.sensitive) structural(st, w, S['sensitive-path'], at, rec);
  if (f & F.secret) structural(st, w, S['secret-word'], at, rec);
  if (f & F.change) {
    if (i - st.lastArg <= 4) structural(st, w, S['argument-change'], at, rec);
    st.lastChange = i;
  } else if (f & F.arg && i - st.lastChange <= 4) structural(st, w, S['argument-change'], at, rec);
  if (f & F.arg) st.lastArg = i;
  if (f & F.send) st.sendSeen = true;
  if (f & F.tag && st.tagOpen) structural(st, w, S['instruction-tag'], at, rec);
  if (f & F.override) st.lastOverride = i;
  else if (f & F.prior && i - st.lastOverride <= 3) structural(st, w, S['override-prior'], at, rec);
  if (caps) structural(st, w, S['caps-word'], at, rec);
}

function endWord(st: ChunkState, w: ChunkWeights, wh: number, start: number, end: number, caps: boolean, rec: Recorder | undefined): void {
  const shift = 32 - w.bits;
  let b = Math.imul(wh, M_UNI) >>> shift;
  st.sum += w.table[b] as number;
  st.n++;
  if (rec) rec.feats.push(b, KIND.word, start, end);
  if (st.hasPrev) {
    b = Math.imul(Math.imul(st.prevWh, M_PAIR) ^ wh, M_BI) >>> shift;
    st.sum += w.table[b] as number;
    st.n++;
    if (rec) rec.feats.push(b, KIND.bigram, start, end);
  }
  const f = lexiconFlags(wh);
  if (f !== 0 || caps) wordStructure(st, w, f, caps, start, rec);
  st.tagOpen = false;
  st.sentStart = false;
  st.prevWh = wh;
  st.hasPrev = true;
  st.wordIdx++;
}

/**
 * One pass over `text` (already normalised): score every chunk and return the best.
 * With `rec`, also record every feature and chunk (slower; for training and
 * explanations). The fast path allocates only its state and result.
 */
export function scanChunks(text: string, w: ChunkWeights, rec?: Recorder): BestChunk {
  const table = w.table;
  const shift = 32 - w.bits;
  const st = new ChunkState();
  let bestLogit = -Infinity;
  let bestStart = 0;
  let bestEnd = 0;
  const len = text.length;
  let chunkStart = 0;
  let recFrom = 0;
  // Character n-grams: packed symbols, symbols in the chunk (a virtual separator first), last symbol, their sum and count.
  let code = 0;
  let cnt = 1;
  let lastSym = 0;
  let sum = 0;
  let n = 0;
  // The word being read.
  let inWord = false;
  let wh = FNV_OFFSET;
  let wStart = 0;
  let wUpper = 0;
  let wLower = 0;
  // The two characters before this one (ASCII lower-cased), for URLs, e-mails, identifiers and `~/`.
  let prev1 = 0;
  let prev2 = 0;

  for (let i = 0; i <= len; i++) {
    let c = i < len ? text.charCodeAt(i) : 10;
    let sym: number;
    let close = false;
    if (c >= 65 && c <= 90) {
      c += 32;
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
        if (prev1 === 95 && isWordCode(prev2)) structural(st, w, S.identifier, i, rec);
      } else if (wLower > 0 && wUpper === 0) structural(st, w, S.identifier, i, rec);
      wUpper++;
      wh = Math.imul(wh ^ c, FNV_PRIME);
      sym = c - 96;
    } else if (c >= 97 && c <= 122) {
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
        if (prev1 === 95 && isWordCode(prev2)) structural(st, w, S.identifier, i, rec);
        else if (prev1 === 64 && isWordCode(prev2)) {
          structural(st, w, S.email, i, rec);
          st.addrSeen = true;
        }
      }
      wLower++;
      wh = Math.imul(wh ^ c, FNV_PRIME);
      sym = c - 96;
    } else if (c >= 48 && c <= 57) {
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
      }
      wh = Math.imul(wh ^ 48, FNV_PRIME);
      sym = 27;
    } else if (c < 128) {
      if (inWord) {
        inWord = false;
        endWord(st, w, wh & SMI, wStart, i, wUpper >= 4 && wLower === 0, rec);
      }
      if (c === 47) {
        if (prev1 === 47 && prev2 === 58) {
          structural(st, w, S.url, i, rec);
          st.addrSeen = true;
        } else if (prev1 === 126) structural(st, w, S['sensitive-path'], i, rec);
      } else if (c === 60 || c === 91) st.tagOpen = true;
      sym = 0;
      const eol = c === 10;
      const eos = (c === 46 || c === 33 || c === 63) && (i + 1 >= len || isSpace(text.charCodeAt(i + 1)));
      if (eol || eos || c === 58) st.sentStart = true;
      const size = i + 1 - chunkStart;
      close = i === len || ((eol || eos) && size >= CHUNK_MIN) || (size >= CHUNK_MAX && isSpace(c));
    } else if (isCjk(c)) {
      if (inWord) endWord(st, w, wh & SMI, wStart, i, wUpper >= 4 && wLower === 0, rec);
      inWord = false;
      endWord(st, w, Math.imul(FNV_OFFSET ^ c, FNV_PRIME) & SMI, i, i + 1, false, rec);
      // Ideographic full stop.
      if (c === 0x3002) st.sentStart = true;
      sym = 28 + (c % 35);
    } else {
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
      }
      wh = Math.imul(wh ^ c, FNV_PRIME);
      sym = 28 + (c % 35);
    }
    if (sym !== 0 || lastSym !== 0) {
      lastSym = sym;
      code = ((code & 0xffffff) << 6) | sym;
      cnt++;
      if (cnt >= 5) {
        const g3 = code & 0x3ffff;
        const g4 = code & 0xffffff;
        const b3 = Math.imul(g3, M_3) >>> shift;
        const b4 = Math.imul(g4, M_4) >>> shift;
        const b5 = Math.imul(code, M_5) >>> shift;
        sum += (table[b3] as number) + (table[b4] as number) + (table[b5] as number);
        n += 3;
        if (rec) rec.feats.push(b3, KIND.char3, i, g3, b4, KIND.char4, i, g4, b5, KIND.char5, i, code);
      } else if (cnt >= 3) {
        const g3 = code & 0x3ffff;
        const b3 = Math.imul(g3, M_3) >>> shift;
        sum += table[b3] as number;
        n++;
        if (rec) rec.feats.push(b3, KIND.char3, i, g3);
        if (cnt === 4) {
          const g4 = code & 0xffffff;
          const b4 = Math.imul(g4, M_4) >>> shift;
          sum += table[b4] as number;
          n++;
          if (rec) rec.feats.push(b4, KIND.char4, i, g4);
        }
      }
    }
    if (!close && i + 1 - chunkStart >= 2 * CHUNK_MAX) close = true;
    if (close) {
      const end = Math.min(i + 1, len);
      if (inWord) {
        inWord = false;
        endWord(st, w, wh & SMI, wStart, end, wUpper >= 4 && wLower === 0, rec);
      }
      if (st.sendSeen && st.addrSeen) structural(st, w, S['send-to-address'], end, rec);
      const total = n + st.n;
      if (total > 0) {
        const logit = w.bias + (sum + st.sum) / Math.sqrt(total);
        if (logit > bestLogit) {
          bestLogit = logit;
          bestStart = chunkStart;
          bestEnd = end;
        }
        if (rec) {
          rec.chunks.push({ start: chunkStart, end, from: recFrom, to: rec.feats.length / 4 });
          recFrom = rec.feats.length / 4;
        }
      }
      chunkStart = end;
      st.reset();
      sum = 0;
      n = 0;
      code = 0;
      cnt = 1;
      lastSym = 0;
    }
    prev2 = prev1;
    prev1 = c;
  }
  return { logit: bestLogit, start: bestStart, end: bestEnd };
}

/** ASCII character classes for {@link bestChunk}: 1 upper-case letter, 2 lower-case letter, 3 digit, 0 anything else. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 65; c <= 90; c++) ASCII_CLASS[c] = 1;
for (let c = 97; c <= 122; c++) ASCII_CLASS[c] = 2;
for (let c = 48; c <= 57; c++) ASCII_CLASS[c] = 3;

/**
 * {@link scanChunks} without a recorder, for scoring: the same features, sums
 * in the same order, so the same logit, chunk and bits (test/model/features.test.ts
 * checks it against scanChunks on the corpus and on random text). It is faster in
 * two ways: characters are classed by a table, and a run of lower-case letters
 * inside a word (most of any prose) goes through a tight inner loop that only
 * hashes the word and sums the character n-grams.
 */
export function bestChunk(text: string, w: ChunkWeights): BestChunk {
  const table = w.table;
  const shift = 32 - w.bits;
  const st = new ChunkState();
  let bestLogit = -Infinity;
  let bestStart = 0;
  let bestEnd = 0;
  const len = text.length;
  const hard = 2 * CHUNK_MAX;
  let chunkStart = 0;
  let code = 0;
  let cnt = 1;
  let lastSym = 0;
  let sum = 0;
  let n = 0;
  let inWord = false;
  let wh = FNV_OFFSET;
  let wStart = 0;
  let wUpper = 0;
  let wLower = 0;
  let prev1 = 0;
  let prev2 = 0;

  for (let i = 0; i <= len; i++) {
    let c = i < len ? text.charCodeAt(i) : 10;
    // -1: the n-grams and the previous characters of this position are already done (inner loop).
    let sym = 0;
    let close = false;
    const k = c < 128 ? (ASCII_CLASS[c] as number) : 4;
    if (k === 2 && inWord && cnt >= 5) {
      // Lower-case letters inside a word, up to the hard chunk limit: hash and n-grams only.
      const stop = Math.min(len, chunkStart + hard - 1);
      let j = i;
      let cc = c;
      for (;;) {
        wh = Math.imul(wh ^ cc, FNV_PRIME);
        code = ((code & 0xffffff) << 6) | (cc - 96);
        sum += (table[Math.imul(code & 0x3ffff, M_3) >>> shift] as number) + (table[Math.imul(code & 0xffffff, M_4) >>> shift] as number) + (table[Math.imul(code, M_5) >>> shift] as number);
        j++;
        if (j >= stop) break;
        cc = text.charCodeAt(j);
        if (cc < 97 || cc > 122) break;
      }
      const run = j - i;
      wLower += run;
      n += 3 * run;
      cnt += run;
      lastSym = 1;
      prev2 = run >= 2 ? text.charCodeAt(j - 2) : prev1;
      prev1 = text.charCodeAt(j - 1);
      i = j - 1;
      // Only the hard limit can close a chunk on a letter.
      if (j - chunkStart < hard) continue;
      sym = -1;
    } else if (k === 2) {
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
        if (prev1 === 95 && isWordCode(prev2)) structural(st, w, S.identifier, i, undefined);
        else if (prev1 === 64 && isWordCode(prev2)) {
          structural(st, w, S.email, i, undefined);
          st.addrSeen = true;
        }
      }
      wLower++;
      wh = Math.imul(wh ^ c, FNV_PRIME);
      sym = c - 96;
    } else if (k === 0) {
      if (inWord) {
        inWord = false;
        endWord(st, w, wh & SMI, wStart, i, wUpper >= 4 && wLower === 0, undefined);
      }
      if (c === 32) {
        close = i + 1 - chunkStart >= CHUNK_MAX;
      } else {
        if (c === 47) {
          if (prev1 === 47 && prev2 === 58) {
            structural(st, w, S.url, i, undefined);
            st.addrSeen = true;
          } else if (prev1 === 126) structural(st, w, S['sensitive-path'], i, undefined);
        } else if (c === 60 || c === 91) st.tagOpen = true;
        const eol = c === 10;
        const eos = (c === 46 || c === 33 || c === 63) && (i + 1 >= len || isSpace(text.charCodeAt(i + 1)));
        if (eol || eos || c === 58) st.sentStart = true;
        const size = i + 1 - chunkStart;
        close = i === len || ((eol || eos) && size >= CHUNK_MIN) || (size >= CHUNK_MAX && isSpace(c));
      }
    } else if (k === 1) {
      c += 32;
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
        if (prev1 === 95 && isWordCode(prev2)) structural(st, w, S.identifier, i, undefined);
      } else if (wLower > 0 && wUpper === 0) structural(st, w, S.identifier, i, undefined);
      wUpper++;
      wh = Math.imul(wh ^ c, FNV_PRIME);
      sym = c - 96;
    } else if (k === 3) {
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
      }
      wh = Math.imul(wh ^ 48, FNV_PRIME);
      sym = 27;
    } else if (isCjk(c)) {
      if (inWord) endWord(st, w, wh & SMI, wStart, i, wUpper >= 4 && wLower === 0, undefined);
      inWord = false;
      endWord(st, w, Math.imul(FNV_OFFSET ^ c, FNV_PRIME) & SMI, i, i + 1, false, undefined);
      if (c === 0x3002) st.sentStart = true;
      sym = 28 + (c % 35);
    } else {
      if (!inWord) {
        inWord = true;
        wh = FNV_OFFSET;
        wStart = i;
        wUpper = wLower = 0;
      }
      wh = Math.imul(wh ^ c, FNV_PRIME);
      sym = 28 + (c % 35);
    }
    if (sym > 0 || (sym === 0 && lastSym !== 0)) {
      lastSym = sym;
      code = ((code & 0xffffff) << 6) | sym;
      cnt++;
      if (cnt >= 5) {
        sum += (table[Math.imul(code & 0x3ffff, M_3) >>> shift] as number) + (table[Math.imul(code & 0xffffff, M_4) >>> shift] as number) + (table[Math.imul(code, M_5) >>> shift] as number);
        n += 3;
      } else if (cnt >= 3) {
        sum += table[Math.imul(code & 0x3ffff, M_3) >>> shift] as number;
        n++;
        if (cnt === 4) {
          sum += table[Math.imul(code & 0xffffff, M_4) >>> shift] as number;
          n++;
        }
      }
    }
    if (close || i + 1 - chunkStart >= hard) {
      const end = Math.min(i + 1, len);
      if (inWord) {
        inWord = false;
        endWord(st, w, wh & SMI, wStart, end, wUpper >= 4 && wLower === 0, undefined);
      }
      if (st.sendSeen && st.addrSeen) structural(st, w, S['send-to-address'], end, undefined);
      const total = n + st.n;
      if (total > 0) {
        const logit = w.bias + (sum + st.sum) / Math.sqrt(total);
        if (logit > bestLogit) {
          bestLogit = logit;
          bestStart = chunkStart;
          bestEnd = end;
        }
      }
      chunkStart = end;
      st.reset();
      sum = 0;
      n = 0;
      code = 0;
      cnt = 1;
      lastSym = 0;
    }
    if (sym !== -1) {
      prev2 = prev1;
      prev1 = c;
    }
  }
  return { logit: bestLogit, start: bestStart, end: bestEnd };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 128;
}

/** The text of a packed character n-gram (`_` for the separator, `0` for a digit, `·` for other characters). */
export function gramText(code: number, n: number): string {
  let s = '';
  for (let k = n - 1; k >= 0; k--) {
    const sym = (code >>> (6 * k)) & 63;
    s += sym === 0 ? '_' : sym <= 26 ? String.fromCharCode(96 + sym) : sym === 27 ? '0' : '·';
  }
  return s;
}
