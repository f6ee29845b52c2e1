/**
 * Model files: `rules/models/<category>.json`, loaded and validated at start
 * like a rule pack (a bad or missing file is `RULES_INVALID`, exit 2).
 *
 * Format `mcp-guard-model/1` (written by `npm run train`, scripts/train.js):
 * ```
 * { "format": "mcp-guard-model/1", "category": "injection" | "tool-poisoning",
 *   "features": { "hash_bits", "words": ["unigram","bigram"], "char_ngrams": [3,4,5],
 *                 "chunk": { "min", "max" }, "structural": [names…], "text": "normalized" },
 *   "bias": number, "threshold": number, "warn_threshold": number,
 *   "structural_weights": [number…],
 *   "weights": { "encoding": "int16le-base64", "scale": number, "data": base64 },
 *   "training": { "command", "data_sha256", "files": [{ "path", "sha256", "records" }], … } }
 * ```
 * `weights` are `2^hash_bits` little-endian int16 values; weight i is `int16[i] × scale`.
 * The feature spec must be the one features.ts implements, or the weights would mean nothing.
 */
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { GuardError } from '../../errors.js';
import { CHUNK_MAX, CHUNK_MIN, STRUCTURAL } from './features.js';
import { MODEL_CATEGORIES, type Model, type ModelCategory } from './scorer.js';

/** The format tag of model files. */
export const MODEL_FORMAT = 'mcp-guard-model/1';
/** Largest hash table a model file may declare (2^20 weights, 2 MiB as int16). */
export const MAX_HASH_BITS = 20;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const probability = z.number().gt(0).lte(1);

const modelSchema = z.strictObject({
  format: z.literal(MODEL_FORMAT),
  category: z.enum(MODEL_CATEGORIES),
  features: z.strictObject({
    hash_bits: z.number().int().min(10).max(MAX_HASH_BITS),
    words: z.tuple([z.literal('unigram'), z.literal('bigram')]),
    char_ngrams: z.tuple([z.literal(3), z.literal(4), z.literal(5)]),
    chunk: z.strictObject({ min: z.literal(CHUNK_MIN), max: z.literal(CHUNK_MAX) }),
    structural: z.array(z.string()).refine((a) => a.length === STRUCTURAL.length && a.every((n, i) => n === STRUCTURAL[i]), {
      message: `must list the structural features of this version: ${STRUCTURAL.join(', ')}`,
    }),
    text: z.literal('normalized'),
  }),
  bias: finite,
  threshold: probability,
  warn_threshold: probability,
  structural_weights: z.array(finite),
  weights: z.strictObject({ encoding: z.literal('int16le-base64'), scale: z.number().positive(), data: z.string() }),
  training: z.record(z.string(), z.unknown()),
});

/** A model file as written (see the module comment). */
export type ModelFile = z.infer<typeof modelSchema>;

/** The directory of the built-in model files (`rules/models`). */
export function builtinModelsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'rules', 'models');
}

/**
 * Validate and decode one model file's JSON.
 * @param origin the file name, for messages
 * @throws GuardError `RULES_INVALID` listing every problem (path: message)
 */
export function parseModel(json: unknown, origin: string): Model {
  const parsed = modelSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${origin}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GuardError('RULES_INVALID', `model file ${origin} is invalid`, problems);
  }
  const m = parsed.data;
  const problems: string[] = [];
  const size = 1 << m.features.hash_bits;
  const bytes = Buffer.from(m.weights.data, 'base64');
  if (bytes.length !== size * 2) problems.push(`${origin}: weights.data: holds ${bytes.length} bytes, expected ${size * 2} (2^${m.features.hash_bits} int16)`);
  if (m.structural_weights.length !== STRUCTURAL.length) problems.push(`${origin}: structural_weights: expected ${STRUCTURAL.length} numbers`);
  if (m.warn_threshold > m.threshold) problems.push(`${origin}: warn_threshold ${m.warn_threshold} is above threshold ${m.threshold}`);
  if (problems.length > 0) throw new GuardError('RULES_INVALID', `model file ${origin} is invalid`, problems);
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) table[i] = bytes.readInt16LE(i * 2) * m.weights.scale;
  return {
    category: m.category,
    bits: m.features.hash_bits,
    table,
    structural: Float32Array.from(m.structural_weights),
    bias: m.bias,
    threshold: m.threshold,
    warnThreshold: m.warn_threshold,
  };
}

/** Loaded models by category. */
export type Models = Readonly<Record<ModelCategory, Model>>;

let builtin: Models | undefined;

/**
 * The built-in models (`rules/models/injection.json`, `tool-poisoning.json`), read once per process.
 * @param dir another directory of model files (not cached)
 * @throws GuardError `RULES_INVALID` when a file is missing, unreadable or invalid
 */
export function loadModels(dir?: string): Models {
  if (dir === undefined && builtin !== undefined) return builtin;
  const from = dir ?? builtinModelsDir();
  const models = {} as Record<ModelCategory, Model>;
  for (const category of MODEL_CATEGORIES) {
    const file = join(from, `${category}.json`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new GuardError('RULES_INVALID', `cannot read model file ${file}: ${(err as Error).message}`);
    }
    const model = parseModel(json, `${category}.json`);
    if (model.category !== category) throw new GuardError('RULES_INVALID', `model file ${file} holds category ${model.category}`);
    models[category] = model;
  }
  if (dir === undefined) builtin = models;
  return models;
}
