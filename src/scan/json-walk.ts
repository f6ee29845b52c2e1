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
  /**
   * For keys, from {@link walkStrings}: the path of the object holding the key.
   * A finding about a key names this path, as `path` would repeat the secret.
   */
  readonly holder?: string;
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

/** Strings of a JSON value, and whether the walk reached every one. */
export interface WalkResult {
  readonly leaves: StringLeaf[];
  /** False when `maxLeaves` stopped the walk with strings left unvisited. */
  readonly complete: boolean;
}

/**
 * Like {@link collectStrings}, with a caller's leaf cap (strings and keys
 * counted together) and a flag saying whether it was reached, so a scanner can
 * fail closed instead of leaving the rest of the value unscanned.
 */
export function walkStrings(value: unknown, basePath: string, maxLeaves: number): WalkResult {
  const leaves: StringLeaf[] = [];
  let complete = true;
  const push = (leaf: StringLeaf): boolean => {
    if (leaves.length >= maxLeaves) {
      complete = false;
      return false;
    }
    leaves.push(leaf);
    return true;
  };
  const walk = (v: unknown, path: string, depth: number): boolean => {
    if (typeof v === 'string') return push({ path, value: v, isKey: false });
    if (v === null || typeof v !== 'object') return true;
    if (depth >= WALK_LIMITS.maxDepth) return push({ path, value: JSON.stringify(v), isKey: false });
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!walk(v[i], joinPath(path, i), depth + 1)) return false;
      return true;
    }
    for (const [k, child] of Object.entries(v as Record<string, Json>)) {
      const p = joinPath(path, k);
      if (!push({ path: p, value: k, isKey: true, holder: path }) || !walk(child, p, depth + 1)) return false;
    }
    return true;
  };
  walk(value, basePath, 0);
  return { leaves, complete };
}
