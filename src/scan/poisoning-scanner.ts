/**
 * Tool-description poisoning: runs the tool-poisoning and injection rules over
 * every text field of every tool in a `tools/list` result (tool-text.ts), field
 * by field and over the tool's texts joined, so an instruction split across
 * fields is still seen. Findings point at `result.tools[i]…`.
 */
import type { RuleMatcher } from './matcher.js';
import { decodeAll } from './decoders.js';
import { toolTexts } from './tool-text.js';
import { joinPath } from './json-walk.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/** Scans `tools/list` results. */
export class PoisoningScanner implements Scanner {
  readonly name = 'tool-poisoning' as const;
  readonly #matcher: RuleMatcher;

  /** @param matcher tool-poisoning rules plus injection rules */
  constructor(matcher: RuleMatcher) {
    this.#matcher = matcher;
  }

  scan(input: ScanInput): Finding[] {
    if (input.direction !== 'server-to-client' || input.context?.method !== 'tools/list') return [];
    const result = input.message.result;
    if (result === null || typeof result !== 'object' || Array.isArray(result)) return [];
    const tools = result['tools'];
    if (!Array.isArray(tools)) return [];
    const findings: Finding[] = [];
    tools.forEach((tool, i) => findings.push(...this.scanTool(tool, joinPath('result.tools', i))));
    return findings;
  }

  /** Scan one tool definition; at most one finding per rule per tool. */
  scanTool(tool: unknown, base: string): Finding[] {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    const add = (rule: string, severity: Finding['severity'], path: string, transform?: string): void => {
      if (seen.has(rule)) return;
      seen.add(rule);
      findings.push({ rule, category: 'tool-poisoning', severity, path, ...(transform ? { transform } : {}) });
    };
    const texts = toolTexts(tool, base);
    for (const t of texts) {
      const value = t.kind === 'name' ? t.value.replace(/[_-]+/g, ' ') : t.value;
      for (const h of this.#matcher.match(value)) add(h.rule.id, h.rule.severity, t.path, h.transform);
      for (const d of decodeAll(value)) {
        for (const h of this.#matcher.match(d.text)) add(h.rule.id, h.rule.severity, t.path, d.transform);
      }
    }
    if (texts.length > 1) {
      const joined = texts.map((t) => t.value).join('\n');
      for (const h of this.#matcher.match(joined)) add(h.rule.id, h.rule.severity, base, h.transform);
    }
    return findings;
  }
}
