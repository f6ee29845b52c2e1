/**
 * Scores the scanner chain (rules and learned scorers together) on labelled
 * records (`../shared/corpus`, see its README, and `data/`) through the same
 * in-process entry point as the proxy: each record is wrapped in the JSON-RPC
 * frame it would arrive in and given to `ScanChain`.
 *
 * - secrets: a `tools/call` request whose argument is the text; flagged on a `dlp` finding.
 * - injection: a `tools/call` response whose text block is the text; flagged on an `injection` finding.
 * - tool-poisoning: a `tools/list` response with the tool; flagged on a `tool-poisoning` finding.
 *
 * A finding that only warns (a learned score between the warn and block
 * thresholds) does not count as flagged: the rates are those of blocking.
 *
 * {@link crossSource} measures generalisation: for every source, the scorer is
 * trained on all other sources and the left-out one is scored.
 */
import { ScanChain } from '../scan/chain.js';
import { normalizeConfig } from '../config/normalize.js';
import type { Category, Finding, ScanInput } from '../scan/types.js';
import type { CompiledRule } from '../scan/rule-pack.js';
import { loadModels, type Models } from '../scan/model/loader.js';
import { MODEL_RULES } from '../scan/model/check.js';
import type { ModelCategory } from '../scan/model/scorer.js';
import { trainModel, type TrainOptions } from '../scan/model/train.js';
import { EVAL_CATEGORIES, readRecords, sourceGroup, type EvalCategory, type LabelledRecord, type RecordDir } from './records.js';

export { EVAL_CATEGORIES, type EvalCategory };

/** One scored record. */
export interface ScoredRecord {
  readonly id: string;
  readonly positive: boolean;
  readonly flagged: boolean;
  /** Flagged by a rule (not counting the learned scorer). */
  readonly byRule: boolean;
  /** Flagged by the learned scorer (a blocking `model:*` finding). */
  readonly byModel: boolean;
  /** What the record is, for both labels: see {@link groupOf}. */
  readonly group: string;
  /** provider (secrets) or attack category (injection) of a positive; for tables of misses. */
  readonly family: string;
  /** Source: the id prefix up to the first `-`. */
  readonly source: string;
  readonly rules: readonly string[];
  /** The learned score (0–1), when the scorer ran and reached its warn threshold. */
  readonly score?: number;
}

/** Rates for one slice of records. */
export interface Rates {
  readonly positives: number;
  readonly detected: number;
  readonly negatives: number;
  readonly falsePositives: number;
  /** detected / positives (1 when there are no positives: check `positives` before trusting it). */
  readonly detection: number;
  /** falsePositives / negatives (0 when there are no negatives: check `negatives` before trusting it). */
  readonly fpRate: number;
}

/** The score of one category. */
export interface CategoryReport {
  readonly category: EvalCategory;
  readonly overall: Rates;
  /** By {@link groupOf}: each group holds both labels where the corpus has them. */
  readonly byGroup: Record<string, Rates>;
  /** Positives by provider / attack category (detection only). */
  readonly byFamily: Record<string, Rates>;
  readonly bySource: Record<string, Rates>;
  readonly misses: readonly ScoredRecord[];
  readonly falsePositives: readonly ScoredRecord[];
  /** Mean scan time per record, µs. */
  readonly meanUs: number;
}

const FINDING_CATEGORY: Record<EvalCategory, Category> = { secrets: 'dlp', injection: 'injection', 'tool-poisoning': 'tool-poisoning' };

/**
 * The group a record is counted in, the same for attacks and benign records:
 * injection by `kind` (an attack is a tool output with an instruction in it,
 * so its kind is `tool-output`; benign records are `tool-output` or
 * `over-defense`), secrets and tool poisoning as one group each (their
 * negatives carry no provider). Grouping positives by attack category and
 * negatives by kind left `tool-output` without positives, so its floor held vacuously (issue 18).
 */
export function groupOf(category: EvalCategory, rec: Pick<LabelledRecord, 'positive' | 'kind'>): string {
  if (category === 'injection') return rec.kind ?? (rec.positive ? 'tool-output' : '(none)');
  return category;
}

function frameFor(category: EvalCategory, rec: LabelledRecord): ScanInput {
  switch (category) {
    case 'secrets':
      return { direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'eval', arguments: { text: rec.text ?? '' } } } };
    case 'injection':
      return { direction: 'server-to-client', message: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: rec.text ?? '' }] } }, context: { method: 'tools/call', tool: 'eval' } };
    case 'tool-poisoning':
      return { direction: 'server-to-client', message: { jsonrpc: '2.0', id: 1, result: { tools: [rec.tool] } } as ScanInput['message'], context: { method: 'tools/list' } };
  }
}

/** Rates of a set of scored records. */
export function rates(records: readonly Pick<ScoredRecord, 'positive' | 'flagged'>[]): Rates {
  const pos = records.filter((r) => r.positive);
  const neg = records.filter((r) => !r.positive);
  const detected = pos.filter((r) => r.flagged).length;
  const fps = neg.filter((r) => r.flagged).length;
  return {
    positives: pos.length,
    detected,
    negatives: neg.length,
    falsePositives: fps,
    detection: pos.length === 0 ? 1 : detected / pos.length,
    fpRate: neg.length === 0 ? 0 : fps / neg.length,
  };
}

function groupBy(records: readonly ScoredRecord[], key: (r: ScoredRecord) => string): Record<string, Rates> {
  const groups = new Map<string, ScoredRecord[]>();
  for (const r of records) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, rates(v)]));
}

/** What to score with. */
export interface EvalOptions {
  /** Compiled rule packs (default: the built-in packs). */
  readonly rules?: readonly CompiledRule[];
  /** Learned scorers (default: rules/models); `null` for rules only. */
  readonly models?: Models | null;
}

/** Directories as given: one corpus path, or several labelled directories. */
function dirsOf(dirs: string | readonly RecordDir[]): readonly RecordDir[] {
  return typeof dirs === 'string' ? [{ label: 'corpus', path: dirs }] : dirs;
}

/** Score records of one category with one chain. */
export function scoreRecords(category: EvalCategory, records: readonly LabelledRecord[], options: EvalOptions = {}): { scored: ScoredRecord[]; totalUs: number } {
  // Drift is off: unrelated records must not be compared with each other.
  // The scorers are measured as detectors: at their block threshold (the proxy's default only warns).
  const config = normalizeConfig({ dlp: { scan_env: false }, mcp_tool_scanning: { detect_drift: false, model_action: 'block' }, response_scanning: { model_action: 'block' } });
  const models = options.models === undefined ? loadModels() : options.models;
  const chain = new ScanChain({ config, env: {}, models, ...(options.rules ? { rules: options.rules } : {}) });
  const wanted = FINDING_CATEGORY[category];
  const modelRule = category === 'secrets' ? undefined : MODEL_RULES[category];
  const scored: ScoredRecord[] = [];
  let totalUs = 0;
  for (const rec of records) {
    const t0 = process.hrtime.bigint();
    const findings: readonly Finding[] = chain.evaluate(frameFor(category, rec)).findings;
    totalUs += Number(process.hrtime.bigint() - t0) / 1000;
    const mine = findings.filter((f) => f.category === wanted);
    // A documented example value is only a warning (chain.ts), not a detection.
    const hits = mine.filter((f) => f.advisory !== true && f.documented !== true);
    const model = mine.find((f) => f.rule === modelRule);
    scored.push({
      id: rec.id,
      positive: rec.positive,
      flagged: hits.length > 0,
      byRule: hits.some((f) => f.rule !== modelRule),
      byModel: hits.some((f) => f.rule === modelRule),
      group: groupOf(category, rec),
      family: rec.provider ?? rec.category ?? rec.kind ?? '(none)',
      source: rec.source,
      rules: [...new Set(hits.map((f) => f.rule))],
      ...(model?.score !== undefined ? { score: model.score } : {}),
    });
  }
  return { scored, totalUs };
}

function report(category: EvalCategory, scored: readonly ScoredRecord[], totalUs: number): CategoryReport {
  return {
    category,
    overall: rates(scored),
    byGroup: groupBy(scored, (r) => r.group),
    byFamily: groupBy(
      scored.filter((r) => r.positive),
      (r) => r.family,
    ),
    bySource: groupBy(scored, (r) => r.source),
    misses: scored.filter((r) => r.positive && !r.flagged),
    falsePositives: scored.filter((r) => !r.positive && r.flagged),
    meanUs: scored.length === 0 ? 0 : totalUs / scored.length,
  };
}

/**
 * Score one category of the corpus (in-sample for the shipped scorers: they were trained on it).
 * @param dirs the corpus root (holding `secrets/`, `injection/`, `tool-poisoning/`), or several labelled roots
 * @throws Error when a corpus file is malformed
 */
export function evaluateCategory(dirs: string | readonly RecordDir[], category: EvalCategory, options: EvalOptions = {}): CategoryReport {
  const { records } = readRecords(dirsOf(dirs), category);
  const { scored, totalUs } = scoreRecords(category, records, options);
  return report(category, scored, totalUs);
}

/** A floor: minimum detection, maximum false-positive rate. */
export interface Floor {
  readonly detection: number;
  readonly fp: number;
}

/**
 * Check rates against a floor. A floor is only meaningful on a slice that has
 * both labels: a detection floor over no positives (or an FP ceiling over no
 * negatives) would hold vacuously, so that throws.
 * @returns the broken limits (empty when the floor holds)
 * @throws Error naming the slice when it has no positives (detection floor > 0) or no negatives (fp ceiling < 1)
 */
export function checkFloor(name: string, r: Rates | undefined, floor: Floor): string[] {
  if (r === undefined) throw new Error(`eval: no records in ${name}: its floor cannot be checked`);
  if (floor.detection > 0 && r.positives === 0) throw new Error(`eval: ${name} has no positives: its detection floor would hold vacuously`);
  if (floor.fp < 1 && r.negatives === 0) throw new Error(`eval: ${name} has no negatives: its false-positive ceiling would hold vacuously`);
  const broken: string[] = [];
  if (r.detection < floor.detection) broken.push(`${name}: detection ${r.detection.toFixed(4)} < ${floor.detection}`);
  if (r.fpRate > floor.fp) broken.push(`${name}: false positives ${r.fpRate.toFixed(4)} > ${floor.fp}`);
  return broken;
}

/** One left-out source of a cross-source run. */
export interface SourceResult {
  readonly source: string;
  /** Which directory label(s) it came from (`corpus`, `data`). */
  readonly rates: Rates;
  /** Attacks caught by rules alone / by the scorer alone (some by both). */
  readonly byRule: number;
  readonly byModel: number;
  /** Benign records blocked by rules / by the scorer. */
  readonly fpByRule: number;
  readonly fpByModel: number;
  /** The thresholds of the model trained without this source. */
  readonly threshold: number;
  readonly warnThreshold: number;
  /** Up to 10 missed attacks and 10 false positives (ids). */
  readonly misses: readonly string[];
  readonly falsePositives: readonly string[];
}

/** A cross-source run of one category. */
export interface CrossSourceReport {
  readonly category: ModelCategory;
  readonly sources: readonly SourceResult[];
  /** Mean over sources with positives / with negatives. */
  readonly meanRecall: number;
  readonly meanFpRate: number;
  /** All left-out scores pooled. */
  readonly pooled: Rates;
  /** Pooled over the benign records the thresholds aim at (tool outputs; tool definitions). */
  readonly pooledTargetFp: Rates;
}

/**
 * Cross-source validation: for every source of `category`, train the scorer
 * on all other sources (thresholds from their benign records, out of fold;
 * sources that share carriers, `SOURCE_GROUPS` in records.ts, are left out together),
 * score the left-out source with rules and that scorer, and report its rates.
 * To keep the run short, thresholds come from 2 folds and training takes 4
 * epochs here (the shipped models: 5 folds, 8 epochs).
 * The tool-poisoning scorer also trains on the injection attacks (as the
 * shipped one does), minus any from the left-out source.
 * @param dirs labelled roots (corpus, data)
 * @param onSource progress callback, per source done
 */
export function crossSource(
  dirs: string | readonly RecordDir[],
  category: ModelCategory,
  options: { train?: TrainOptions; sources?: readonly string[]; onSource?: (r: SourceResult) => void } = {},
): CrossSourceReport {
  const d = dirsOf(dirs);
  const { records } = readRecords(d, category);
  const injection = category === 'tool-poisoning' ? readRecords(d, 'injection').records : [];
  const builtin = loadModels();
  const sources = options.sources ?? [...new Set(records.map((r) => r.source))].sort();
  const results: SourceResult[] = [];
  const pooledAll: ScoredRecord[] = [];
  // One model per group of sources left out together (SOURCE_GROUPS), reused for each source of the group.
  const byGroup = new Map<string, ReturnType<typeof trainModel>>();
  for (const source of sources) {
    const group = sourceGroup(source);
    let trained = byGroup.get(group);
    if (trained === undefined) {
      const train = records.filter((r) => sourceGroup(r.source) !== group);
      const extra = injection.filter((r) => r.positive && sourceGroup(r.source) !== group && r.text !== undefined).map((r) => r.text as string);
      trained = trainModel(category, train, { folds: 2, epochs: 4, ...options.train }, extra);
      byGroup.set(group, trained);
    }
    const held = records.filter((r) => r.source === source);
    const models: Models = { ...builtin, [category]: trained.model };
    const { scored } = scoreRecords(category, held, { models });
    pooledAll.push(...scored);
    const pos = scored.filter((r) => r.positive);
    const neg = scored.filter((r) => !r.positive);
    const result: SourceResult = {
      source,
      rates: rates(scored),
      byRule: pos.filter((r) => r.byRule).length,
      byModel: pos.filter((r) => r.byModel).length,
      fpByRule: neg.filter((r) => r.byRule).length,
      fpByModel: neg.filter((r) => r.byModel).length,
      threshold: trained.model.threshold,
      warnThreshold: trained.model.warnThreshold,
      misses: pos.filter((r) => !r.flagged).slice(0, 10).map((r) => r.id),
      falsePositives: neg.filter((r) => r.flagged).slice(0, 10).map((r) => r.id),
    };
    results.push(result);
    options.onSource?.(result);
  }
  const withPos = results.filter((r) => r.rates.positives > 0);
  const withNeg = results.filter((r) => r.rates.negatives > 0);
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const targetIds = new Set(records.filter((r) => !r.positive && (category === 'tool-poisoning' || (r.kind ?? 'tool-output') === 'tool-output')).map((r) => r.id));
  return {
    category,
    sources: results,
    meanRecall: mean(withPos.map((r) => r.rates.detection)),
    meanFpRate: mean(withNeg.map((r) => r.rates.fpRate)),
    pooled: rates(pooledAll),
    pooledTargetFp: rates(pooledAll.filter((r) => r.positive || targetIds.has(r.id))),
  };
}
