/**
 * TOML config files (Codex's `config.toml`, TOML 1.0). Parsing uses the
 * maintained `smol-toml` library; edits are made on the text, inside the
 * server's own `[mcp_servers.NAME]` table, because no TOML library keeps
 * comments and layout on write. A small scanner finds where each value ends
 * (strings, multi-line strings, nested arrays and inline tables, comments).
 * Entries written as inline tables or dotted keys are reported read-only.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { GuardError } from '../errors.js';
import type { EntryEditor, EntryRef, ServerContainer } from './types.js';

/** Index just past the TOML value that starts at `i`. */
export function skipValue(s: string, i: number): number {
  for (const q of ['"""', "'''"]) {
    if (!s.startsWith(q, i)) continue;
    let j = i + 3;
    while (j < s.length && !s.startsWith(q, j)) j += q === '"""' && s[j] === '\\' ? 2 : 1;
    let end = Math.min(j + 3, s.length);
    while (s[end] === q[0] && end < j + 5) end++; // up to two quotes may close the content
    return end;
  }
  const c = s[i];
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < s.length && s[j] !== c && s[j] !== '\n') j += c === '"' && s[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  if (c === '[' || c === '{') {
    let depth = 0;
    let j = i;
    while (j < s.length) {
      const ch = s[j];
      if (ch === '"' || ch === "'") {
        j = skipValue(s, j);
        continue;
      }
      if (ch === '#') {
        const nl = s.indexOf('\n', j);
        j = nl === -1 ? s.length : nl;
        continue;
      }
      if (ch === '[' || ch === '{') depth++;
      else if ((ch === ']' || ch === '}') && --depth === 0) return j + 1;
      j++;
    }
    return s.length;
  }
  let j = i;
  while (j < s.length && !/[\s#,\]}]/.test(s[j] as string)) j++;
  return j;
}

/** One `key = value` line of a table. */
export interface Pair {
  readonly key: string;
  readonly lineStart: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** Index past the line's newline (or the end of text). */
  readonly lineEnd: number;
}

export const KEY_PART = /^(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')/;

/** The key-value pairs of the table whose body starts at `start`, and where its last pair ends. */
function scanTable(s: string, start: number): { pairs: Pair[]; end: number } {
  const pairs: Pair[] = [];
  let i = start;
  let end = start;
  for (;;) {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
    if (i >= s.length || s[i] === '[') return { pairs, end };
    if (s[i] === '#') {
      const nl = s.indexOf('\n', i);
      i = nl === -1 ? s.length : nl;
      continue;
    }
    const lineStart = s.lastIndexOf('\n', i - 1) + 1;
    const parts: string[] = [];
    for (;;) {
      const m = KEY_PART.exec(s.slice(i, i + 1024));
      if (m === null) return { pairs, end };
      parts.push(m[0].startsWith('"') ? (JSON.parse(m[0]) as string) : m[0].replace(/^'|'$/g, ''));
      i += m[0].length;
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] !== '.') break;
      i++;
      while (s[i] === ' ' || s[i] === '\t') i++;
    }
    if (s[i] !== '=') return { pairs, end };
    i++;
    while (s[i] === ' ' || s[i] === '\t') i++;
    const valueStart = i;
    const valueEnd = skipValue(s, i);
    const nl = s.indexOf('\n', valueEnd);
    const lineEnd = nl === -1 ? s.length : nl + 1;
    pairs.push({ key: parts.join('.'), lineStart, valueStart, valueEnd, lineEnd });
    end = lineEnd;
    i = lineEnd;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where the `[prefix.NAME]` table starts and its pairs, or undefined when the entry is not written as a table (also used by move-secrets.ts). */
export function findTable(s: string, container: ServerContainer, name: string): { start: number; pairs: Pair[]; end: number } | undefined {
  const keyForms = [`"${escapeRe(JSON.stringify(name).slice(1, -1))}"`, `'${escapeRe(name)}'`];
  if (/^[A-Za-z0-9_-]+$/.test(name)) keyForms.push(escapeRe(name));
  const path = container.path.map((p) => `(?:${escapeRe(p)}|"${escapeRe(p)}")`).join('[ \\t]*\\.[ \\t]*');
  const re = new RegExp(`^[ \\t]*\\[[ \\t]*${path}[ \\t]*\\.[ \\t]*(?:${keyForms.join('|')})[ \\t]*\\][ \\t]*(?:#.*)?$`, 'm');
  const m = re.exec(s);
  if (m === null) return undefined;
  const bodyStart = m.index + m[0].length;
  const { pairs, end } = scanTable(s, bodyStart);
  return { start: m.index, pairs, end: Math.max(end, bodyStart) };
}

function tomlString(v: string): string {
  // JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
  return JSON.stringify(v).replace(/\x7f/g, '\\u007F');
}

function tomlArray(items: readonly string[], s: string, previous: Pair | undefined): string {
  const old = previous === undefined ? '' : s.slice(previous.valueStart, previous.valueEnd);
  if (!old.includes('\n')) return `[${items.map(tomlString).join(', ')}]`;
  const eol = s.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(old)?.[1] ?? '  ';
  return `[${eol}${items.map((a) => `${indent}${tomlString(a)},`).join(eol)}${eol}]`;
}

function splice(s: string, start: number, end: number, content: string): string {
  return s.slice(0, start) + content + s.slice(end);
}

/** Index of the first element of the array value at `start` (`[`), or -1 when it is empty. */
function firstElement(s: string, start: number, end: number): number {
  let i = start + 1;
  while (i < end) {
    if (/\s|,/.test(s[i] as string)) i++;
    else if (s[i] === '#') i = s.indexOf('\n', i) === -1 ? end : s.indexOf('\n', i);
    else return s[i] === ']' ? -1 : i;
  }
  return -1;
}

/** The editor for TOML files. */
export const tomlEditor: EntryEditor = {
  parse(text, file) {
    try {
      return JSON.parse(JSON.stringify(parseToml(text))) as unknown;
    } catch (err) {
      const line = err instanceof TomlError ? `${err.line}:${err.column}` : '?';
      throw new GuardError('INPUT_INVALID', `cannot parse ${file}`, [`${file}:${line}: ${(err as Error).message.split('\n')[0] ?? ''}`]);
    }
  },

  entries(text, data, containers) {
    const out: EntryRef[] = [];
    for (const container of containers) {
      let node: unknown = data;
      for (const k of container.path) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
      if (node === null || typeof node !== 'object' || Array.isArray(node)) continue;
      for (const [name, value] of Object.entries(node as Record<string, unknown>)) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
        const table = findTable(text, container, name);
        const entry = value as Record<string, unknown>;
        if (table === undefined) {
          out.push({ container, name, value: entry, offset: 0, length: 0, readOnly: `not written as a [${[...container.path, name].join('.')}] table` });
        } else out.push({ container, name, value: entry, offset: table.start, length: table.end - table.start });
      }
    }
    return out;
  },

  setCommand(text, container, name, command, args) {
    const find = (s: string): { pairs: Pair[] } => {
      const t = findTable(s, container, name);
      if (t === undefined) throw new GuardError('INPUT_INVALID', `[${[...container.path, name].join('.')}] table not found`);
      return t;
    };
    const cmd = find(text).pairs.find((p) => p.key === 'command');
    if (cmd === undefined) throw new GuardError('INPUT_INVALID', `entry ${name} has no command key in its table`);
    let out = splice(text, cmd.valueStart, cmd.valueEnd, tomlString(command));
    const pairs = find(out).pairs;
    const argsPair = pairs.find((p) => p.key === 'args');
    if (args === undefined) return argsPair === undefined ? out : splice(out, argsPair.lineStart, argsPair.lineEnd, '');
    if (argsPair !== undefined) return splice(out, argsPair.valueStart, argsPair.valueEnd, tomlArray(args, out, argsPair));
    const cmdNow = pairs.find((p) => p.key === 'command') as Pair;
    const eol = out.includes('\r\n') ? '\r\n' : '\n';
    const lead = out.slice(cmdNow.lineStart, cmdNow.valueStart).match(/^[ \t]*/)?.[0] ?? '';
    const atEnd = !out.slice(cmdNow.lineStart, cmdNow.lineEnd).endsWith('\n');
    out = splice(out, cmdNow.lineEnd, cmdNow.lineEnd, `${atEnd ? eol : ''}${lead}args = ${tomlArray(args, out, undefined)}${atEnd ? '' : eol}`);
    return out;
  },

  wrapCommand(text, container, name, command, prefix) {
    const t = findTable(text, container, name);
    const argsPair = t?.pairs.find((p) => p.key === 'args');
    const cmd = t?.pairs.find((p) => p.key === 'command');
    const first = argsPair !== undefined && text[argsPair.valueStart] === '[' ? firstElement(text, argsPair.valueStart, argsPair.valueEnd) : -1;
    if (argsPair === undefined || cmd === undefined || first === -1) return tomlEditor.setCommand(text, container, name, command, [...prefix]);
    const lineStart = text.lastIndexOf('\n', first - 1) + 1;
    const multiLine = lineStart > argsPair.valueStart;
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const sep = multiLine ? `,${eol}${text.slice(lineStart, first)}` : ', ';
    // args usually follows command: edit the later span first so earlier offsets stay valid
    const edits = [
      { at: first, end: first, content: prefix.map((a) => tomlString(a) + sep).join('') },
      { at: cmd.valueStart, end: cmd.valueEnd, content: tomlString(command) },
    ].sort((a, b) => b.at - a.at);
    return edits.reduce((s, e) => splice(s, e.at, e.end, e.content), text);
  },
};
