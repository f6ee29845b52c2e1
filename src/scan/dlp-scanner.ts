/**
 * Argument DLP, client → server: every string leaf and every object key of the
 * whole frame (`id`, `method`, `params`, a response's `result`, and any other
 * top-level field), in raw form and in every decoded view (base64, hex,
 * URL-encoding, …), plus secrets split across fields. (Server → client credentials are found by the
 * response scanner, in the same pass as prompt injection.)
 */
import { walkStrings, type StringLeaf } from './json-walk.js';
import type { MatchResult, RuleMatcher } from './matcher.js';
import { decodeViews, mayDecode } from './decoders.js';
import { TextVariants } from './normalize.js';
import type { EnvSecrets } from './env-secrets.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/** Values considered for split-secret joining, at most. */
export const MAX_JOIN_FIELDS = 12;
/** Longest value (UTF-16 units) considered for joining; longer ones are scanned alone. */
export const MAX_JOIN_LENGTH = 512;
/**
 * Strings (values and keys) scanned per frame at most; past it the frame is
 * blocked with {@link SCAN_LIMIT_RULES}.leaves. A 16 MiB frame can hold
 * millions of tiny strings; no real request needs this many.
 */
export const MAX_LEAVES = 100_000;

/**
 * Rule ids of the fail-closed findings (category `protocol`, so the frame is
 * blocked whatever the DLP action): a scan stopped at a cap cannot vouch for
 * the rest of the frame.
 * - `hits`: a rule reached `MAX_HITS_PER_RULE` located matches, or
 *   `MAX_REJECTED_PER_RULE` rejected ones (decoys), in one string (matcher.ts).
 * - `decode`: decoding one string ran out of its output budget, or a compressed
 *   stream inflated past its cap, with encoded text not yet looked at (decoders.ts).
 * - `leaves`: the frame holds more than {@link MAX_LEAVES} strings.
 */
export const SCAN_LIMIT_RULES = {
  hits: 'scan-limit-hits',
  decode: 'scan-limit-decode',
  leaves: 'scan-limit-leaves',
} as const;

/**
 * Where a located match can be redacted: a string value inside `params` or
 * `result`. Keys, `id`, `method` and other envelope fields are never rewritten
 * (that would mangle routing or the shape), so a match there blocks.
 */
const REDACTABLE = /^(?:params|result)[.[]/;

/** A fail-closed finding at `path`. */
function limitFinding(rule: string, path: string): Finding {
  return { rule, category: 'protocol', severity: 'high', path };
}

/**
 * The joined texts split-secret detection scans, with their paths: the values
 * of a frame in sorted-path order, then every ordered pair. Values come from
 * `params.arguments` when there are any, else from `params` / `result` (not
 * `params.name`); only {@link MAX_JOIN_FIELDS} values of 4 to {@link MAX_JOIN_LENGTH}
 * units. Empty when fewer than two values qualify.
 */
export function joinedTexts(leaves: readonly StringLeaf[]): Array<[string, string]> {
  // For tools/call only the arguments are joined: the tool name is not part of a value.
  const args = leaves.filter((l) => l.path.startsWith('params.arguments'));
  const body = leaves.filter((l) => REDACTABLE.test(l.path) && l.path !== 'params.name');
  const pool = args.length > 0 ? args : body;
  const values = pool.filter((l) => !l.isKey && l.value.length >= 4 && l.value.length <= MAX_JOIN_LENGTH).slice(0, MAX_JOIN_FIELDS);
  if (values.length < 2) return [];
  const sorted = [...values].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const out: Array<[string, string]> = [[sorted.map((l) => l.value).join(''), sorted.map((l) => l.path).join('+')]];
  for (const a of values) {
    for (const b of values) {
      if (a !== b) out.push([a.value + b.value, `${a.path}+${b.path}`]);
    }
  }
  return out;
}

/** Options for {@link DlpScanner}. */
export interface DlpScannerOptions {
  /** High-entropy values from the proxy's own environment (see env-secrets.ts). */
  readonly envSecrets?: EnvSecrets;
}

/** Scans client → server requests and notifications. */
export class DlpScanner implements Scanner {
  readonly name = 'dlp' as const;
  readonly #matcher: RuleMatcher;
  readonly #envSecrets: EnvSecrets | undefined;

  constructor(matcher: RuleMatcher, options: DlpScannerOptions = {}) {
    this.#matcher = matcher;
    this.#envSecrets = options.envSecrets;
  }

  warmUp(): void {
    this.#matcher.match('mcp-guard warm-up');
  }

  scan(input: ScanInput): Finding[] {
    if (input.direction !== 'client-to-server') return [];
    return this.scanValue(input.message, '');
  }

  /**
   * Scan any JSON value; findings carry paths below `basePath`. Past
   * {@link MAX_LEAVES} strings a `scan-limit-leaves` finding fails closed.
   */
  scanValue(value: unknown, basePath: string): Finding[] {
    const findings: Finding[] = [];
    const { leaves, complete } = walkStrings(value, basePath, MAX_LEAVES);
    if (!complete) findings.push(limitFinding(SCAN_LIMIT_RULES.leaves, basePath));
    for (const leaf of leaves) {
      // A key's own path would spell the secret out: name the object holding it.
      if (leaf.isKey) this.scanText(leaf.value, leaf.holder ?? basePath, findings, false);
      else this.scanText(leaf.value, leaf.path, findings, REDACTABLE.test(leaf.path));
    }
    this.#scanJoined(leaves, findings);
    return findings;
  }

  /**
   * Split secrets: a credential cut across two fields (`{"a":"ghp_12…","b":"…xyz"}`)
   * is caught by scanning the values joined in sorted-path order, and every
   * ordered pair of values, for at most {@link MAX_JOIN_FIELDS} short values.
   * Only rules not already found in a single field are reported, with transform `join`.
   */
  #scanJoined(leaves: readonly StringLeaf[], findings: Finding[]): void {
    const found = new Set(findings.map((f) => f.rule));
    for (const [text, path] of joinedTexts(leaves)) {
      // An environment or stored secret cut across two fields, too.
      if (!found.has('env-secret')) {
        const before = findings.length;
        this.#envSecrets?.scan(text, path, 'join', findings);
        if (findings.length > before) found.add('env-secret');
      }
      for (const h of this.#hits(this.#matcher.find(text), path, findings)) {
        if (found.has(h.rule.id)) continue;
        found.add(h.rule.id);
        findings.push({ rule: h.rule.id, category: 'dlp', severity: h.rule.severity, path, transform: 'join', masked: h.masked });
      }
    }
  }

  /**
   * Findings for documented example values (`AKIAIOSFODNN7EXAMPLE`): severity
   * `low`, `documented: true`, so the chain warns instead of blocking. One per
   * rule and string, and none once the rule has a real hit there.
   */
  #documented(result: MatchResult, path: string, found: Set<string>, findings: Finding[], transform: string | undefined): void {
    for (const e of result.examples) {
      const key = `example:${e.rule.id}`;
      if (found.has(e.rule.id) || found.has(key)) continue;
      found.add(key);
      const how = (transform ?? e.transform) !== undefined ? { transform: transform ?? (e.transform as string) } : {};
      findings.push({ rule: e.rule.id, category: 'dlp', severity: 'low', path, ...how, masked: e.masked, documented: true });
    }
  }

  /** The hits of `result`; a capped rule adds a {@link SCAN_LIMIT_RULES}.hits finding at `path`. */
  #hits(result: MatchResult, path: string, findings: Finding[]): MatchResult['hits'] {
    if (result.limited.length > 0) findings.push(limitFinding(SCAN_LIMIT_RULES.hits, path));
    return result.hits;
  }

  /**
   * Scan one string (raw and normalised, then the decoded views of each) and
   * append findings. Raw hits carry their span for redaction when `redactable`
   * (default true).
   */
  scanText(text: string, path: string, findings: Finding[], redactable = true): void {
    if (text.length < 8) return;
    const tv = new TextVariants(text);
    // Rules found in one view are not run again on the next: the field is already
    // caught, and a large decoded copy of a text costs as much to scan as the text.
    const found = new Set<string>();
    const result = this.#matcher.find(tv, { firstPerRule: false });
    for (const h of this.#hits(result, path, findings)) {
      found.add(h.rule.id);
      findings.push({
        rule: h.rule.id,
        category: 'dlp',
        severity: h.rule.severity,
        path,
        masked: h.masked,
        ...(h.open ? { unterminated: true as const } : {}),
        ...(h.transform ? { transform: h.transform } : redactable && !h.open ? { span: { start: h.start, end: h.end } } : {}),
      });
    }
    this.#documented(result, path, found, findings, undefined);
    this.#envSecrets?.scan(text, path, undefined, findings);
    if (tv.mayDecode()) this.#scanDecoded(text, '', path, found, findings);
    // An encoded secret with invisible or look-alike characters inside it decodes
    // only once they are gone: decode the normalised text too when it differs.
    const normalized = tv.get('normalized');
    if (normalized !== tv.raw && mayDecode(normalized)) this.#scanDecoded(normalized, 'normalized+', path, found, findings);
  }

  /** Scan the decoded views of `text`; transforms are prefixed with `label`. */
  #scanDecoded(text: string, label: string, path: string, found: Set<string>, findings: Finding[]): void {
    const decoded = decodeViews(text);
    if (decoded.exhausted) findings.push(limitFinding(SCAN_LIMIT_RULES.decode, path));
    for (const d of decoded.views) {
      const transform = label + d.transform;
      const result = this.#matcher.find(d.text, { skip: found });
      for (const h of this.#hits(result, path, findings)) {
        found.add(h.rule.id);
        findings.push({ rule: h.rule.id, category: 'dlp', severity: h.rule.severity, path, transform, masked: h.masked, ...(h.open ? { unterminated: true as const } : {}) });
      }
      this.#documented(result, path, found, findings, transform);
      this.#envSecrets?.scan(d.text, path, transform, findings);
    }
  }
}
