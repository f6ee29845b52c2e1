/**
 * Inline secrets in agent configs, found with the DLP rule pack (the same
 * rules the proxy uses on traffic) and reported masked only.
 */
import type { CompiledRule } from '../scan/rule-pack.js';
import { RuleMatcher } from '../scan/matcher.js';
import { maskAll } from '../scan/mask.js';
import type { Entry } from './wrap.js';
import { isStoreName, referencedName } from '../secrets/reference.js';

/** `secret:STORE_NAME`, or `NAME=secret:STORE_NAME` (a proxy `--env` value): a reference to the store, not a secret. */
function isReference(v: string): boolean {
  const name = referencedName(v) ?? referencedName(v.slice(v.indexOf('=') + 1));
  return name !== undefined && isStoreName(name);
}

/** One secret found in an entry; the value itself is never kept. */
export interface InlineSecret {
  /** Where: `env.NAME`, `args[3]`, `headers.NAME`, `url`. */
  readonly location: string;
  readonly rule: string;
  readonly severity: string;
  /** e.g. `ghp_…[40 chars]`. */
  readonly masked: string;
}

/** DLP matching over config text. */
export interface SecretFinder {
  /** Hits in `text`: rule id, severity, span (UTF-16), the masked value and (transiently) the matched value. */
  find(text: string): Array<{ rule: string; severity: string; start: number; end: number; masked: string; matched: string }>;
  /** `text` with every hit replaced by its mask. */
  mask(text: string): string;
}

/** A finder over the `dlp` rules of `rules`. */
export function secretFinder(rules: readonly CompiledRule[]): SecretFinder {
  const matcher = new RuleMatcher(rules.filter((r) => r.category === 'dlp'));
  const find: SecretFinder['find'] = (text) =>
    matcher
      .match(text, { firstPerRule: false })
      .map((h) => ({ rule: h.rule.id, severity: h.rule.severity, start: h.start, end: h.end, masked: h.masked, matched: h.matched }));
  return {
    find,
    mask: (text) => maskAll(text, find(text).map((h) => h.matched)),
  };
}

function stringMap(v: unknown): Array<[string, string]> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string');
}

/**
 * Secrets written inline in an entry: values of `env`, `args`, `headers` (and
 * Codex's `http_headers`), and the `url`. Each value is matched as `KEY=value`
 * so rules that need the variable name as context (generic `password=…`) work.
 * References to the secret store (`secret:NAME`, `--env NAME=secret:NAME`) are not secrets.
 */
export function entrySecrets(entry: Entry, finder: SecretFinder): InlineSecret[] {
  const subjects: Array<[string, string]> = [];
  for (const [k, v] of stringMap(entry['env'])) if (!isReference(v)) subjects.push([`env.${k}`, `${k}=${v}`]);
  for (const key of ['headers', 'http_headers']) {
    for (const [k, v] of stringMap(entry[key])) subjects.push([`${key}.${k}`, `${k}: ${v}`]);
  }
  const args = Array.isArray(entry['args']) ? entry['args'] : [];
  args.forEach((a, i) => {
    if (typeof a === 'string' && !isReference(a)) subjects.push([`args[${i}]`, a]);
  });
  for (const key of ['url', 'httpUrl', 'serverUrl']) {
    const v = entry[key];
    if (typeof v === 'string') subjects.push([key, v]);
  }
  const out: InlineSecret[] = [];
  for (const [location, text] of subjects) {
    // Overlapping hits are one secret: keep the narrowest (a provider rule rather than a generic `KEY=value` one).
    const kept: Array<{ start: number; end: number }> = [];
    for (const hit of finder.find(text).sort((a, b) => a.end - a.start - (b.end - b.start))) {
      if (kept.some((k) => hit.start < k.end && k.start < hit.end)) continue;
      kept.push(hit);
      out.push({ location, rule: hit.rule, severity: hit.severity, masked: hit.masked });
    }
  }
  return out;
}
