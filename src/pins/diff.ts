/**
 * A human diff of two pinned definitions (tools as `toolPinDefinition` gives
 * them; prompts, templates and instructions work too), for `mcp-guard pins diff`.
 * Description text is compared sentence by sentence with jsdiff, and word by
 * word where a sentence was edited rather than replaced, because a rug pull
 * usually appends or slips a phrase into an otherwise unchanged description.
 *
 * Every string is shown JSON-escaped, with invisible and bidi characters as
 * `\uXXXX`, so hidden text in a description is visible in the diff.
 */
import { diffSentences, diffWords } from 'diff';
import { canonicalJson } from '../scan/drift.js';

type Obj = Record<string, unknown>;

/** Longest text shown for one added or removed passage, in UTF-16 code units. */
const MAX_TEXT = 2000;
/** Longest JSON value shown in a `path: old → new` line. */
const MAX_VALUE = 200;
/** Texts longer than this together (UTF-16 code units) get a linear prefix/suffix diff: jsdiff is O(N·D). */
const MAX_DIFF_INPUT = 50_000;
/** Strings longer than this (or with several sentences) get a text diff, not `old → new`. */
const LONG_STRING = 60;
/** Keys shown first, in this order; the rest follow sorted. */
const KEY_ORDER = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'];

const INVISIBLE = /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]|[\u{e0000}-\u{e007f}]/gu;
const NEEDS_QUOTING = new RegExp(String.raw`[\u0000-\u001f"\\]|${INVISIBLE.source}`, 'u');

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} more chars]`;
}

/** Invisible and bidi characters as `\uXXXX` (`\u{XXXXX}` beyond the BMP). */
function visible(s: string): string {
  return s.replace(INVISIBLE, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** JSON-escape `s` without the quotes, and make invisible characters visible. */
function escape(s: string): string {
  return visible(JSON.stringify(s).slice(1, -1));
}

/**
 * `s` for a terminal: unchanged when it holds no control or invisible
 * characters, else JSON-quoted with them escaped (names come from servers).
 */
export function printable(s: string): string {
  return NEEDS_QUOTING.test(s) ? `"${escape(s)}"` : s;
}

/** A quoted, escaped, clipped string. */
function quote(s: string, max = MAX_TEXT): string {
  return `"${clip(escape(s), max)}"`;
}

/** Any value as one line: strings quoted, the rest as canonical JSON (its strings escaped), clipped. */
function show(v: unknown): string {
  if (typeof v === 'string') return quote(v, MAX_VALUE);
  return clip(visible(canonicalJson(v)), MAX_VALUE);
}

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : visible(JSON.stringify(key));
  return base === '' ? k : k.startsWith('"') ? `${base}[${k}]` : `${base}.${k}`;
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** Share of `a` and `b` (by characters, ignoring whitespace) that a word diff keeps. */
function similarity(a: string, b: string): number {
  const kept = diffWords(a, b)
    .filter((p) => !p.added && !p.removed)
    .reduce((n, p) => n + p.value.replace(/\s+/g, '').length, 0);
  const total = a.replace(/\s+/g, '').length + b.replace(/\s+/g, '').length;
  return total === 0 ? 1 : (2 * kept) / total;
}

/** `Adds [-two-]{+three+} numbers.` (wdiff notation), escaped; undefined when only whitespace differs. */
function wordDiff(a: string, b: string): string | undefined {
  const parts = diffWords(a, b);
  if (!parts.some((p) => p.added || p.removed)) return undefined;
  return parts.map((p) => (p.removed ? `[-${escape(p.value)}-]` : p.added ? `{+${escape(p.value)}+}` : escape(p.value))).join('');
}

/**
 * Text changes of `label`: `+ label: "sentence"` for added sentences, `- label: …` for removed
 * ones, and `~ label: "… [-old-]{+new+} …"` for a sentence edited in place (≥ 50 % kept).
 */
function diffText(label: string, a: string, b: string, out: string[]): void {
  if (a === b) return;
  if (a.length + b.length > MAX_DIFF_INPUT) {
    // Linear fallback: what lies between the common prefix and the common suffix.
    let p = 0;
    while (p < a.length && p < b.length && a[p] === b[p]) p++;
    let q = 0;
    while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
    const r = a.slice(p, a.length - q);
    const d = b.slice(p, b.length - q);
    if (r !== '') out.push(`- ${label} (at character ${p}): ${quote(r)}`);
    if (d !== '') out.push(`+ ${label} (at character ${p}): ${quote(d)}`);
    return;
  }
  const start = out.length;
  const whitespace = (x: string, y: string): string => `~ ${label}: whitespace changed: ${quote(x, MAX_VALUE)} → ${quote(y, MAX_VALUE)}`;
  let removed = '';
  let added = '';
  const flush = (): void => {
    const r = removed.trim();
    const d = added.trim();
    if (r !== '' && d !== '' && similarity(r, d) >= 0.5) {
      const words = wordDiff(r, d);
      out.push(words === undefined ? whitespace(r, d) : `~ ${label}: "${clip(words, MAX_TEXT)}"`);
    } else {
      if (r !== '') out.push(`- ${label}: ${quote(r)}`);
      if (d !== '') out.push(`+ ${label}: ${quote(d)}`);
    }
    removed = added = '';
  };
  for (const part of diffSentences(a, b)) {
    if (part.removed) removed += part.value;
    else if (part.added) added += part.value;
    else flush();
  }
  flush();
  if (out.length === start) out.push(whitespace(a, b));
}

function isPrimitive(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

/** Structural diff of `a` and `b` at `path`: added, removed and changed fields. */
function walk(path: string, a: unknown, b: unknown, out: string[]): void {
  if (same(a, b)) return;
  const label = path === '' ? 'value' : path;
  if (a === undefined) out.push(`+ ${label}: ${typeof b === 'string' ? quote(b) : show(b)}`);
  else if (b === undefined) out.push(`- ${label}: ${typeof a === 'string' ? quote(a) : show(a)}`);
  else if (typeof a === 'string' && typeof b === 'string') {
    if (Math.max(a.length, b.length) > LONG_STRING || /[.!?]\s/.test(a + b)) diffText(label, a, b, out);
    else out.push(`~ ${label}: ${show(a)} → ${show(b)}`);
  } else if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(joinPath(path, k), a[k], b[k], out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.every(isPrimitive) && b.every(isPrimitive)) {
      const as = new Set(a.map((v) => canonicalJson(v)));
      const bs = new Set(b.map((v) => canonicalJson(v)));
      const before = out.length;
      for (const v of a) if (!bs.has(canonicalJson(v))) out.push(`- ${label}: ${show(v)}`);
      for (const v of b) if (!as.has(canonicalJson(v))) out.push(`+ ${label}: ${show(v)}`);
      if (out.length === before) out.push(`~ ${label}: order changed: ${show(a)} → ${show(b)}`);
    } else if (a.length === b.length) {
      a.forEach((v, i) => walk(joinPath(path, i), v, b[i], out));
    } else out.push(`~ ${label}: ${show(a)} → ${show(b)}`);
  } else out.push(`~ ${label}: ${show(a)} → ${show(b)}`);
}

function typeSummary(schema: unknown, required: boolean): string {
  const t = isObject(schema) ? schema['type'] : undefined;
  const type = typeof t === 'string' ? t : Array.isArray(t) ? t.filter((x) => typeof x === 'string').join('|') : '';
  const parts = [type, required ? 'required' : ''].filter((p) => p !== '');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function paramLine(sign: '+' | '-', name: string, schema: unknown, required: boolean): string {
  const desc = isObject(schema) && typeof schema['description'] === 'string' ? `: ${quote(schema['description'])}` : '';
  return `${sign} parameter ${quote(name, MAX_VALUE)}${typeSummary(schema, required)}${desc}`;
}

/** `inputSchema`: parameters added and removed first, then every other schema field. */
function diffInputSchema(a: unknown, b: unknown, out: string[]): void {
  if (!isObject(a) || !isObject(b) || !isObject(a['properties'] ?? {}) || !isObject(b['properties'] ?? {})) {
    walk('inputSchema', a, b, out);
    return;
  }
  const pa = (a['properties'] ?? {}) as Obj;
  const pb = (b['properties'] ?? {}) as Obj;
  const req = (s: Obj): Set<unknown> => new Set(Array.isArray(s['required']) ? s['required'] : []);
  const ra = req(a);
  const rb = req(b);
  const gone = Object.keys(pa).filter((k) => !Object.hasOwn(pb, k)).sort();
  const fresh = Object.keys(pb).filter((k) => !Object.hasOwn(pa, k)).sort();
  for (const k of gone) out.push(paramLine('-', k, pa[k], ra.has(k)));
  for (const k of fresh) out.push(paramLine('+', k, pb[k], rb.has(k)));
  for (const k of Object.keys(pb).filter((k) => Object.hasOwn(pa, k)).sort()) {
    walk(joinPath('inputSchema.properties', k), pa[k], pb[k], out);
  }
  // `required` entries of added or removed parameters were shown on their parameter line.
  const shown = new Set([...gone, ...fresh]);
  const keep = (s: Obj): Obj => {
    const { properties: _p, ...rest } = s;
    const required = rest['required'];
    if (Array.isArray(required)) {
      const left = required.filter((r) => !shown.has(r as string));
      if (left.length === 0 && required.length > 0) delete rest['required'];
      else rest['required'] = left;
    }
    return rest;
  };
  const ka = keep(a);
  const kb = keep(b);
  const keys = [...new Set([...Object.keys(ka), ...Object.keys(kb)])].sort();
  for (const k of keys) walk(joinPath('inputSchema', k), ka[k], kb[k], out);
}

/**
 * What changed from `before` to `after`, one line per change, for people:
 * - `+ description: "…"` / `- description: "…"`: sentences added or removed;
 * - `~ description: "Adds [-two-]{+three+} numbers."`: words changed within a sentence;
 * - `+ parameter "note" (string, required): "…"` / `- parameter "b" (number)`;
 * - `~ inputSchema.properties.a.type: "number" → "string"`, `+ annotations.destructiveHint: true`:
 *   any other field added (`+`), removed (`-`) or changed (`~`), by JSON path.
 *
 * `before` undefined means a new item (every field is `+`), `after` undefined a removed one.
 * Strings are JSON-escaped with invisible characters as `\uXXXX`; long values are clipped.
 * @returns no lines when the two are equal up to key order
 */
export function diffToolDefinitions(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  if (same(before, after)) return out;
  if (after === undefined) return ['- removed'];
  const a = before === undefined && isObject(after) ? {} : before;
  if (!isObject(a) || !isObject(after)) {
    if (typeof a === 'string' && typeof after === 'string') diffText('text', a, after, out);
    else walk('', a, after, out);
    return out;
  }
  const rest = [...new Set([...Object.keys(a), ...Object.keys(after)])].filter((k) => !KEY_ORDER.includes(k)).sort();
  for (const k of [...KEY_ORDER, ...rest]) {
    const x = a[k];
    const y = after[k];
    if (k === 'inputSchema' && x !== undefined && y !== undefined) diffInputSchema(x, y, out);
    else if (k === 'inputSchema' && x === undefined && isObject(y)) diffInputSchema({}, y, out);
    else if ((k === 'description' || k === 'title') && typeof x === 'string' && typeof y === 'string') diffText(k, x, y, out);
    else if (k === 'description' && x === undefined && typeof y === 'string') diffText(k, '', y, out);
    else walk(joinPath('', k), x, y, out);
  }
  return out;
}
