/**
 * The secret store: where `mcp-guard secrets`, `setup --move-secrets` and the
 * proxy keep and find secret values. Two backends: the OS keychain
 * (keychain-store.ts) and a private file (file-store.ts).
 *
 * The backend is chosen, in this order, by `--store` (the `secrets` and setup
 * commands), `$MCP_GUARD_SECRET_STORE`, config `env.secret_store`, else `auto`:
 * - `keychain`: the OS keychain only; unreachable is an error;
 * - `file`: the file only;
 * - `auto`: writes go to the keychain when it answers, else to the file; reads
 *   and deletes look in the keychain (when it answers), then in the file.
 * Every command says which backend it used.
 */
import { GuardError } from '../errors.js';
import { isStoreName } from './reference.js';
import { FileSecretBackend, fileStorePath } from './file-store.js';
import type { KeychainSecretBackend } from './keychain-store.js';

/** A backend's name. */
export type BackendName = 'keychain' | 'file';

/** The configured choice. */
export type StoreChoice = 'auto' | BackendName;

/** The values `--store`, `$MCP_GUARD_SECRET_STORE` and `env.secret_store` accept. */
export const STORE_CHOICES: readonly StoreChoice[] = ['auto', 'keychain', 'file'];

/** One place secrets are kept. Methods throw GuardError `INPUT_INVALID` when the backend fails. */
export interface SecretBackend {
  readonly name: BackendName;
  /** For messages: the file's path, or the keychain's name. */
  readonly where: string;
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** @returns whether something was deleted */
  delete(name: string): boolean;
  /** Store names, sorted. */
  list(): string[];
}

/** A found secret and where it was. */
export interface FoundSecret {
  readonly value: string;
  readonly backend: SecretBackend;
}

/**
 * The choice from flag, environment and config, first set wins.
 * @throws GuardError `USAGE` for a value that is not auto, keychain or file
 */
export function storeChoice(sources: { flag?: string | undefined; env: NodeJS.ProcessEnv; config?: StoreChoice | undefined }): StoreChoice {
  const fromEnv = sources.env['MCP_GUARD_SECRET_STORE'];
  const pick: Array<[string | undefined, string]> = [
    [sources.flag, '--store'],
    [fromEnv === '' ? undefined : fromEnv, 'MCP_GUARD_SECRET_STORE'],
    [sources.config, 'config env.secret_store'],
  ];
  for (const [value, via] of pick) {
    if (value === undefined) continue;
    if (!(STORE_CHOICES as readonly string[]).includes(value)) throw new GuardError('USAGE', `${via}: unknown secret store "${value}" (use auto, keychain or file)`);
    return value as StoreChoice;
  }
  return 'auto';
}

/** @throws GuardError `USAGE` when `name` is not a valid store name */
export function checkStoreName(name: string): void {
  if (!isStoreName(name)) {
    throw new GuardError('USAGE', `invalid secret name "${name.slice(0, 64)}": use letters, digits, ".", "_", "-" and "/", starting with a letter or digit, at most 128 characters`);
  }
}

/** The store as the user configured it. */
export class SecretStore {
  readonly choice: StoreChoice;
  readonly file: FileSecretBackend;
  readonly #keychain: () => KeychainSecretBackend;
  #reachable: { backend: KeychainSecretBackend | undefined; why?: string } | undefined;

  /**
   * @param keychain builds the keychain backend; called only when the keychain is
   *   needed, so the native binding is loaded only then (tests pass a stand-in)
   */
  constructor(choice: StoreChoice, env: NodeJS.ProcessEnv, keychain: () => KeychainSecretBackend) {
    this.choice = choice;
    this.file = new FileSecretBackend(fileStorePath(env));
    this.#keychain = keychain;
  }

  /** The keychain when it answers, else undefined and why (probed once). */
  keychain(): { backend: KeychainSecretBackend | undefined; why?: string } {
    if (this.#reachable === undefined) {
      try {
        const backend = this.#keychain();
        const why = backend.unreachable();
        this.#reachable = why === undefined ? { backend } : { backend: undefined, why };
      } catch (err) {
        this.#reachable = { backend: undefined, why: (err as Error).message.split('\n')[0] ?? 'cannot load the keychain binding' };
      }
    }
    return this.#reachable;
  }

  /**
   * Backends to read from, in order.
   * @throws GuardError `INPUT_INVALID` when the choice is `keychain` and it does not answer
   */
  readers(): SecretBackend[] {
    if (this.choice === 'file') return [this.file];
    const k = this.keychain();
    if (this.choice === 'keychain') {
      if (k.backend === undefined) throw new GuardError('INPUT_INVALID', `the keychain does not answer (${k.why ?? '?'}); use --store file or MCP_GUARD_SECRET_STORE=file`);
      return [k.backend];
    }
    return k.backend === undefined ? [this.file] : [k.backend, this.file];
  }

  /** The backend new secrets go to. @throws as {@link readers} */
  writer(): SecretBackend {
    return this.readers()[0] as SecretBackend;
  }

  /** Look `name` up in {@link readers}, in order. */
  get(name: string): FoundSecret | undefined {
    for (const backend of this.readers()) {
      const value = backend.get(name);
      if (value !== undefined) return { value, backend };
    }
    return undefined;
  }

  /** Store `value` under `name` in {@link writer}. @returns the backend used */
  set(name: string, value: string): SecretBackend {
    checkStoreName(name);
    const w = this.writer();
    w.set(name, value);
    return w;
  }

  /** Delete `name` wherever it is. @returns the backends it was deleted from */
  delete(name: string): SecretBackend[] {
    return this.readers().filter((b) => b.delete(name));
  }

  /** Every stored name with its backend. */
  list(): Array<{ name: string; backend: SecretBackend }> {
    return this.readers().flatMap((backend) => backend.list().map((name) => ({ name, backend })));
  }

  /** One line for people: the choice and what it resolves to. */
  describe(): string {
    if (this.choice === 'file') return `file store ${this.file.where}`;
    const k = this.keychain();
    if (this.choice === 'keychain') return k.backend !== undefined ? k.backend.where : `keychain (not answering: ${k.why ?? '?'})`;
    return k.backend !== undefined ? `auto: ${k.backend.where}, then file store ${this.file.where}` : `auto: file store ${this.file.where} (no keychain: ${k.why ?? '?'})`;
  }
}

/**
 * The store for `choice`, loading the keychain binding only when it is first needed.
 */
export async function openSecretStore(choice: StoreChoice, env: NodeJS.ProcessEnv): Promise<SecretStore> {
  if (choice === 'file') return new SecretStore(choice, env, () => { throw new Error('unused'); });
  const { KeychainSecretBackend } = await import('./keychain-store.js');
  return new SecretStore(choice, env, () => new KeychainSecretBackend());
}
