/**
 * Server → client scanning in one pass: prompt-injection rules and credential
 * (DLP) rules run together over the concatenated model-visible text of a frame
 * (see surfaces.ts), so the text's variants and the keyword prefilter are
 * computed once. Injection rules see it normalised (NFKC, invisible characters
 * stripped, confusables mapped); both see the decoded views (the ROT13 and
 * reversed ones: credential rules only, {@link CIPHER_VIEWS}). Each finding's
 * category is its rule's, and located matches carry spans for `redact`.
 */
import { RuleMatcher, type RuleHit } from './matcher.js';
import type { RuleCategory } from './rule-pack.js';
import { decodeAll } from './decoders.js';
import { SCAN_LIMIT_RULES } from './dlp-scanner.js';
import { TextVariants } from './normalize.js';
import { segmentAt, type ExtractedText } from './response-text.js';
import { extractServerText } from './surfaces.js';
import type { Finding, ScanInput, Scanner } from './types.js';
import type { ModelCheck } from './model/check.js';

/**
 * Views read for credentials only: ROT13 and reversal (decoders.ts) are made
 * only for a text with a token-like run, because they hide tokens; read with
 * the injection rules too, a whole document's worth of gibberish doubled the
 * cost of scanning it (a README, a source file) and could only add false matches.
 */
export const CIPHER_VIEWS: ReadonlySet<string> = new Set(['rot13', 'reversed']);

/** Largest text (UTF-16 units) that is also decoded and rescanned; bigger texts are scanned as-is. */
export const MAX_DECODE_SCAN = 1024 * 1024;

/** Scans server → client frames. */
export class ResponseScanner implements Scanner {
  readonly name = 'injection' as const;
  readonly #matcher: RuleMatcher;
  /** The credential rules of `#matcher`, for the ROT13 and reversed views (see {@link CIPHER_VIEWS}). */
  readonly #cipher: RuleMatcher;
  readonly #model: ModelCheck | undefined;

  /**
   * @param matcher injection rules plus the DLP rules that apply to responses
   * @param model the learned injection scorer, run on the normalised text after the rules
   */
  constructor(matcher: RuleMatcher, model?: ModelCheck) {
    this.#matcher = matcher;
    this.#cipher = new RuleMatcher(matcher.rules.filter((r) => r.category === 'dlp'));
    this.#model = model;
  }

  warmUp(): void {
    this.#matcher.match('mcp-guard warm-up');
  }

  scan(input: ScanInput): Finding[] {
    if (input.direction !== 'server-to-client') return [];
    return this.scanExtracted(extractServerText(input));
  }

  /**
   * A frame the fast path cleared (no rule can match its text): only the
   * learned scorer runs. Its text is printable ASCII, which normalising leaves
   * as it is, so the scorer reads exactly what the full path gives it.
   */
  scanCleared(input: ScanInput, extracted: ExtractedText): Finding[] {
    const findings: Finding[] = [];
    if (input.direction === 'server-to-client' && this.#model !== undefined && extracted.text.length > 0) this.#score(extracted, extracted.text, extracted.text, findings);
    return findings;
  }

  /**
   * The scorer's finding on `text` (the normalised text of `extracted`), if any.
   * @param raw the text it was normalised from (offsets map to fields only when the two are equal)
   */
  #score(extracted: ExtractedText, text: string, raw: string, findings: Finding[]): void {
    const s = this.#model?.text(text);
    if (s === undefined || this.#model === undefined) return;
    // Offsets into the normalised text name a field only when normalising changed nothing.
    findings.push(this.#model.finding(s, text, text === raw ? (segmentAt(extracted, s.start)?.path ?? pathFor(extracted)) : pathFor(extracted)));
  }

  /**
   * Scan already-extracted text; findings point at the segment holding each hit.
   * Parts the extraction could not read (`unreadable`) are findings too.
   */
  scanExtracted(extracted: ExtractedText): Finding[] {
    const findings: Finding[] = [...(extracted.unreadable ?? [])];
    if (extracted.text.length === 0) return findings;
    const tv = new TextVariants(extracted.text);
    const located = this.#matcher.find(tv, { firstPerRule: false });
    // Fail closed: a rule stopped at a cap may have more matches (decoys first, or a 65th token to redact).
    if (located.limited.length > 0) findings.push({ rule: SCAN_LIMIT_RULES.hits, category: 'protocol', severity: 'high', path: pathFor(extracted) });
    for (const h of located.hits) {
      const exact = h.transform === undefined;
      const seg = exact ? segmentAt(extracted, h.start) : undefined;
      findings.push({
        ...hitFinding(h, seg?.path ?? pathFor(extracted)),
        ...(h.transform ? { transform: h.transform } : {}),
        // Redactable only when the whole match (a key block from BEGIN to END) lies inside one field that can be rewritten in place.
        ...(seg && !h.open && h.end <= seg.end && seg.fixed !== true ? { span: { start: h.start - seg.start, end: h.end - seg.start } } : {}),
      });
    }
    if (this.#model !== undefined) this.#score(extracted, tv.get('normalized'), tv.raw, findings);
    if (extracted.text.length > MAX_DECODE_SCAN || !tv.mayDecode()) return findings;
    for (const seg of extracted.segments) {
      const part = extracted.text.slice(seg.start, seg.end);
      for (const d of decodeAll(part)) {
        const found = (CIPHER_VIEWS.has(d.transform) ? this.#cipher : this.#matcher).find(d.text);
        if (found.limited.length > 0) findings.push({ rule: SCAN_LIMIT_RULES.hits, category: 'protocol', severity: 'high', path: seg.path });
        for (const h of found.hits) findings.push({ ...hitFinding(h, seg.path), transform: d.transform });
      }
    }
    return findings;
  }
}

/**
 * The finding for a rule hit at `path`, without span or transform. Credential
 * findings carry the masked preview (`maskSecret`: `ghp_…[40 chars]`), as
 * argument DLP findings do, and `unterminated` for a key block with no END line.
 */
function hitFinding(h: RuleHit, path: string): Finding {
  const category = categoryOf(h.rule.category);
  return {
    rule: h.rule.id,
    category,
    severity: h.rule.severity,
    path,
    ...(category === 'dlp' ? { masked: h.masked } : {}),
    ...(h.open ? { unterminated: true as const } : {}),
  };
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
