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
import type { EnvSecrets } from './env-secrets.js';
import { walkStrings } from './json-walk.js';
import { maskSecret } from './mask.js';
import { MAX_LEAVES } from './dlp-scanner.js';

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
  readonly #stored: EnvSecrets | undefined;

  /**
   * @param matcher injection rules plus the DLP rules that apply to responses
   * @param model the learned injection scorer, run on the normalised text after the rules
   * @param stored secrets the proxy gave the server from the store: any of their
   *   forms anywhere in a server frame is an `env-secret` finding
   */
  constructor(matcher: RuleMatcher, model?: ModelCheck, stored?: EnvSecrets) {
    this.#matcher = matcher;
    this.#cipher = new RuleMatcher(matcher.rules.filter((r) => r.category === 'dlp'));
    this.#model = model;
    this.#stored = stored !== undefined && stored.storedValues().length > 0 ? stored : undefined;
  }

  warmUp(): void {
    this.#matcher.match('mcp-guard warm-up');
  }

  scan(input: ScanInput): Finding[] {
    if (input.direction !== 'server-to-client') return [];
    const extracted = extractServerText(input);
    const findings = this.scanExtracted(extracted);
    if (this.#stored !== undefined) findings.push(...storedFindings(this.#stored, input.message, extracted));
    return findings;
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
 * Stored secrets a server sends back (`get-env`, an error quoting its config, a
 * token in an unknown field): every string and key of the frame, whether or not
 * it reaches the model, and the model-visible text joined (a value split over two
 * content blocks). The value itself in a string field is redactable; an encoded
 * form, a key, a `blob` or a split value is not (`redact` then blocks).
 */
function storedFindings(stored: EnvSecrets, message: unknown, extracted: ExtractedText): Finding[] {
  const findings: Finding[] = [];
  const { leaves, complete } = walkStrings(message, '', MAX_LEAVES);
  if (!complete) findings.push({ rule: SCAN_LIMIT_RULES.leaves, category: 'protocol', severity: 'high', path: '' });
  const seen = new Set<string>();
  const base = { rule: 'env-secret', category: 'dlp' as const, severity: 'critical' as const };
  for (const leaf of leaves) {
    const path = leaf.isKey ? (leaf.holder ?? '') : leaf.path;
    const redactable = !leaf.isKey && !/(?:^|\.)blob$/.test(leaf.path);
    for (const h of stored.locateStored(leaf.value)) {
      seen.add(h.form);
      const how = h.raw && redactable ? { span: { start: h.start, end: h.end } } : h.raw ? {} : { transform: 'encoded' };
      findings.push({ ...base, path, masked: `${h.name}=${maskSecret(h.form)}`, ...how });
    }
  }
  for (const h of stored.locateStored(extracted.text)) {
    if (!seen.has(h.form)) findings.push({ ...base, path: pathFor(extracted), masked: `${h.name}=${maskSecret(h.form)}`, transform: 'join' });
  }
  return findings;
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
