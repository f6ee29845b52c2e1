/**
 * Masking of secrets for every output (logs, errors, findings). Modelled on
 * secretlint's `filter-mask-secrets`: never echo a secret, keep just enough to
 * recognise which credential it was.
 */

/**
 * Mask a matched secret. Values of 16 characters or more keep their first 4
 * characters (usually a public prefix such as `ghp_`); shorter ones are fully masked.
 * @returns e.g. `ghp_…[40 chars]` or `***[8 chars]`
 */
export function maskSecret(text: string): string {
  const len = [...text].length;
  if (len >= 16) return `${[...text].slice(0, 4).join('')}…[${len} chars]`;
  return `***[${len} chars]`;
}

/**
 * Replace every occurrence of each secret in `text` with its mask. Used on
 * free-form strings (error messages, stderr hints) before they are logged.
 * Secrets shorter than 6 characters are ignored (too likely to hit ordinary words).
 */
export function maskAll(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 6) continue;
    out = out.split(s).join(maskSecret(s));
  }
  return out;
}
