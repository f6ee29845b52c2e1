/**
 * The learned scorer as a scanner step: thresholds resolved from config and the
 * model file, and the finding it makes (`model:injection`, `model:tool-poisoning`).
 */
import type { ModelThresholds } from '../../config/normalize.js';
import type { Finding } from '../types.js';
import { explain, scoreText, scoreTool, type Model, type ModelCategory, type Score, type ToolScore } from './scorer.js';

/** Rule ids of the scorers' findings. */
export const MODEL_RULES: Record<ModelCategory, string> = { injection: 'model:injection', 'tool-poisoning': 'model:tool-poisoning' };

/** One category's scorer with its thresholds. */
export class ModelCheck {
  readonly model: Model;
  /** Block at or above this score (0–1). */
  readonly block: number;
  /** Warn at or above this score, below `block`. */
  readonly warn: number;
  /** False under `model_action: warn`: every finding is advisory. */
  readonly #blocks: boolean;

  /** @param thresholds config overrides; each missing one is the model file's */
  constructor(model: Model, thresholds: ModelThresholds = {}) {
    this.model = model;
    this.block = thresholds.block ?? model.threshold;
    this.#blocks = thresholds.action !== 'warn';
    this.warn = Math.min(this.block, thresholds.warn ?? Math.min(model.warnThreshold, this.block));
  }

  /** Score a normalised text; undefined when below the warn threshold. */
  text(text: string): Score | undefined {
    const s = scoreText(this.model, text);
    return s.score >= this.warn ? s : undefined;
  }

  /** Score a tool's normalised fields and joined text; undefined when below the warn threshold. */
  tool(fields: readonly string[], joined: string): ToolScore | undefined {
    const s = scoreTool(this.model, fields, joined);
    return s.score >= this.warn ? s : undefined;
  }

  /**
   * The finding for a score at or above the warn threshold: severity high and
   * blocking at or above `block`, else medium and advisory (warn). Carries the
   * score (3 decimals) and the top five features of the best chunk of `text`.
   */
  finding(s: Score, text: string, path: string): Finding {
    const blocks = this.#blocks && s.score >= this.block;
    return {
      rule: MODEL_RULES[this.model.category],
      category: this.model.category,
      severity: blocks ? 'high' : 'medium',
      path,
      score: Math.floor(s.score * 1000) / 1000,
      features: explain(this.model, text, s),
      ...(blocks ? {} : { advisory: true as const }),
    };
  }
}
