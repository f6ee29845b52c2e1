/**
 * Training of the learned scorers (`npm run train`, and the cross-source eval):
 * L2-regularised logistic regression fitted by AdaGrad SGD over the chunk
 * features of features.ts. A short implementation of our own rather than an
 * mljs package: `ml-logistic-regression` is dense (one float per feature per
 * example: 2^18 × thousands of chunks) and one-vs-all only; sparse AdaGrad is
 * about forty lines, tested in test/model/train.test.ts, and is deterministic:
 * examples sorted by id, a seeded shuffle (mulberry32), no parallelism, so the
 * same data gives the same bytes.
 *
 * Attack records are bags of chunks: after a first fit on every chunk, each
 * attack keeps only its best-scoring chunk and the model is fitted again
 * ({@link selectInstances}), so the benign carrier around an injection is not
 * learned as an attack.
 *
 * Thresholds are chosen on benign data only: every benign record gets an
 * out-of-fold score (5 folds of whole sources, {@link sourceFolds}: the model
 * that scores it never saw its source), and the block threshold is the lowest
 * 4-decimal value with at most `blockRate` of those scores at or above it; the
 * warn threshold likewise at `warnRate`.
 */
import { createHash } from 'node:crypto';
import { sourceGroup, type LabelledRecord, type ReadFile } from '../../eval/records.js';
import { normalizeText } from '../normalize.js';
import { TextCollector } from '../response-text.js';
import { walkTool } from '../tool-text.js';
import { CHUNK_MAX, CHUNK_MIN, STRUCTURAL, scanChunks, type ChunkWeights, type Recorder } from './features.js';
import { MODEL_FORMAT, type ModelFile } from './loader.js';
import { scoreText, scoreTool, sigmoid, type Model, type ModelCategory } from './scorer.js';

/** Training options; the defaults are what `npm run train` uses. */
export interface TrainOptions {
  /** Hash table size, 2^bits. @default 18 */
  readonly bits?: number;
  /** Passes over the data. @default 8 */
  readonly epochs?: number;
  /** AdaGrad step size. @default 0.2 */
  readonly rate?: number;
  /** L2 penalty per step. @default 1e-6 */
  readonly l2?: number;
  /** Shuffle seed. @default 1 */
  readonly seed?: number;
  /** Folds for the out-of-fold benign scores the thresholds come from (whole sources per fold). @default 5 */
  readonly folds?: number;
  /**
   * Multiple-instance refit: after a first fit, each attack record keeps only its
   * best-scoring chunk as a positive and the model is fitted again. @default true
   */
  readonly mil?: boolean;
}

const DEFAULTS = { bits: 18, epochs: 8, rate: 0.2, l2: 1e-6, seed: 1, folds: 5, mil: true } as const;

/** Benign share above the block threshold: tool outputs 1 %, tool definitions 0.5 % (issue 10). */
export const BLOCK_RATE: Record<ModelCategory, number> = { injection: 0.01, 'tool-poisoning': 0.005 };
/** Benign share above the warn threshold. */
export const WARN_RATE: Record<ModelCategory, number> = { injection: 0.03, 'tool-poisoning': 0.015 };

/** The texts of a tool as the poisoning scanner sees them: each field, and all joined with `\n`; normalised. */
export function toolDocument(tool: unknown): { fields: string[]; joined: string } {
  const collector = new TextCollector();
  for (const t of walkTool(tool, '').texts) collector.add(t.path, t.kind === 'name' ? t.value.replace(/[_-]+/g, ' ') : t.value);
  const joined = collector.done();
  const fields = joined.segments.map((s) => normalizeText(joined.text.slice(s.start, s.end)));
  return { fields, joined: normalizeText(joined.text) };
}

/** The normalised documents a record is trained on. */
function documents(category: ModelCategory, rec: LabelledRecord): string[] {
  if (category === 'injection' || rec.tool === undefined) return rec.text !== undefined ? [normalizeText(rec.text)] : [];
  const { fields, joined } = toolDocument(rec.tool);
  return [joined, ...fields.filter((f) => f.length >= 20 && f !== joined)];
}

/** A record's score as the scanner computes it. */
export function recordScore(model: ChunkWeights, category: ModelCategory, rec: LabelledRecord): number {
  if (category === 'tool-poisoning' && rec.tool !== undefined) {
    const { fields, joined } = toolDocument(rec.tool);
    return scoreTool(model, fields, joined).score;
  }
  return scoreText(model, normalizeText(rec.text ?? '')).score;
}

/** One training example: a chunk's sparse feature vector. */
export interface Example {
  readonly idx: Int32Array;
  readonly val: Float32Array;
  readonly y: 0 | 1;
}

function zeroWeights(bits: number): ChunkWeights {
  return { table: new Float32Array(1 << bits), structural: new Float32Array(STRUCTURAL.length), bias: 0, bits };
}

/** The chunks of a text with their feature vectors (indices sorted, counts scaled by 1/√n). */
function chunkVectors(text: string, zero: ChunkWeights): Array<{ text: string; idx: Int32Array; val: Float32Array }> {
  const rec: Recorder = { feats: [], chunks: [] };
  scanChunks(text, zero, rec);
  return rec.chunks.map((c) => {
    const raw = new Int32Array(c.to - c.from);
    for (let k = c.from; k < c.to; k++) raw[k - c.from] = rec.feats[k * 4] as number;
    raw.sort();
    const idx: number[] = [];
    const cnt: number[] = [];
    for (const i of raw) {
      if (idx[idx.length - 1] === i) cnt[cnt.length - 1] = (cnt[cnt.length - 1] as number) + 1;
      else {
        idx.push(i);
        cnt.push(1);
      }
    }
    const scale = 1 / Math.sqrt(raw.length);
    return { text: text.slice(c.start, c.end), idx: Int32Array.from(idx), val: Float32Array.from(cnt, (x) => x * scale) };
  });
}

/**
 * Chunk examples of a record set. Every chunk of a benign record is a negative;
 * a chunk of an attack is a positive unless the same text is also a benign
 * chunk (the benign context an attack was inserted into). Duplicates are dropped.
 */
type Chunks = Array<{ text: string; idx: Int32Array; val: Float32Array }>;
// Chunk vectors per record and table size: folds and cross-source runs reuse them.
const cache = new WeakMap<object, Map<string, Chunks>>();
const textCache = new Map<string, Chunks>();
let zeroCache: ChunkWeights | undefined;

function recordChunks(category: ModelCategory, r: LabelledRecord | string, bits: number): Chunks {
  const key = typeof r === 'string' ? undefined : r;
  const tag = `${category}/${bits}`;
  const hit = key ? cache.get(key)?.get(tag) : textCache.get(`${tag}\0${r as string}`);
  if (hit) return hit;
  if (zeroCache?.bits !== bits) zeroCache = zeroWeights(bits);
  const zero = zeroCache;
  const docs = typeof r === 'string' ? [normalizeText(r)] : documents(category, r);
  const chunks = docs.flatMap((d) => chunkVectors(d, zero));
  if (key) {
    let m = cache.get(key);
    if (!m) cache.set(key, (m = new Map()));
    m.set(tag, chunks);
  } else textCache.set(`${tag}\0${r as string}`, chunks);
  return chunks;
}

/**
 * Chunk examples of a record set, and per attack record (a "bag") the indices of its
 * positive chunks. Every chunk of a benign record is a negative; a chunk of an attack
 * is a positive unless the same text is also a benign chunk. Duplicates are dropped
 * (a chunk shared by two attacks belongs to the first one's bag).
 */
function examples(category: ModelCategory, records: readonly LabelledRecord[], bits: number, extraPositives: readonly string[]): { data: Example[]; bags: number[][] } {
  const out: Example[] = [];
  const bags: number[][] = [];
  const negTexts = new Set<string>();
  for (const r of records) {
    if (r.positive) continue;
    for (const c of recordChunks(category, r, bits)) {
      if (negTexts.has(c.text)) continue;
      negTexts.add(c.text);
      out.push({ idx: c.idx, val: c.val, y: 0 });
    }
  }
  const posTexts = new Set<string>();
  const positives: Array<LabelledRecord | string> = [...records.filter((r) => r.positive), ...extraPositives];
  for (const d of positives) {
    const bag: number[] = [];
    for (const c of recordChunks(category, d, bits)) {
      if (negTexts.has(c.text) || posTexts.has(c.text)) continue;
      posTexts.add(c.text);
      bag.push(out.length);
      out.push({ idx: c.idx, val: c.val, y: 1 });
    }
    if (bag.length > 0) bags.push(bag);
  }
  return { data: out, bags };
}

/**
 * Multiple-instance selection: of each bag (an attack record's chunks) keep the
 * chunk the fitted model scores highest, and drop the others. An attack is one
 * injected sentence in a benign carrier (an e-mail, a résumé, a JSON record);
 * the carrier's other chunks are not attacks, and labelling them positive teaches
 * the scorer the carrier instead of the instruction (cross-source, it then flags
 * every benign record of the same kind). The score is the best chunk's, so one
 * positive chunk per attack is what the scorer needs.
 * @returns the examples kept (all negatives, one positive per bag)
 */
export function selectInstances(data: readonly Example[], bags: readonly number[][], f: Fitted): Example[] {
  const drop = new Uint8Array(data.length);
  for (const bag of bags) {
    if (bag.length < 2) continue;
    let best = bag[0] as number;
    let bestZ = -Infinity;
    for (const k of bag) {
      const e = data[k] as Example;
      let z = f.bias;
      for (let j = 0; j < e.idx.length; j++) z += (f.w[e.idx[j] as number] as number) * (e.val[j] as number);
      if (z > bestZ) {
        bestZ = z;
        best = k;
      }
    }
    for (const k of bag) if (k !== best) drop[k] = 1;
  }
  return data.filter((_, i) => drop[i] === 0);
}

/** mulberry32: a small seeded PRNG (32-bit state), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fitted weights: `w` has `dim` entries, plus the bias. */
export interface Fitted {
  readonly w: Float64Array;
  readonly bias: number;
}

/**
 * Fit logistic regression (log loss, classes weighted to equal total weight,
 * L2 on touched weights) with per-coordinate AdaGrad. Deterministic.
 * @param data sparse examples: `idx` indices into [0, dim), `val` values, `y` 0 or 1
 */
export function fitLogistic(data: readonly Example[], dim: number, o: Required<Pick<TrainOptions, 'epochs' | 'rate' | 'l2' | 'seed'>>): Fitted {
  const w = new Float64Array(dim);
  const g2 = new Float64Array(dim);
  let bias = 0;
  let gb2 = 0;
  const pos = data.filter((e) => e.y === 1).length;
  const neg = data.length - pos;
  const cw = [neg > 0 ? data.length / (2 * neg) : 1, pos > 0 ? data.length / (2 * pos) : 1];
  const order = data.map((_, i) => i);
  const rand = mulberry32(o.seed);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    // Fisher–Yates with the seeded PRNG.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }
    for (const k of order) {
      const e = data[k] as Example;
      let z = bias;
      for (let j = 0; j < e.idx.length; j++) z += (w[e.idx[j] as number] as number) * (e.val[j] as number);
      const g = (sigmoid(z) - e.y) * (cw[e.y] as number);
      for (let j = 0; j < e.idx.length; j++) {
        const i = e.idx[j] as number;
        const gi = g * (e.val[j] as number) + o.l2 * (w[i] as number);
        g2[i] = (g2[i] as number) + gi * gi;
        w[i] = (w[i] as number) - (o.rate * gi) / (Math.sqrt(g2[i] as number) + 1e-8);
      }
      gb2 += g * g;
      bias -= (o.rate * g) / (Math.sqrt(gb2) + 1e-8);
    }
  }
  return { w, bias };
}

/** Quantise fitted weights to int16 the way the model file stores them, and build the scorer's weights. */
function quantise(f: Fitted, bits: number): { weights: ChunkWeights; scale: number; q: Int16Array } {
  const size = 1 << bits;
  let max = 0;
  for (let i = 0; i < size; i++) max = Math.max(max, Math.abs(f.w[i] as number));
  const scale = Number(((max || 1) / 32767).toPrecision(6));
  const q = new Int16Array(size);
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    q[i] = Math.max(-32767, Math.min(32767, Math.round((f.w[i] as number) / scale)));
    table[i] = (q[i] as number) * scale;
  }
  const structural = Float32Array.from(f.w.subarray(size), (x) => Number(x.toFixed(6)));
  return { weights: { table, structural, bias: Number(f.bias.toFixed(6)), bits }, scale, q };
}

/** Train one model's weights on records (no thresholds). */
export function trainWeights(category: ModelCategory, records: readonly LabelledRecord[], options: TrainOptions = {}, extraPositives: readonly string[] = []): ChunkWeights & { scale: number; q: Int16Array } {
  const o = { ...DEFAULTS, ...options };
  const { data, bags } = examples(category, records, o.bits, extraPositives);
  const dim = (1 << o.bits) + STRUCTURAL.length;
  let fitted = fitLogistic(data, dim, o);
  if (o.mil && bags.some((b) => b.length > 1)) fitted = fitLogistic(selectInstances(data, bags, fitted), dim, o);
  const { weights, scale, q } = quantise(fitted, o.bits);
  return { ...weights, scale, q };
}

function int16le(q: Int16Array): Buffer {
  const b = Buffer.alloc(q.length * 2);
  q.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

/**
 * Folds of whole sources: the sources sorted by name, dealt round-robin
 * (sources that share carriers, `SOURCE_GROUPS` in records.ts, as one). A benign
 * record's out-of-fold score then comes from a model that never saw its source,
 * as in use (a new server's outputs), not merely one that never saw the record:
 * with folds by record, the thresholds were set on sources the model knew, and
 * cross-source, rules and scorer together flagged 5.1 % of unseen benign texts.
 */
export function sourceFolds(records: readonly LabelledRecord[], k: number): number[] {
  const groups = [...new Set(records.map((r) => sourceGroup(r.source)))].sort();
  const of = new Map(groups.map((s, i) => [s, i % k]));
  return records.map((r) => of.get(sourceGroup(r.source)) as number);
}

/**
 * The lowest 4-decimal threshold with at most `rate` of `scores` at or above it
 * (at least 0.5, at most 0.9999).
 */
export function benignThreshold(scores: readonly number[], rate: number): number {
  const s = [...scores].sort((a, b) => b - a);
  const k = Math.floor(rate * s.length);
  const at = s[k] ?? 0;
  const t = Math.ceil(at * 1e4 + 1e-6) / 1e4;
  return Math.min(0.9999, Math.max(0.5, t));
}

/**
 * The benign records a category's thresholds are chosen on: every benign tool
 * output, over-defense texts included (documentation that discusses attacks is
 * what a fetch or file tool returns too; without them the block threshold fell
 * low enough to block 6.7 % of the Markdown files under node_modules), and
 * every benign tool definition.
 */
export function isThresholdBenign(_category: ModelCategory, rec: LabelledRecord): boolean {
  return !rec.positive;
}

/** A trained model, ready to score, and its out-of-fold benign scores. */
export interface Trained {
  readonly model: Model;
  readonly scale: number;
  readonly q: Int16Array;
  /** Out-of-fold scores of the threshold-benign records. */
  readonly benignScores: readonly number[];
}

/**
 * Train a model with thresholds chosen on out-of-fold benign scores.
 * @param extraPositives texts added as positives (attack texts of another category)
 */
export function trainModel(category: ModelCategory, records: readonly LabelledRecord[], options: TrainOptions = {}, extraPositives: readonly string[] = []): Trained {
  const K = options.folds ?? DEFAULTS.folds;
  const folds = sourceFolds(records, K);
  const benignScores: number[] = [];
  for (let f = 0; f < K; f++) {
    const held = records.filter((_, i) => folds[i] === f && isThresholdBenign(category, records[i] as LabelledRecord));
    if (held.length === 0) continue;
    const w = trainWeights(category, records.filter((_, i) => folds[i] !== f), options, extraPositives);
    for (const r of held) benignScores.push(recordScore(w, category, r));
  }
  const full = trainWeights(category, records, options, extraPositives);
  const threshold = benignThreshold(benignScores, BLOCK_RATE[category]);
  const warnThreshold = Math.min(threshold, benignThreshold(benignScores, WARN_RATE[category]));
  return {
    model: { category, table: full.table, structural: full.structural, bias: full.bias, bits: full.bits, threshold, warnThreshold },
    scale: full.scale,
    q: full.q,
    benignScores,
  };
}

/** The model file for a trained model (see loader.ts); `training` records provenance. */
export function modelFile(t: Trained, files: readonly ReadFile[], options: TrainOptions, extra: Record<string, unknown>): ModelFile {
  const o = { ...DEFAULTS, ...options };
  const dataSha = createHash('sha256')
    .update(files.map((f) => `${f.path} ${f.sha256}\n`).join(''))
    .digest('hex');
  return {
    format: MODEL_FORMAT,
    category: t.model.category,
    features: {
      hash_bits: t.model.bits,
      words: ['unigram', 'bigram'],
      char_ngrams: [3, 4, 5],
      chunk: { min: CHUNK_MIN, max: CHUNK_MAX },
      structural: [...STRUCTURAL],
      text: 'normalized',
    },
    bias: t.model.bias,
    threshold: t.model.threshold,
    warn_threshold: t.model.warnThreshold,
    structural_weights: [...t.model.structural].map((x) => Number(x.toFixed(6))),
    weights: { encoding: 'int16le-base64', scale: t.scale, data: int16le(t.q).toString('base64') },
    training: {
      command: 'npm run train',
      data_sha256: dataSha,
      files,
      optimizer: { method: `logistic regression, AdaGrad SGD, class-balanced, L2${o.mil ? '; refitted on the best chunk of each attack (multiple-instance)' : ''}`, epochs: o.epochs, rate: o.rate, l2: o.l2, seed: o.seed },
      threshold_rule: `out-of-fold scores of benign records (${o.folds} folds of whole sources: each scored by a model that never saw its source); block: at most ${BLOCK_RATE[t.model.category] * 100} % at or above, warn: at most ${WARN_RATE[t.model.category] * 100} %`,
      benign_records: t.benignScores.length,
      ...extra,
    },
  };
}
