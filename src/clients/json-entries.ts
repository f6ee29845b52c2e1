/**
 * JSON and JSONC config files, read and edited with Microsoft's `jsonc-parser`
 * (the parser VS Code uses for its own settings): edits replace only the
 * `command` and `args` values, so comments, key order and layout survive.
 */
import { applyEdits, findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { GuardError } from '../errors.js';
import type { EntryEditor, EntryRef, ServerContainer } from './types.js';

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

function tree(text: string, file: string): Node | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  if (errors.length > 0) {
    const problems = errors.map((e) => `${file}:${lineCol(text, e.offset)}: ${printParseErrorCode(e.error)}`);
    throw new GuardError('INPUT_INVALID', `cannot parse ${file}`, problems);
  }
  return root;
}

function property(node: Node, key: string): Node | undefined {
  return node.children?.find((p) => p.children?.[0]?.value === key);
}

/** The file's end-of-line and one level of indentation (tab or N spaces, default two). */
function layout(text: string): { eol: string; unit: string } {
  const m = /\n([ \t]+)\S/.exec(text);
  return { eol: text.includes('\r\n') ? '\r\n' : '\n', unit: m?.[1]?.startsWith('\t') ? '\t' : (m?.[1] ?? '  ') };
}

function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))?.[0] ?? '';
}

/** Format an array like the one it replaces: one line when that was on one line, one item per line otherwise. */
function formatArray(items: readonly string[], text: string, at: number, previous: string | undefined): string {
  if (previous !== undefined && previous.includes('\n')) {
    const { eol, unit } = layout(text);
    const indent = lineIndent(text, at);
    return `[${eol}${items.map((a) => `${indent}${unit}${JSON.stringify(a)}`).join(`,${eol}`)}${eol}${indent}]`;
  }
  const compact = previous !== undefined && /,\S/.test(previous) && !/, /.test(previous);
  return `[${items.map((a) => JSON.stringify(a)).join(compact ? ',' : ', ')}]`;
}

function entryNode(text: string, container: ServerContainer, name: string): Node {
  const root = tree(text, 'config');
  const node = root && findNodeAtLocation(root, [...container.path, name]);
  if (node?.type !== 'object') throw new GuardError('INPUT_INVALID', `entry ${[...container.path, name].join('.')} not found`);
  return node;
}

/** Insert `items` before the first element of a non-empty array node, in the array's own layout. */
function prependItems(text: string, array: Node, items: readonly string[]): string {
  const first = array.children?.[0] as Node;
  const gap = text.slice(array.offset + 1, first.offset);
  const sep = gap.includes('\n') ? `,${layout(text).eol}${lineIndent(text, first.offset)}` : /,\s/.test(text.slice(array.offset, array.offset + array.length)) || array.children?.length === 1 ? ', ' : ',';
  return applyEdits(text, [{ offset: first.offset, length: 0, content: items.map((a) => JSON.stringify(a) + sep).join('') }]);
}

function entryArgs(text: string, container: ServerContainer, name: string): Node {
  return property(entryNode(text, container, name), 'args')?.children?.[1] as Node;
}

/** The editor for `json` and `jsonc` files (comments and trailing commas are tolerated in both). */
export const jsonEditor: EntryEditor = {
  parse(text, file) {
    const root = tree(text, file);
    return root === undefined ? {} : (getNodeValue(root) as unknown);
  },

  entries(text, _data, containers) {
    const root = tree(text, 'config');
    if (root === undefined) return [];
    const out: EntryRef[] = [];
    for (const container of containers) {
      const node = findNodeAtLocation(root, [...container.path]);
      if (node?.type !== 'object') continue;
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (typeof key?.value !== 'string' || value?.type !== 'object') continue;
        out.push({ container, name: key.value, value: getNodeValue(value) as Record<string, unknown>, offset: value.offset, length: value.length });
      }
    }
    return out;
  },

  setCommand(text, container, name, command, args) {
    let node = entryNode(text, container, name);
    const cmd = property(node, 'command')?.children?.[1];
    if (cmd === undefined) throw new GuardError('INPUT_INVALID', `entry ${name} has no command`);
    let out = applyEdits(text, [{ offset: cmd.offset, length: cmd.length, content: JSON.stringify(command) }]);
    node = entryNode(out, container, name);
    const argsProp = property(node, 'args');
    const argsValue = argsProp?.children?.[1];
    if (args === undefined) {
      if (argsProp === undefined) return out;
      // remove the property with the separator before it (or after it, when it comes first)
      const props = node.children ?? [];
      const i = props.indexOf(argsProp);
      const prev = props[i - 1];
      const next = props[i + 1];
      const start = prev !== undefined ? prev.offset + prev.length : argsProp.offset;
      const end = prev === undefined && next !== undefined ? next.offset : argsProp.offset + argsProp.length;
      return applyEdits(out, [{ offset: start, length: end - start, content: '' }]);
    }
    if (argsValue !== undefined) {
      const previous = out.slice(argsValue.offset, argsValue.offset + argsValue.length);
      const content = formatArray(args, out, argsValue.offset, previous);
      return applyEdits(out, [{ offset: argsValue.offset, length: argsValue.length, content }]);
    }
    const cmdProp = property(node, 'command') as Node;
    const cmdEnd = cmdProp.offset + cmdProp.length;
    const entryText = out.slice(node.offset, node.offset + node.length);
    const sep = entryText.includes('\n') ? `,${layout(out).eol}${lineIndent(out, cmdProp.offset)}` : ', ';
    out = applyEdits(out, [{ offset: cmdEnd, length: 0, content: `${sep}"args": ${formatArray(args, out, cmdProp.offset, undefined)}` }]);
    return out;
  },

  wrapCommand(text, container, name, command, prefix) {
    const node = entryNode(text, container, name);
    const args = property(node, 'args')?.children?.[1];
    if (args?.type !== 'array' || (args.children?.length ?? 0) === 0) {
      const current = args === undefined ? [] : (getNodeValue(args) as unknown);
      if (!Array.isArray(current)) throw new GuardError('INPUT_INVALID', `entry ${name}: args is not a list`);
      return jsonEditor.setCommand(text, container, name, command, [...prefix]);
    }
    const cmd = property(node, 'command')?.children?.[1];
    if (cmd === undefined) throw new GuardError('INPUT_INVALID', `entry ${name} has no command`);
    // args come after or before command: edit the later one first so offsets stay valid
    const setCmd = (t: string): string => applyEdits(t, [{ offset: cmd.offset, length: cmd.length, content: JSON.stringify(command) }]);
    return args.offset > cmd.offset ? setCmd(prependItems(text, args, prefix)) : prependItems(setCmd(text), entryArgs(setCmd(text), container, name), prefix);
  },
};
