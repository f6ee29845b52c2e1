/**
 * Whole-text transforms done on UTF-16 code units in one linear pass. A regex
 * replace with a callback, or `[...s].reverse()`, allocates a string or an
 * array slot per character: on a 200 KB file that was tens of ms per view.
 */

/**
 * `s` with every code unit below `table.length` replaced by `table[unit]`
 * (units at or above it are kept). One copy in, one copy out.
 * @param table unit → replacement unit, e.g. 128 entries for an ASCII map
 */
export function mapUnits(s: string, table: Uint16Array): string {
  const buf = Buffer.from(s, 'utf16le');
  for (let i = 0; i < buf.length; i += 2) {
    const u = (buf[i] as number) | ((buf[i + 1] as number) << 8);
    if (u < table.length) {
      const v = table[u] as number;
      buf[i] = v & 0xff;
      buf[i + 1] = v >> 8;
    }
  }
  return buf.toString('utf16le');
}

/** An identity table of `size` units with the given replacements applied. */
export function unitTable(size: number, replace: Record<string, string>): Uint16Array {
  const t = new Uint16Array(size);
  for (let i = 0; i < size; i++) t[i] = i;
  for (const [from, to] of Object.entries(replace)) t[from.charCodeAt(0)] = to.charCodeAt(0);
  return t;
}

/** `s` reversed by code point: surrogate pairs stay in order, so astral characters survive. */
export function reverseCodePoints(s: string): string {
  const src = Buffer.from(s, 'utf16le');
  const out = Buffer.allocUnsafe(src.length);
  const n = src.length >> 1;
  for (let i = 0; i < n; i++) {
    const lo = src[2 * i] as number;
    const hi = src[2 * i + 1] as number;
    const j = n - 1 - i;
    // A high surrogate followed by a low one is written as a pair, in order.
    if (hi >= 0xd8 && hi <= 0xdb && i + 1 < n && (src[2 * i + 3] as number) >= 0xdc && (src[2 * i + 3] as number) <= 0xdf) {
      out[2 * (j - 1)] = lo;
      out[2 * (j - 1) + 1] = hi;
      out[2 * j] = src[2 * i + 2] as number;
      out[2 * j + 1] = src[2 * i + 3] as number;
      i++;
      continue;
    }
    out[2 * j] = lo;
    out[2 * j + 1] = hi;
  }
  return out.toString('utf16le');
}
