/**
 * `mcp-guard <client> setup`: wrap every stdio server of an agent in
 * `mcp-guard proxy`. Remote entries are left alone, wrapped ones skipped, so
 * running setup twice changes nothing the second time. A wrapped entry whose
 * `env` block sets a variable it does not pass (wrapped by hand, or edited after
 * setup) gets the missing `--env NAME`, so the server still gets its settings.
 */
import { applyToFiles, entryKey, listEntries, verifyEntries, type ChangeOptions, type FilePlan, type FileReport, type ItemReport, type PlanInput } from './apply.js';
import { editorFor } from './config-file.js';
import { recordKey, type SetupRecord } from './state.js';
import { addEnvPassthrough, classifyEntry, resolveLauncher, wrapEntry, type Launcher } from './wrap.js';
import { maskMoved, moveSecrets, scrubRecord, type SecretSink } from './move-secrets.js';
import type { SecretFinder } from './secrets.js';

/** Options of {@link runSetup}. */
export interface SetupOptions extends ChangeOptions {
  /** Absolute path of the mcp-guard config, written as `-c` into every wrapped entry. */
  readonly configPath?: string | undefined;
  /** @default {@link resolveLauncher}() */
  readonly launcher?: Launcher;
  /** Clock for the state file (tests). */
  readonly now?: () => Date;
  /** `--move-secrets`: inline `env` secrets of wrapped entries go to the store (move-secrets.ts). */
  readonly moveSecrets?: { readonly finder: SecretFinder; readonly sink: SecretSink } | undefined;
}

/**
 * Plan the wrap of one file's text.
 * @returns the new text, a report per entry, and the state records to store
 * @throws GuardError `INPUT_INVALID` when the file does not parse or an edit cannot be verified
 */
export function planSetup(input: PlanInput, options: Pick<SetupOptions, 'configPath' | 'launcher' | 'now' | 'moveSecrets'>): FilePlan {
  const { text, location, client } = input;
  const editor = editorFor(location.format);
  const launcher = options.launcher ?? resolveLauncher();
  const refs = listEntries(text, location);
  const items: ItemReport[] = [];
  const expected = new Map<string, unknown>();
  const wrappedRefs: typeof refs = [];
  let out = text;
  for (const ref of refs) {
    const kind = classifyEntry(ref.value, client.urlTransport);
    const base = { name: ref.name, scope: ref.container.scope, container: ref.container.path, transport: kind.transport };
    expected.set(entryKey(ref), ref.value);
    if (kind.kind === 'remote') items.push({ ...base, status: 'remote' });
    else if (kind.kind === 'wrapped') {
      const fix = ref.readOnly === undefined ? addEnvPassthrough(ref.value) : undefined;
      if (fix === undefined) items.push({ ...base, status: 'already-wrapped' });
      else {
        out = editor.setCommand(out, ref.container, ref.name, ref.value['command'] as string, fix.args);
        expected.set(entryKey(ref), fix.entry);
        // An entry setup wrapped keeps its record (remove then unwraps it in place, keeping the edits);
        // one wrapped by hand gets one, so remove puts it back exactly as it was.
        if (!input.records.has(recordKey(input.realPath, ref.container.path, ref.name))) wrappedRefs.push(ref);
        const refused = fix.refusedEnv.length > 0 ? `; not passed (mcp-guard refuses them): ${fix.refusedEnv.join(', ')}` : '';
        items.push({ ...base, status: 'env-added', note: `its env block sets ${fix.added.join(', ')}, which the proxy withheld: added --env for each${refused}` });
      }
    }
    else if (kind.kind === 'invalid') items.push({ ...base, status: 'invalid', note: 'no command, or args is not a list of strings' });
    else if (ref.readOnly !== undefined) items.push({ ...base, status: 'read-only', note: ref.readOnly });
    else {
      const w = wrapEntry(ref.value, { name: ref.name, configPath: options.configPath, launcher });
      const origArgs = Array.isArray(ref.value['args']) ? ref.value['args'].length : 0;
      out = editor.wrapCommand(out, ref.container, ref.name, w.command, w.args.slice(0, w.args.length - origArgs));
      expected.set(entryKey(ref), w.entry);
      wrappedRefs.push(ref);
      const notes: string[] = [];
      if (w.refusedEnv.length > 0) notes.push(`not passed to the server (mcp-guard refuses them): ${w.refusedEnv.join(', ')}`);
      // VS Code loads envFile itself; the proxy only passes variables it is told about
      if (typeof ref.value['envFile'] === 'string') notes.push('variables from envFile reach the server only if listed in the config env.passthrough');
      const note = notes.length > 0 ? notes.join('; ') : undefined;
      items.push({ ...base, status: 'wrapped', ...(note !== undefined ? { note } : {}) });
    }
  }
  const move = options.moveSecrets !== undefined ? moveSecrets(out, input, options.moveSecrets.finder, options.moveSecrets.sink, items) : undefined;
  if (move !== undefined) {
    out = move.text;
    for (const [k, v] of move.expected) expected.set(k, v);
  }
  const records = new Map<string, SetupRecord | null>();
  if (out === text) return { text, items, records };
  verifyEntries(out, location, expected);
  const after = new Map(listEntries(out, location).map((r) => [entryKey(r), r]));
  const at = (options.now ?? (() => new Date()))().toISOString();
  // An entry wrapped before (by setup or by hand) whose secrets move now: its record is updated or made here.
  for (const key of move?.entries.keys() ?? []) {
    if (wrappedRefs.some((r) => entryKey(r) === key)) continue;
    const ref = refs.find((r) => entryKey(r) === key);
    if (ref !== undefined && !input.records.has(recordKey(input.realPath, ref.container.path, ref.name))) wrappedRefs.push(ref);
  }
  for (const ref of wrappedRefs) {
    const now = after.get(entryKey(ref));
    if (now === undefined) continue;
    records.set(recordKey(input.realPath, ref.container.path, ref.name), {
      file: input.realPath,
      container: [...ref.container.path],
      name: ref.name,
      originalText: text.slice(ref.offset, ref.offset + ref.length),
      original: ref.value,
      wrappedText: out.slice(now.offset, now.offset + now.length),
      wrapped: now.value,
      at,
    });
  }
  if (move === undefined || move.entries.size === 0) return { text: out, items, records };
  for (const [key, m] of move.entries) {
    const rkey = recordKey(input.realPath, m.ref.container.path, m.ref.name);
    const record = records.get(rkey) ?? input.records.get(rkey);
    const now = after.get(key);
    if (record === undefined || record === null || now === undefined) continue;
    const updated = { ...record, wrappedText: out.slice(now.offset, now.offset + now.length), wrapped: now.value };
    records.set(rkey, scrubRecord(updated, m.values, m.moved));
  }
  // The `.bak` keeps the old text with the moved values masked: a backup must not keep what was moved out.
  return { text: out, items, records, backup: maskMoved(text, move.values), maskValues: move.values };
}

/**
 * Wrap every stdio server of `options.clients` (files that exist, within the scope).
 * @returns one report per file
 * @throws GuardError when the setup state cannot be read or written
 */
export function runSetup(options: SetupOptions): FileReport[] {
  return applyToFiles(options, (input) => planSetup(input, options));
}
