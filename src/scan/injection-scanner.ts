/**
 * Response injection: runs the injection rules over the concatenated
 * model-visible text of a server frame (see surfaces.ts), normalised (NFKC,
 * invisible characters stripped, confusables mapped) and decoded.
 */
import type { RuleMatcher } from './matcher.js';
import { decodeAll } from './decoders.js';
import { TextVariants } from './normalize.js';
import { segmentAt, type ExtractedText } from './response-text.js';
import { extractServerText } from './surfaces.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/** Largest text (UTF-16 units) that is also decoded and rescanned; bigger texts are scanned as-is. */
export const MAX_DECODE_SCAN = 1024 * 1024;

/** Scans server → client responses. */
export class InjectionScanner implements Scanner {
  readonly name = 'injection' as const;
  readonly #matcher: RuleMatcher;

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
        category: 'injection',
        severity: h.rule.severity,
        path: seg?.path ?? pathFor(extracted),
        ...(h.transform ? { transform: h.transform } : {}),
        // Redactable only when the match lies inside one field.
        ...(seg && h.end <= seg.end ? { span: { start: h.start - seg.start, end: h.end - seg.start } } : {}),
      });
    }
    if (findings.length > 0 || extracted.text.length > MAX_DECODE_SCAN || !tv.mayDecode()) return findings;
    for (const seg of extracted.segments) {
      const part = extracted.text.slice(seg.start, seg.end);
      for (const d of decodeAll(part)) {
        for (const h of this.#matcher.match(d.text)) {
          findings.push({ rule: h.rule.id, category: 'injection', severity: h.rule.severity, path: seg.path, transform: d.transform });
        }
      }
    }
    return findings;
  }
}

/** Offsets in a transformed variant do not map back to raw offsets; name the whole field set. */
function pathFor(extracted: ExtractedText): string {
  if (extracted.segments.length === 1) return extracted.segments[0]?.path ?? '';
  const first = extracted.segments[0]?.path ?? '';
  return first.replace(/\[\d+\].*$/, '');
}
