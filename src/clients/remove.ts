/**
 * `mcp-guard <client> remove`: undo setup. An entry that is still exactly as
 * setup left it gets its recorded original text back, byte for byte; one that
 * was edited since is unwrapped in place (command and args from after `--`),
 * keeping the edits. Entries setup has no record of (wrapped by hand, or
 * before the state file was lost) are left wrapped unless `includeUnrecorded`.
 */
import { applyToFiles, entryKey, listEntries, verifyEntries, type ChangeOptions, type FilePlan, type FileReport, type ItemReport, type PlanInput } from './apply.js';
import { editorFor } from './config-file.js';
import { canonicalJson } from '../scan/drift.js';
import { recordKey, type SetupRecord } from './state.js';
import { classifyEntry, unwrapEntry } from './wrap.js';
import type { EntryRef } from './types.js';
import { envLiteral, secretReferences, secretToken, unscrubRecord, type SecretSource } from './move-secrets.js';
import { reference } from '../secrets/reference.js';

function restoreExact(text: string, input: PlanInput, ref: EntryRef, record: SetupRecord): string | undefined {
  const now = listEntries(text, input.location).find((r) => entryKey(r) === entryKey(ref));
  if (now === undefined || now.readOnly !== undefined) return undefined;
  const out = text.slice(0, now.offset) + record.originalText + text.slice(now.offset + now.length);
  try {
    verifyEntries(out, input.location, new Map([[entryKey(ref), record.original]]));
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Plan the unwrap of one file's text.
 * @returns the new text, a report per entry, and the state records to drop
 * @throws GuardError `INPUT_INVALID` when the file does not parse or an edit cannot be verified
 */
export function planRemove(input: PlanInput, includeUnrecorded = false, restoreSecrets?: SecretSource): FilePlan {
  const { text, location, client } = input;
  const editor = editorFor(location.format);
  const items: ItemReport[] = [];
  const records = new Map<string, SetupRecord | null>();
  const expected = new Map<string, unknown>();
  let out = text;
  for (const ref of listEntries(text, location)) {
    const kind = classifyEntry(ref.value, client.urlTransport);
    const base = { name: ref.name, scope: ref.container.scope, container: ref.container.path, transport: kind.transport };
    const key = recordKey(input.realPath, ref.container.path, ref.name);
    const record = input.records.get(key);
    expected.set(entryKey(ref), ref.value);
    if (kind.kind !== 'wrapped') {
      items.push({ ...base, status: kind.kind === 'remote' ? 'remote' : 'not-wrapped' });
      if (record !== undefined) records.set(key, null);
      continue;
    }
    if (record === undefined && !includeUnrecorded) {
      items.push({ ...base, status: 'unrecorded' });
      continue;
    }
    if (ref.readOnly !== undefined) {
      items.push({ ...base, status: 'read-only', note: ref.readOnly });
      continue;
    }
    // Stored secrets (setup --move-secrets): unwrapped, the server would get "secret:NAME"; put the values back only when asked.
    const refs = secretReferences(Array.isArray(ref.value['args']) ? (ref.value['args'] as string[]) : []);
    const values = new Map<string, string>();
    if (refs.length > 0) {
      const names = refs.map((r) => r.store).join(', ');
      if (restoreSecrets === undefined) {
        items.push({ ...base, status: 'secrets-kept', note: `its secrets are in the secret store (${names}): left wrapped so the server still gets them; remove --restore-secrets writes them back inline` });
        continue;
      }
      const missing = refs.filter((r) => {
        const v = restoreSecrets.get(r.store);
        if (v !== undefined) values.set(r.store, v);
        return v === undefined;
      });
      if (missing.length > 0) {
        items.push({ ...base, status: 'secrets-kept', note: `left wrapped: not in the secret store: ${missing.map((r) => r.store).join(', ')}` });
        continue;
      }
    }
    const full = record !== undefined && values.size > 0 ? unscrubRecord(record, values) : record;
    // A token left means the record names a value this entry no longer references: never write a token into the file.
    const exact = full !== undefined && !full.originalText.includes(secretToken('')) && canonicalJson(ref.value) === canonicalJson(full.wrapped) ? restoreExact(out, input, ref, full) : undefined;
    if (exact !== undefined && full !== undefined) {
      out = exact;
      expected.set(entryKey(ref), full.original);
      items.push({ ...base, status: 'restored' });
    } else {
      const unwrapped = unwrapEntry(ref.value, record === undefined || 'args' in record.original) as Record<string, unknown>;
      const args = unwrapped['args'] as string[] | undefined;
      out = editor.setCommand(out, ref.container, ref.name, unwrapped['command'] as string, args);
      // Edited since setup: the env block still names the references; write the values there.
      const env = { ...((unwrapped['env'] ?? {}) as Record<string, unknown>) };
      for (const r of refs) {
        const span = env[r.variable] === reference(r.store) ? envLiteral(out, input.location.format, ref.container, ref.name, r.variable, reference(r.store)) : undefined;
        const value = values.get(r.store) as string;
        if (span === undefined) continue;
        out = out.slice(0, span.start) + (span.quote === '"' ? JSON.stringify(value) : `'${value}'`) + out.slice(span.end);
        env[r.variable] = value;
      }
      if (refs.length > 0) unwrapped['env'] = env;
      expected.set(entryKey(ref), unwrapped);
      items.push({ ...base, status: 'unwrapped', note: record === undefined ? 'no record of the original: unwrapped in place' : 'edited since setup: unwrapped in place' });
    }
    if (record !== undefined) records.set(key, null);
  }
  if (out !== text) verifyEntries(out, location, expected);
  return { text: out, items, records };
}

/** Options of {@link runRemove}. */
export interface RemoveOptions extends ChangeOptions {
  /** Also unwrap wrapped entries that setup has no record of. @default false */
  readonly includeUnrecorded?: boolean;
  /** `--restore-secrets`: put values moved by `setup --move-secrets` back inline, from this store. */
  readonly restoreSecrets?: SecretSource | undefined;
}

/**
 * Undo setup for every file of `options.clients` within the scope.
 * @returns one report per file
 * @throws GuardError when the setup state cannot be read or written
 */
export function runRemove(options: RemoveOptions): FileReport[] {
  return applyToFiles(options, (input) => planRemove(input, options.includeUnrecorded === true, options.restoreSecrets));
}
