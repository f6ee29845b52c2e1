/**
 * Scores the scanner chain on the labelled corpus (`../shared/corpus`, see its
 * README) through the same in-process entry point as the proxy: each record is
 * wrapped in the JSON-RPC frame it would arrive in and given to `ScanChain`.
 *
 * - secrets: a `tools/call` request whose argument is the text; flagged on a `dlp` finding.
 * - injection: a `tools/call` response whose text block is the text; flagged on an `injection` finding.
 * - tool-poisoning: a `tools/list` response with the tool; flagged on a `tool-poisoning` finding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanChain } from '../scan/chain.js';
import { normalizeConfig } from '../config/normalize.js';
import type { Category, Finding, ScanInput } from '../scan/types.js';
import type { CompiledRule } from '../scan/rule-pack.js';

/** Corpus categories. */
export const EVAL_CATEGORIES = ['secrets', 'injection', 'tool-poisoning'] as const;
export type EvalCategory = (typeof EVAL_CATEGORIES)[number];

/** One scored record. */
export interface ScoredRecord {
  readonly id: string;
  readonly positive: boolean;
  readonly flagged: boolean;
  /** provider / category / kind, when the record has one. */
  readonly group: string;
  /** Source: the id prefix up to the first `-`. */
  readonly source: string;
  readonly rules: readonly string[];
}

/** Rates for one slice of records. */
export interface Rates {
  readonly positives: number;
  readonly detected: number;
  readonly negatives: number;
  readonly falsePositives: number;
  /** detected / positives (1 when there are no positives). */
  readonly detection: number;
  /** falsePositives / negatives (0 when there are no negatives). */
  readonly fpRate: number;
}

/** The score of one category. */
export interface CategoryReport {
  readonly category: EvalCategory;
  readonly overall: Rates;
  readonly byGroup: Record<string, Rates>;
  readonly bySource: Record<string, Rates>;
  readonly misses: readonly ScoredRecord[];
  readonly falsePositives: readonly ScoredRecord[];
  /** Mean scan time per record, µs. */
  readonly meanUs: number;
}

interface RawRecord {
  id: string;
  text?: string;
  tool?: unknown;
  provider?: string;
  category?: string;
  kind?: string;
}

function readJsonl(path: string): RawRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RawRecord);
}

const FINDING_CATEGORY: Record<EvalCategory, Category> = { secrets: 'dlp', injection: 'injection', 'tool-poisoning': 'tool-poisoning' };

function frameFor(category: EvalCategory, rec: RawRecord): ScanInput {
  switch (category) {
    case 'secrets':
      return { direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'eval', arguments: { text: rec.text ?? '' } } } };
    case 'injection':
      return { direction: 'server-to-client', message: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: rec.text ?? '' }] } }, context: { method: 'tools/call', tool: 'eval' } };
    case 'tool-poisoning':
      return { direction: 'server-to-client', message: { jsonrpc: '2.0', id: 1, result: { tools: [rec.tool] } } as ScanInput['message'], context: { method: 'tools/list' } };
  }
}

function rates(records: readonly ScoredRecord[]): Rates {
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

/**
 * Score one category of the corpus.
 * @param corpusDir the corpus root (holding `secrets/`, `injection/`, `tool-poisoning/`)
 * @param rules compiled rule packs (default: the built-in packs)
 * @throws Error when a corpus file is missing or malformed
 */
export function evaluateCategory(corpusDir: string, category: EvalCategory, rules?: readonly CompiledRule[]): CategoryReport {
  // Drift is off: unrelated records must not be compared with each other.
  const config = normalizeConfig({ dlp: { scan_env: false }, mcp_tool_scanning: { detect_drift: false } });
  const chain = new ScanChain({ config, env: {}, ...(rules ? { rules } : {}) });
  const wanted = FINDING_CATEGORY[category];
  const scored: ScoredRecord[] = [];
  let totalUs = 0;
  for (const [file, positive] of [['positives.jsonl', true], ['negatives.jsonl', false]] as const) {
    for (const rec of readJsonl(join(corpusDir, category, file))) {
      const t0 = process.hrtime.bigint();
      const findings: readonly Finding[] = chain.evaluate(frameFor(category, rec)).findings;
      totalUs += Number(process.hrtime.bigint() - t0) / 1000;
      // A documented example value is only a warning (chain.ts), not a detection.
      const hits = findings.filter((f) => f.category === wanted && f.documented !== true);
      scored.push({
        id: rec.id,
        positive,
        flagged: hits.length > 0,
        group: rec.provider ?? rec.category ?? rec.kind ?? '(none)',
        source: rec.id.split('-')[0] ?? rec.id,
        rules: [...new Set(hits.map((f) => f.rule))],
      });
    }
  }
  return {
    category,
    overall: rates(scored),
    byGroup: groupBy(scored, (r) => r.group),
    bySource: groupBy(scored, (r) => r.source),
    misses: scored.filter((r) => r.positive && !r.flagged),
    falsePositives: scored.filter((r) => !r.positive && r.flagged),
    meanUs: scored.length === 0 ? 0 : totalUs / scored.length,
  };
}
