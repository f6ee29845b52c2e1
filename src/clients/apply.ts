/**
 * The loop shared by setup and remove: for every config file of the chosen
 * agents and scope, plan the change on the text, then either print a diff
 * (dry run) or write the file and update the setup state.
 */
import { createTwoFilesPatch } from 'diff';
import { GuardError } from '../errors.js';
import { canonicalJson } from '../scan/drift.js';
import { maskAll } from '../scan/mask.js';
import { editorFor, readText, updateFile } from './config-file.js';
import { setupStatePath } from './paths.js';
import { indexRecords, loadState, saveState, type SetupRecord } from './state.js';
import type { Transport } from './wrap.js';
import type { ClientDef, ConfigLocation, EntryRef, EntryScope, FileScope, PathContext, ScopeFilter } from './types.js';

/** What happened to one entry. */
export type ItemStatus =
  | 'wrapped' // setup wrapped it
  | 'already-wrapped' // setup found it wrapped
  | 'env-added' // setup found it wrapped and added `--env` for variables its env block sets
  | 'remote' // url/httpUrl/serverUrl entry: left alone
  | 'invalid' // no usable command
  | 'read-only' // cannot be edited in place
  | 'restored' // remove put the recorded original back, byte for byte
  | 'unwrapped' // remove undid the wrap on an entry edited since setup
  | 'not-wrapped' // remove found nothing to undo
  | 'unrecorded' // remove left a wrapped entry that setup did not wrap (wrapped by hand)
  | 'secrets-kept'; // remove left a wrapped entry whose secrets are in the store (no --restore-secrets, or one is missing)

/** One entry in a report. */
export interface ItemReport {
  readonly name: string;
  readonly scope: EntryScope;
  /** Key path of the server map, e.g. `projects./repo.mcpServers`. */
  readonly container: readonly string[];
  readonly status: ItemStatus;
  readonly transport: Transport;
  /** Extra detail for people (refused variables, why read-only). */
  readonly note?: string;
}

/** The planned change of one file. */
export interface FilePlan {
  readonly text: string;
  readonly items: ItemReport[];
  /** State changes: a record to store, or null to drop it, by {@link recordKey}. */
  readonly records: Map<string, SetupRecord | null>;
  /** What `<file>.bak` gets instead of the old bytes (`--move-secrets`: the old text with moved values masked). */
  readonly backup?: string;
  /** Values to mask in the dry-run diff besides what the DLP rules find (moved secrets). */
  readonly maskValues?: readonly string[];
}

/** Inputs of a plan function. */
export interface PlanInput {
  readonly text: string;
  readonly location: ConfigLocation;
  readonly client: ClientDef;
  readonly realPath: string;
  readonly records: ReadonlyMap<string, SetupRecord>;
}

/** The outcome for one file. */
export interface FileReport {
  readonly client: ClientDef;
  readonly file: string;
  readonly scope: FileScope;
  readonly items: readonly ItemReport[];
  readonly changed: boolean;
  /** Unified diff (dry run only), secrets masked. */
  readonly diff?: string;
  /** Why the file was not processed. */
  readonly error?: string;
}

/** Options of setup and remove. */
export interface ChangeOptions extends PathContext {
  readonly clients: readonly ClientDef[];
  /** @default "all" */
  readonly scope?: ScopeFilter;
  readonly dryRun?: boolean;
  /** @default `<stateDir>/setup-state.json` */
  readonly statePath?: string;
  /** Masks secrets in diffs (the CLI passes the DLP rules); identity when absent. */
  readonly mask?: (text: string) => string;
}

/** Config files of `clients` within `scope`, each path once. */
export function selectLocations(clients: readonly ClientDef[], ctx: PathContext, scope: ScopeFilter = 'all'): Array<{ client: ClientDef; location: ConfigLocation }> {
  const seen = new Set<string>();
  const out: Array<{ client: ClientDef; location: ConfigLocation }> = [];
  for (const client of clients) {
    for (const location of client.locations(ctx)) {
      if ((scope !== 'all' && location.scope !== scope) || seen.has(location.file)) continue;
      seen.add(location.file);
      out.push({ client, location });
    }
  }
  return out;
}

/** Parse `text` and list its entries. @throws GuardError `INPUT_INVALID` */
export function listEntries(text: string, location: ConfigLocation): EntryRef[] {
  const editor = editorFor(location.format);
  const data = editor.parse(text, location.file);
  return editor.entries(text, data, location.containers(data));
}

/**
 * Check that `text` parses and each listed entry now equals its expected value.
 * @throws GuardError `INPUT_INVALID` when an edit did not produce what was intended (nothing is written)
 */
export function verifyEntries(text: string, location: ConfigLocation, expected: ReadonlyMap<string, unknown>): void {
  const found = new Map(listEntries(text, location).map((e) => [JSON.stringify([e.container.path, e.name]), e.value]));
  for (const [key, value] of expected) {
    if (canonicalJson(found.get(key)) !== canonicalJson(value)) {
      throw new GuardError('INPUT_INVALID', `${location.file}: editing entry ${key} did not give the intended result; the file was left unchanged`);
    }
  }
}

/** The key used by {@link verifyEntries}. */
export function entryKey(ref: Pick<EntryRef, 'container' | 'name'>): string {
  return JSON.stringify([ref.container.path, ref.name]);
}

/**
 * Run `plan` over every selected file; write (or diff) the result.
 * @returns one report per existing file, in client then location order
 * @throws GuardError when the state file cannot be read or written; errors of
 *   single files are reported in their {@link FileReport} instead
 */
export function applyToFiles(options: ChangeOptions, plan: (input: PlanInput) => FilePlan): FileReport[] {
  const statePath = options.statePath ?? setupStatePath(options.env);
  const state = loadState(statePath);
  const records = indexRecords(state);
  let stateChanged = false;
  const reports: FileReport[] = [];
  for (const { client, location } of selectLocations(options.clients, options, options.scope)) {
    const base = { client, file: location.file, scope: location.scope };
    try {
      if (options.dryRun === true) {
        const current = readText(location.file);
        if (current === undefined) continue;
        const p = plan({ text: current.text, location, client, realPath: current.realPath, records });
        const changed = p.text !== current.text;
        const diff = changed ? createTwoFilesPatch(location.file, location.file, current.text, p.text, '', '', { context: 3 }) : undefined;
        const mask = (t: string): string => maskAll((options.mask ?? ((x) => x))(t), p.maskValues ?? []);
        reports.push({ ...base, items: p.items, changed, ...(diff !== undefined ? { diff: mask(diff) } : {}) });
        continue;
      }
      const update = updateFile(location.file, (text, realPath) => {
        const p = plan({ text, location, client, realPath, records });
        return { text: p.text, result: p, ...(p.backup !== undefined ? { backup: p.backup } : {}) };
      });
      if (update === undefined) continue;
      for (const [key, record] of update.result.records) {
        if (record === null) stateChanged = records.delete(key) || stateChanged;
        else {
          records.set(key, record);
          stateChanged = true;
        }
      }
      reports.push({ ...base, items: update.result.items, changed: update.before !== update.after });
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      reports.push({ ...base, items: [], changed: false, error: [err.message, ...err.problems].join('; ') });
    }
  }
  if (stateChanged) saveState(statePath, { version: 1, records: [...records.values()] });
  return reports;
}
