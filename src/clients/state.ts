/**
 * What setup changed, so remove can restore it exactly: for every wrapped
 * entry, the original text and value and the wrapped text and value.
 * Stored in `<stateDir>/setup-state.json` (see `paths.ts`), mode 0600 in a
 * 0700 directory, because original entries may hold inline secrets.
 *
 * Shape: `{ "version": 1, "records": SetupRecord[] }`.
 */
import { dirname } from 'node:path';
import { z } from 'zod';
import { GuardError } from '../errors.js';
import { ensurePrivateDir, PrivateFsError } from '../private-fs.js';
import { readText, writeAtomic } from './config-file.js';

const recordSchema = z.object({
  /** Real path of the config file. */
  file: z.string(),
  /** Key path of the server map. */
  container: z.array(z.string()),
  name: z.string(),
  /** The entry's exact text before setup. */
  originalText: z.string(),
  original: z.record(z.string(), z.unknown()),
  /** The entry's exact text after setup. */
  wrappedText: z.string(),
  wrapped: z.record(z.string(), z.unknown()),
  /** ISO time of the setup. */
  at: z.string(),
  /**
   * Variables `setup --move-secrets` moved to the secret store. Their values are
   * not in this file: `originalText` and `original` hold a token per value
   * (move-secrets.ts `secretToken`), and `remove --restore-secrets` reads them back.
   */
  secrets: z.array(z.object({ variable: z.string(), store: z.string() })).optional(),
});

const stateSchema = z.object({ version: z.literal(1), records: z.array(recordSchema) });

/** One wrapped entry as recorded by setup. */
export type SetupRecord = z.infer<typeof recordSchema>;

/** The whole state file. */
export type SetupState = z.infer<typeof stateSchema>;

/**
 * Read the state file.
 * @returns an empty state when the file does not exist
 * @throws GuardError `INPUT_INVALID` when it exists but is not a valid state file
 */
export function loadState(path: string): SetupState {
  const file = readText(path);
  if (file === undefined) return { version: 1, records: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(file.text);
  } catch (err) {
    throw new GuardError('INPUT_INVALID', `cannot parse ${path}: ${(err as Error).message}`);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new GuardError('INPUT_INVALID', `invalid state file ${path}`, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/**
 * Write the state file atomically with mode 0600, creating its directory (0700);
 * an existing directory that others can enter is narrowed to 0700.
 * @throws GuardError `INPUT_INVALID` when it cannot be written, or the directory is another user's
 */
export function saveState(path: string, state: SetupState): void {
  try {
    ensurePrivateDir(dirname(path));
  } catch (err) {
    if (err instanceof PrivateFsError) throw new GuardError('INPUT_INVALID', `state directory: ${err.message}`);
    throw err;
  }
  writeAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** The key that identifies an entry across runs. */
export function recordKey(file: string, container: readonly string[], name: string): string {
  return JSON.stringify([file, container, name]);
}

/** Index records by {@link recordKey}. */
export function indexRecords(state: SetupState): Map<string, SetupRecord> {
  return new Map(state.records.map((r) => [recordKey(r.file, r.container, r.name), r]));
}
