/**
 * Argument DLP, client → server: every string leaf and every key of a request's
 * or notification's `params` (for `tools/call`, that includes `params.arguments`),
 * in raw form and in every decoded view (base64, hex, URL-encoding, …), plus
 * secrets split across fields. (Server → client credentials are found by the
 * response scanner, in the same pass as prompt injection.)
 */
import { collectStrings, type StringLeaf } from './json-walk.js';
import type { RuleMatcher } from './matcher.js';
import { decodeAll } from './decoders.js';
import { TextVariants } from './normalize.js';
import type { EnvSecrets } from './env-secrets.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/** Values considered for split-secret joining, at most. */
export const MAX_JOIN_FIELDS = 12;
/** Longest value (UTF-16 units) considered for joining; longer ones are scanned alone. */
export const MAX_JOIN_LENGTH = 512;

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
    const { message } = input;
    if (input.direction !== 'client-to-server') return [];
    if (message.method === undefined || message.params === undefined) return [];
    return this.scanValue(message.params, 'params');
  }

  /** Scan any JSON value; findings carry paths below `basePath`. */
  scanValue(value: unknown, basePath: string): Finding[] {
    const findings: Finding[] = [];
    const leaves = collectStrings(value, basePath);
    for (const leaf of leaves) {
      this.scanText(leaf.value, leaf.path, findings);
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
    // For tools/call only the arguments are joined: the tool name is not part of a value.
    const args = leaves.filter((l) => l.path.startsWith('params.arguments'));
    const pool = args.length > 0 ? args : leaves.filter((l) => l.path !== 'params.name');
    const values = pool.filter((l) => !l.isKey && l.value.length >= 4 && l.value.length <= MAX_JOIN_LENGTH).slice(0, MAX_JOIN_FIELDS);
    if (values.length < 2) return;
    const found = new Set(findings.map((f) => f.rule));
    const tryText = (text: string, path: string): void => {
      for (const h of this.#matcher.match(text)) {
        if (found.has(h.rule.id)) continue;
        found.add(h.rule.id);
        findings.push({ rule: h.rule.id, category: 'dlp', severity: h.rule.severity, path, transform: 'join', masked: h.masked });
      }
    };
    const sorted = [...values].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    tryText(sorted.map((l) => l.value).join(''), sorted.map((l) => l.path).join('+'));
    for (const a of values) {
      for (const b of values) {
        if (a !== b) tryText(a.value + b.value, `${a.path}+${b.path}`);
      }
    }
  }

  /**
   * Scan one string (raw, then decoded views) and append findings. Raw hits
   * carry their span for redaction.
   */
  scanText(text: string, path: string, findings: Finding[]): void {
    if (text.length < 8) return;
    const tv = new TextVariants(text);
    const hits = this.#matcher.match(tv, { firstPerRule: false });
    for (const h of hits) {
      findings.push({
        rule: h.rule.id,
        category: 'dlp',
        severity: h.rule.severity,
        path,
        masked: h.masked,
        ...(h.transform ? { transform: h.transform } : { span: { start: h.start, end: h.end } }),
      });
    }
    this.#envSecrets?.scan(text, path, undefined, findings);
    if (!tv.mayDecode()) return;
    for (const d of decodeAll(text)) {
      for (const h of this.#matcher.match(d.text)) {
        findings.push({ rule: h.rule.id, category: 'dlp', severity: h.rule.severity, path, transform: d.transform, masked: h.masked });
      }
      this.#envSecrets?.scan(d.text, path, d.transform, findings);
    }
  }
}
