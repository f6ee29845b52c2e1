/**
 * Tool-description poisoning: runs the tool-poisoning and injection rules over
 * every string of every tool in a `tools/list` result (tool-text.ts), over
 * the tool's texts joined, so an instruction split across fields is still seen.
 * Findings point at the field (`result.tools[i].description`, …). A tool nested
 * too deeply to read whole is a `tool-too-deep` finding at `result.tools[i]`,
 * so it is filtered out rather than forwarded partly unread.
 */
import type { RuleMatcher } from './matcher.js';
import { decodeAll } from './decoders.js';
import { TextVariants } from './normalize.js';
import { TOOL_TOO_DEEP, listedTools, walkTool } from './tool-text.js';
import { TextCollector, pathAt } from './response-text.js';
import { joinPath } from './json-walk.js';
import type { Finding, ScanInput, Scanner } from './types.js';
import type { ModelCheck } from './model/check.js';
import { normalizeText } from './normalize.js';

/** Scans `tools/list` results. */
export class PoisoningScanner implements Scanner {
  readonly name = 'tool-poisoning' as const;
  readonly #matcher: RuleMatcher;
  readonly #model: ModelCheck | undefined;

  /**
   * @param matcher tool-poisoning rules plus injection rules
   * @param model the learned tool-poisoning scorer: each text field and the whole tool, normalised
   */
  constructor(matcher: RuleMatcher, model?: ModelCheck) {
    this.#matcher = matcher;
    this.#model = model;
  }

  warmUp(): void {
    this.#matcher.match('mcp-guard warm-up');
  }

  scan(input: ScanInput): Finding[] {
    const tools = listedTools(input);
    if (tools === undefined) return [];
    const findings: Finding[] = [];
    tools.forEach((tool, i) => findings.push(...this.scanTool(tool, joinPath('result.tools', i))));
    return findings;
  }

  /**
   * Scan one tool definition; at most one finding per rule per tool. The
   * tool's texts are joined (one set pass per tool) and each hit is traced
   * back to its field; decoded views are scanned per field. A definition
   * nested deeper than `MAX_TOOL_DEPTH` (tool-text.ts) adds a `tool-too-deep` finding
   * (high) at `base`.
   */
  scanTool(tool: unknown, base: string): Finding[] {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    const add = (rule: string, severity: Finding['severity'], path: string, transform?: string): void => {
      if (seen.has(rule)) return;
      seen.add(rule);
      findings.push({ rule, category: 'tool-poisoning', severity, path, ...(transform ? { transform } : {}) });
    };
    const walk = walkTool(tool, base);
    if (walk.tooDeep !== undefined) add(TOOL_TOO_DEEP, 'high', base);
    const collector = new TextCollector();
    for (const t of walk.texts) collector.add(t.path, t.kind === 'name' ? t.value.replace(/[_-]+/g, ' ') : t.value);
    const joined = collector.done();
    const tv = new TextVariants(joined.text);
    for (const h of this.#matcher.match(tv)) {
      add(h.rule.id, h.rule.severity, h.transform === undefined ? pathAt(joined, h.start) : base, h.transform);
    }
    if (this.#model !== undefined) {
      const all = tv.get('normalized');
      const same = all === tv.raw;
      const fields = joined.segments.map((s) => (same ? all.slice(s.start, s.end) : normalizeText(joined.text.slice(s.start, s.end))));
      const s = this.#model.tool(fields, all);
      if (s !== undefined) {
        const text = s.field < 0 ? all : (fields[s.field] as string);
        const path = s.field >= 0 ? (joined.segments[s.field]?.path ?? base) : same ? pathAt(joined, s.start) : base;
        const f = this.#model.finding(s, text, path);
        seen.add(f.rule);
        findings.push(f);
      }
    }
    if (!tv.mayDecode()) return findings;
    for (const seg of joined.segments) {
      const value = joined.text.slice(seg.start, seg.end);
      for (const d of decodeAll(value)) {
        for (const h of this.#matcher.match(d.text)) add(h.rule.id, h.rule.severity, seg.path, d.transform);
      }
    }
    return findings;
  }
}
