/**
 * Scoring with a learned model: logistic regression over the chunk features
 * of features.ts. A text's score is the probability of its best chunk,
 * `σ(bias + Σw/√n)`; a tool's is the best of each text field's and of all its
 * fields joined. Explanations name the features that pushed the best chunk up,
 * never the text of anything that looks like a credential.
 */
import { KIND, STRUCTURAL, bestChunk, gramText, scanChunks, type ChunkWeights, type Recorder } from './features.js';

/** The categories with a learned scorer; the model file is `rules/models/<category>.json`. */
export const MODEL_CATEGORIES = ['injection', 'tool-poisoning'] as const;
export type ModelCategory = (typeof MODEL_CATEGORIES)[number];

/** A loaded, validated model (see loader.ts for the file format). */
export interface Model extends ChunkWeights {
  readonly category: ModelCategory;
  /** Score (0–1) at or above which a finding blocks. */
  readonly threshold: number;
  /** Score (0–1) at or above which, below `threshold`, a finding warns. */
  readonly warnThreshold: number;
}

/** A score and where it came from. */
export interface Score {
  /** Probability 0–1 of the best chunk. */
  readonly score: number;
  /** The best chunk: `[start, end)` UTF-16 offsets into the scored text. */
  readonly start: number;
  readonly end: number;
}

/** Logistic function, σ(x) = 1 / (1 + e^-x). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Score one normalised text (0 for a text without features). */
export function scoreText(model: ChunkWeights, text: string): Score {
  const best = bestChunk(text, model);
  return { score: best.logit === -Infinity ? 0 : sigmoid(best.logit), start: best.start, end: best.end };
}

/** A score of one tool: the text it came from (index into `fields`, or -1 for all fields joined). */
export interface ToolScore extends Score {
  readonly field: number;
}

/**
 * Score a tool definition: each text field on its own, and all of them joined
 * (an instruction split across fields), the best of them.
 * @param fields the tool's normalised texts (tool-text.ts), in document order
 * @param joined the same texts joined with `\n`, normalised
 */
export function scoreTool(model: ChunkWeights, fields: readonly string[], joined: string): ToolScore {
  let best: ToolScore = { ...scoreText(model, joined), field: -1 };
  fields.forEach((f, i) => {
    if (f.length < 8) return;
    const s = scoreText(model, f);
    if (s.score > best.score) best = { ...s, field: i };
  });
  return best;
}

/** Words that may be credentials: long, or letters mixed with digits. Their features are never named. */
function secretLike(word: string): boolean {
  if (word.length >= 24) return true;
  return word.length >= 12 && /\d/.test(word) && /[a-z]/i.test(word);
}

/**
 * The features that pushed the best chunk of `text` up most, largest first:
 * `word:ignore`, `bigram:ignore previous`, `char:gnor` (`_` = separator),
 * `struct:imperative-start`. Features from a credential-like word are named `…:[masked]`.
 * @param text the normalised text that was scored
 * @param chunk the best chunk from {@link scoreText}
 * @param limit how many to return
 */
export function explain(model: ChunkWeights, text: string, chunk: { start: number; end: number }, limit = 5): string[] {
  const rec: Recorder = { feats: [], chunks: [] };
  scanChunks(text.slice(chunk.start, chunk.end), model, rec);
  const part = text.slice(chunk.start, chunk.end);
  const masked: Array<[number, number]> = [];
  const f = rec.feats;
  for (let i = 0; i < f.length; i += 4) {
    if (f[i + 1] === KIND.word) {
      const s = f[i + 2] as number;
      const e = f[i + 3] as number;
      if (secretLike(part.slice(s, e))) masked.push([s, e]);
    }
  }
  const inMasked = (at: number): boolean => masked.some(([s, e]) => at >= s && at < e);
  const contrib = new Map<string, number>();
  // A bigram record follows its second word's record.
  let prev: { word: string; masked: boolean } | undefined;
  let cur: { word: string; masked: boolean } | undefined;
  for (let i = 0; i < f.length; i += 4) {
    const idx = f[i] as number;
    const kind = f[i + 1] as number;
    const a = f[i + 2] as number;
    const b = f[i + 3] as number;
    let name: string;
    let weight = model.table[idx] as number;
    if (kind === KIND.structural) {
      name = `struct:${STRUCTURAL[a] ?? a}`;
      weight = model.structural[a] as number;
    } else if (kind === KIND.word) {
      prev = cur;
      cur = { word: part.slice(a, b).toLowerCase().replace(/\d/g, '0'), masked: inMasked(a) };
      name = cur.masked ? 'word:[masked]' : `word:${cur.word}`;
    } else if (kind === KIND.bigram) {
      name = prev === undefined || cur === undefined || prev.masked || cur.masked ? 'bigram:[masked]' : `bigram:${prev.word} ${cur.word}`;
    } else {
      name = inMasked(a) ? 'char:[masked]' : `char:${gramText(b, kind)}`;
    }
    contrib.set(name, (contrib.get(name) ?? 0) + weight);
  }
  return [...contrib]
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, limit)
    .map(([k]) => k);
}
