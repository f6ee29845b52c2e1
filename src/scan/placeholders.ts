/**
 * Recognises documentation examples and placeholders that look like credentials,
 * so they do not block (e.g. AWS's documented `AKIAIOSFODNN7EXAMPLE`, `sk-xxxx…`).
 */

const PLACEHOLDER_WORDS = /example|sample|dummy|placeholder|your[_-]?(?:api[_-]?)?(?:key|token|secret)|changeme|redacted|insert[_-]?|replace[_-]?me|fake|xxxx/i;
const REPEATED = /(.)\1{7,}/;
const SEQUENTIAL = /(?:0123456789|123456789|abcdefghij|ABCDEFGHIJ)/;

/**
 * True when `text` (a matched secret candidate) is a placeholder: it contains a
 * placeholder word (`EXAMPLE`, `xxxx`, `your_api_key`, …), a run of 8 identical
 * characters, an obvious sequence, or angle-bracket/template syntax.
 */
export function isPlaceholder(text: string): boolean {
  if (PLACEHOLDER_WORDS.test(text)) return true;
  if (REPEATED.test(text)) return true;
  if (SEQUENTIAL.test(text)) return true;
  if (/[<>{}]|\$\{/.test(text)) return true;
  return false;
}
