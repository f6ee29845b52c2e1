/**
 * `setup --move-secrets` and `remove --restore-secrets`: secrets written inline
 * in a wrapped entry's `env` block go to the secret store, and the entry names
 * them instead. The env value becomes `secret:STORE_NAME` and the proxy's
 * `--env NAME` becomes `--env NAME=secret:STORE_NAME`, so the proxy puts the
 * value into the server's environment and nowhere else.
 *
 * Nothing here keeps a value on disk: the setup record of a moved entry holds
 * its original text with each value replaced by a token naming its store entry,
 * and `remove --restore-secrets` puts the values back from the store, byte for byte.
 * Only `env` values can move: a secret in `args` is read by the server from its
 * command line, which the proxy does not rewrite (such secrets are named in a note).
 */
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { maskAll } from '../scan/mask.js';
import { reference, referencedName, toStoreName } from '../secrets/reference.js';
import { entryKey, listEntries, type ItemReport, type PlanInput } from './apply.js';
import { editorFor } from './config-file.js';
import { entrySecrets, type SecretFinder } from './secrets.js';
import { findTable, KEY_PART, skipValue } from './toml-entries.js';
import { classifyEntry, type Entry } from './wrap.js';
import type { SetupRecord } from './state.js';
import type { ConfigFormat, EntryRef, ServerContainer } from './types.js';

/** Where moved values go (the CLI binds it to the configured store). */
export interface SecretSink {
  /**
   * Store `value` under `base`, or under `base-2`, `base-3`, … when `base` holds
   * another value; a name that already holds this value is reused.
   * @returns the store name used
   * @throws GuardError when the store cannot be written
   */
  put(base: string, value: string): string;
}

/** What `--restore-secrets` reads from. */
export interface SecretSource {
  /** The value stored under `name`, or undefined. @throws GuardError when the store cannot be read */
  get(name: string): string | undefined;
}

/** One moved variable, as kept in a setup record. */
export interface MovedVariable {
  readonly variable: string;
  readonly store: string;
}

/**
 * The token that stands for a moved value in a setup record's original text.
 * `secretToken('')` without its last character is the prefix of every token.
 */
export function secretToken(store: string): string {
  return store === '' ? '\u0000mcp-guard-secret:' : `\u0000mcp-guard-secret:${store}\u0000`;
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k), mapStrings(x, f)]));
  return v;
}

function scrubber(values: ReadonlyArray<readonly [string, string]>): (s: string) => string {
  // Longest first, so a value inside another does not cut it.
  const sorted = [...values].sort((a, b) => b[0].length - a[0].length);
  return (s) => sorted.reduce((t, [value, store]) => t.split(value).join(secretToken(store)), s);
}

/** A record with every moved value replaced by its token. */
export function scrubRecord(record: SetupRecord, values: ReadonlyArray<readonly [string, string]>, moved: readonly MovedVariable[]): SetupRecord {
  const f = scrubber(values);
  const secrets = [...(record.secrets ?? []), ...moved.filter((m) => !(record.secrets ?? []).some((r) => r.variable === m.variable))];
  return { ...record, originalText: f(record.originalText), original: mapStrings(record.original, f) as Record<string, unknown>, secrets };
}

/** A record with its tokens replaced by the stored values. @returns undefined when a value is missing */
export function unscrubRecord(record: SetupRecord, values: ReadonlyMap<string, string>): SetupRecord {
  const f = (s: string): string => {
    let out = s;
    for (const [store, value] of values) out = out.split(secretToken(store)).join(value);
    return out;
  };
  return { ...record, originalText: f(record.originalText), original: mapStrings(record.original, f) as Record<string, unknown> };
}

/**
 * UTF-16 span of the string literal (quotes included) of `env.<variable>` in an
 * entry, and its quote character, when it is written without escapes (so its
 * text is exactly the value). JSON: the `env` object; TOML: `env = { … }`,
 * `env.NAME = …` in the entry's table, or an `[….NAME.env]` table.
 */
export function envLiteral(text: string, format: ConfigFormat, container: ServerContainer, name: string, variable: string, value: string): { start: number; end: number; quote: string } | undefined {
  const span = format === 'toml' ? tomlEnvSpan(text, container, name, variable) : jsonEnvSpan(text, container, name, variable);
  if (span === undefined) return undefined;
  const literal = text.slice(span.start, span.end);
  const quote = literal[0];
  if ((quote !== '"' && quote !== "'") || literal.startsWith(quote.repeat(3)) || literal !== `${quote}${value}${quote}`) return undefined;
  if (quote === '"' && value.includes('\\')) return undefined;
  return { ...span, quote };
}

function jsonEnvSpan(text: string, container: ServerContainer, name: string, variable: string): { start: number; end: number } | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const node = root && findNodeAtLocation(root, [...container.path, name, 'env', variable]);
  return node?.type === 'string' ? { start: node.offset, end: node.offset + node.length } : undefined;
}

function keyAt(s: string, i: number): { key: string; end: number } | undefined {
  const parts: string[] = [];
  let j = i;
  for (;;) {
    const m = KEY_PART.exec(s.slice(j, j + 1024));
    if (m === null) return undefined;
    parts.push(m[0].startsWith('"') ? (JSON.parse(m[0]) as string) : m[0].replace(/^'|'$/g, ''));
    j += m[0].length;
    while (s[j] === ' ' || s[j] === '\t') j++;
    if (s[j] !== '.') return { key: parts.join('.'), end: j };
    j++;
    while (s[j] === ' ' || s[j] === '\t') j++;
  }
}

/** The value span of `variable` inside the inline table that starts at `start` (`{`). */
function inlineTableValue(s: string, start: number, end: number, variable: string): { start: number; end: number } | undefined {
  let i = start + 1;
  while (i < end) {
    while (i < end && /[\s,]/.test(s[i] as string)) i++;
    if (s[i] === '}' || i >= end) return undefined;
    const k = keyAt(s, i);
    if (k === undefined || s[k.end] !== '=') return undefined;
    i = k.end + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    const valueEnd = skipValue(s, i);
    if (k.key === variable) return { start: i, end: valueEnd };
    i = valueEnd;
  }
  return undefined;
}

function tomlEnvSpan(text: string, container: ServerContainer, name: string, variable: string): { start: number; end: number } | undefined {
  const table = findTable(text, container, name);
  if (table === undefined) return undefined;
  const dotted = table.pairs.find((p) => p.key === `env.${variable}`);
  if (dotted !== undefined) return { start: dotted.valueStart, end: dotted.valueEnd };
  const env = table.pairs.find((p) => p.key === 'env');
  if (env !== undefined) return text[env.valueStart] === '{' ? inlineTableValue(text, env.valueStart, env.valueEnd, variable) : undefined;
  const sub = findTable(text, { path: [...container.path, name], scope: container.scope }, 'env');
  const pair = sub?.pairs.find((p) => p.key === variable);
  return pair === undefined ? undefined : { start: pair.valueStart, end: pair.valueEnd };
}

/**
 * The proxy options of a wrapped command line with `--env VARIABLE` (or
 * `--env=VARIABLE`, or `--env VARIABLE=…`) for each moved variable replaced by
 * `--env VARIABLE=secret:STORE`, added before `--` when missing.
 */
export function withSecretEnvArgs(args: readonly string[], moved: readonly MovedVariable[]): string[] {
  const out = [...args];
  const proxy = out.indexOf('proxy');
  let dash = out.indexOf('--', proxy + 1);
  if (proxy === -1 || dash === -1) return out;
  for (const m of moved) {
    const value = `${m.variable}=${reference(m.store)}`;
    const named = (w: string | undefined): boolean => w === m.variable || (w?.startsWith(`${m.variable}=`) ?? false);
    let done = false;
    for (let i = proxy + 1; i < dash; i++) {
      if (out[i] === '--env' && named(out[i + 1])) {
        out[i + 1] = value;
        done = true;
      } else if (out[i]?.startsWith('--env=') === true && named(out[i]?.slice(6))) {
        out[i] = `--env=${value}`;
        done = true;
      }
    }
    if (!done) {
      out.splice(dash, 0, '--env', value);
      dash += 2;
    }
  }
  return out;
}

/** The stored-secret references of a wrapped entry: `--env VARIABLE=secret:STORE` before `--`. */
export function secretReferences(args: readonly string[]): MovedVariable[] {
  const proxy = args.indexOf('proxy');
  const dash = args.indexOf('--', proxy + 1);
  if (proxy === -1 || dash === -1) return [];
  const out: MovedVariable[] = [];
  for (let i = proxy + 1; i < dash; i++) {
    const spec = args[i] === '--env' ? args[i + 1] : args[i]?.startsWith('--env=') === true ? args[i]?.slice(6) : undefined;
    const eq = spec?.indexOf('=') ?? -1;
    if (spec === undefined || eq === -1) continue;
    const store = referencedName(spec.slice(eq + 1));
    if (store !== undefined) out.push({ variable: spec.slice(0, eq), store });
  }
  return out;
}

/** The result of {@link moveSecrets} on one file. */
export interface MovePlan {
  readonly text: string;
  /** New expected values, by {@link entryKey}. */
  readonly expected: Map<string, unknown>;
  /** Per moved entry: what moved, and the entry before the move. */
  readonly entries: Map<string, { readonly ref: EntryRef; readonly moved: MovedVariable[]; readonly values: Array<readonly [string, string]> }>;
  /** Every moved value (to mask in diffs and the `.bak`). */
  readonly values: string[];
}

function note(items: ItemReport[], ref: EntryRef, text: string): void {
  const i = items.findIndex((it) => it.name === ref.name && JSON.stringify(it.container) === JSON.stringify(ref.container.path));
  const item = items[i];
  if (item === undefined) return;
  items[i] = { ...item, note: item.note === undefined ? text : `${item.note}; ${text}` };
}

/**
 * Move the inline `env` secrets of every wrapped entry in `text` to the store.
 * @param items the file's item reports; a note is added to each entry concerned
 */
export function moveSecrets(text: string, input: PlanInput, finder: SecretFinder, sink: SecretSink, items: ItemReport[]): MovePlan {
  const editor = editorFor(input.location.format);
  const plan: MovePlan = { text, expected: new Map(), entries: new Map(), values: [] };
  let out = text;
  for (const ref of listEntries(text, input.location)) {
    if (ref.readOnly !== undefined || classifyEntry(ref.value, input.client.urlTransport).kind !== 'wrapped') continue;
    const found = entrySecrets(ref.value, finder);
    const env = (ref.value['env'] ?? {}) as Record<string, unknown>;
    const variables = [...new Set(found.filter((s) => s.location.startsWith('env.')).map((s) => s.location.slice(4)))];
    const left = found.filter((s) => !s.location.startsWith('env.')).map((s) => `${s.location} ${s.masked}`);
    if (left.length > 0) note(items, ref, `not moved (the server reads it from its command line; pass it as an environment variable instead): ${left.join(', ')}`);
    const moved: MovedVariable[] = [];
    const values: Array<readonly [string, string]> = [];
    for (const variable of variables) {
      const value = env[variable];
      if (typeof value !== 'string' || referencedName(value) !== undefined) continue;
      const span = envLiteral(out, input.location.format, ref.container, ref.name, variable, value);
      if (span === undefined) {
        note(items, ref, `env.${variable} not moved: it is written with escapes or in a form mcp-guard does not edit; move it by hand (mcp-guard secrets set)`);
        continue;
      }
      const store = sink.put(toStoreName(input.client.id, ref.name, variable), value);
      out = out.slice(0, span.start) + span.quote + reference(store) + span.quote + out.slice(span.end);
      moved.push({ variable, store });
      values.push([value, store]);
    }
    if (moved.length === 0) continue;
    const args = (ref.value['args'] as string[]).slice();
    const nextArgs = withSecretEnvArgs(args, moved);
    out = editor.setCommand(out, ref.container, ref.name, ref.value['command'] as string, nextArgs);
    const expectedEntry: Entry = { ...ref.value, args: nextArgs, env: { ...env, ...Object.fromEntries(moved.map((m) => [m.variable, reference(m.store)])) } };
    plan.expected.set(entryKey(ref), expectedEntry);
    plan.entries.set(entryKey(ref), { ref, moved, values });
    plan.values.push(...values.map(([v]) => v));
    note(items, ref, `moved to the secret store: ${moved.map((m) => `${m.variable} → secret:${m.store}`).join(', ')}`);
  }
  for (const { ref, values } of plan.entries.values()) {
    const still = values.filter(([v]) => out.includes(v)).map(([, store]) => store);
    if (still.length > 0) note(items, ref, `the value of ${still.join(', ')} still appears elsewhere in ${input.location.file}: edit it by hand`);
  }
  return { ...plan, text: out };
}

/** `text` with every moved value masked (for the `.bak` written before a move). */
export function maskMoved(text: string, values: readonly string[]): string {
  return maskAll(text, values);
}
