/**
 * Server → client scanning in one pass: prompt-injection rules and credential
 * (DLP) rules run together over the concatenated model-visible text of a frame
 * (see surfaces.ts), so the text's variants and the keyword prefilter are
 * computed once. Injection rules see it normalised (NFKC, invisible characters
 * stripped, confusables mapped); both see the decoded views. Each finding's
 * category is its rule's, and located matches carry spans for `redact`.
 */
import type { RuleMatcher } from './matcher.js';
import type { RuleCategory } from './rule-pack.js';
import { decodeAll } from './decoders.js';
import { TextVariants } from './normalize.js';
import { segmentAt, type ExtractedText } from './response-text.js';
import { extractServerText } from './surfaces.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/** Largest text (UTF-16 units) that is also decoded and rescanned; bigger texts are scanned as-is. */
export const MAX_DECODE_SCAN = 1024 * 1024;

/** Scans server → client frames. */
export class ResponseScanner implements Scanner {
  readonly name = 'injection' as const;
  readonly #matcher: RuleMatcher;

  /** @param matcher injection rules plus the DLP rules that apply to responses */
  constructor(matcher: RuleMatcher) {
    this.#matcher = matcher;
  }

  warmUp(): void {
    this.#matcher.match('mcp-guard warm-up');
  }

  scan(input: ScanInput): Finding[] {
    if (input.direction !== 'server-to-client') return [];
    return this.scanExtracted(extractServerText(input));
  }

  /** Scan already-extracted text; findings point at the segment holding each hit. */
  scanExtracted(extracted: ExtractedText): Finding[] {
    const findings: Finding[] = [];
    if (extracted.text.length === 0) return findings;
    const tv = new TextVariants(extracted.text);
    for (const h of this.#matcher.match(tv, { firstPerRule: false })) {
      const exact = h.transform === undefined;
      const seg = exact ? segmentAt(extracted, h.start) : undefined;
      findings.push({
        rule: h.rule.id,
        category: categoryOf(h.rule.category),
        severity: h.rule.severity,
        path: seg?.path ?? pathFor(extracted),
        ...(h.transform ? { transform: h.transform } : {}),
        // Redactable only when the match lies inside one field.
        ...(seg && h.end <= seg.end ? { span: { start: h.start - seg.start, end: h.end - seg.start } } : {}),
      });
    }
    if (extracted.text.length > MAX_DECODE_SCAN || !tv.mayDecode()) return findings;
    for (const seg of extracted.segments) {
      const part = extracted.text.slice(seg.start, seg.end);
      for (const d of decodeAll(part)) {
        for (const h of this.#matcher.match(d.text)) {
          findings.push({ rule: h.rule.id, category: categoryOf(h.rule.category), severity: h.rule.severity, path: seg.path, transform: d.transform });
        }
      }
    }
    return findings;
  }
}

function categoryOf(c: RuleCategory): Finding['category'] {
  return c === 'dlp' ? 'dlp' : 'injection';
}

/** Offsets in a transformed variant do not map back to raw offsets; name the whole field set. */
function pathFor(extracted: ExtractedText): string {
  if (extracted.segments.length === 1) return extracted.segments[0]?.path ?? '';
  const first = extracted.segments[0]?.path ?? '';
  return first.replace(/\[\d+\].*$/, '');
}
