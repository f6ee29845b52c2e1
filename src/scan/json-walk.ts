/**
 * Walks a JSON value and yields every string leaf and every object key with its
 * JSON path (`params.arguments.files[0].name`).
 */
import type { Json } from './types.js';

/** One string found in a JSON value. */
export interface StringLeaf {
  /** JSON path of the value (for keys: of the object that holds the key, plus the key). */
  readonly path: string;
  readonly value: string;
  /** True when `value` is an object key rather than a string value. */
  readonly isKey: boolean;
}

/** Limits applied while walking untrusted JSON. */
export const WALK_LIMITS = { maxDepth: 64, maxLeaves: 20_000 } as const;

const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;

/** Append a key to a JSON path, quoting keys that are not simple identifiers. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (SIMPLE_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/**
 * Collect string leaves and keys of `value`, depth-first, in document order.
 * Stops descending past {@link WALK_LIMITS}.maxDepth; a value nested deeper is
 * reported as its JSON text so it is still scanned.
 */
export function collectStrings(value: unknown, basePath: string, out: StringLeaf[] = [], depth = 0): StringLeaf[] {
  if (out.length >= WALK_LIMITS.maxLeaves) return out;
  if (typeof value === 'string') {
    out.push({ path: basePath, value, isKey: false });
  } else if (Array.isArray(value)) {
    if (depth >= WALK_LIMITS.maxDepth) {
      out.push({ path: basePath, value: JSON.stringify(value), isKey: false });
      return out;
    }
    value.forEach((v, i) => collectStrings(v, joinPath(basePath, i), out, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    if (depth >= WALK_LIMITS.maxDepth) {
      out.push({ path: basePath, value: JSON.stringify(value), isKey: false });
      return out;
    }
    for (const [k, v] of Object.entries(value as Record<string, Json>)) {
      const p = joinPath(basePath, k);
      out.push({ path: p, value: k, isKey: true });
      collectStrings(v, p, out, depth + 1);
    }
  }
  return out;
}
