/**
 * The OS keychain backend through `@napi-rs/keyring` (a binding of the Rust
 * `keyring` crate, prebuilt per platform, no libsecret needed): Secret Service
 * on Linux (GNOME Keyring, KWallet), Keychain on macOS, Credential Manager on
 * Windows. Every secret is one item of service `mcp-guard`, account = store name.
 *
 * The binding is loaded on first use only (`createRequire`), so a proxy with no
 * secret reference never loads it. On Linux the item is pinned to the Secret
 * Service: the crate would otherwise fall back to the kernel keyring, which
 * forgets everything at logout or reboot.
 */
import { createRequire } from 'node:module';
import type * as KeyringModule from '@napi-rs/keyring';
import type { Entry as KeyringEntry, EntryOptions } from '@napi-rs/keyring';
import { GuardError } from '../errors.js';
import type { SecretBackend } from './store.js';

/** The keychain service name of every item. */
export const KEYCHAIN_SERVICE = 'mcp-guard';

type Keyring = typeof KeyringModule;

let binding: Keyring | undefined;

function keyring(): Keyring {
  return (binding ??= createRequire(import.meta.url)('@napi-rs/keyring') as Keyring);
}

const OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/** The platform's name for its keychain, for messages. */
export function keychainLabel(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

/** First line of a binding error (they can be long DBus traces); never holds a secret value. */
function reason(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0] ?? 'unknown error';
}

/** The keychain backend. */
export class KeychainSecretBackend implements SecretBackend {
  readonly name = 'keychain' as const;
  readonly where = `${keychainLabel()} (service "${KEYCHAIN_SERVICE}")`;

  #entry(name: string): KeyringEntry {
    const { Entry } = keyring();
    return new Entry(KEYCHAIN_SERVICE, name, OPTIONS);
  }

  /**
   * Whether the keychain answers: a lookup of an item that need not exist.
   * @returns undefined when it does, else why not (binding missing, no Secret Service on the bus, …)
   */
  unreachable(): string | undefined {
    try {
      this.#entry('.mcp-guard-probe').getPassword();
      return undefined;
    } catch (err) {
      return reason(err);
    }
  }

  #call<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw new GuardError('INPUT_INVALID', `${this.where}: cannot ${what}: ${reason(err)}`);
    }
  }

  get(name: string): string | undefined {
    return this.#call(`read ${name}`, () => this.#entry(name).getPassword() ?? undefined);
  }

  set(name: string, value: string): void {
    this.#call(`store ${name}`, () => this.#entry(name).setPassword(value));
  }

  delete(name: string): boolean {
    return this.#call(`delete ${name}`, () => this.#entry(name).deletePassword());
  }

  list(): string[] {
    return this.#call('list items', () => keyring().findCredentials(KEYCHAIN_SERVICE).map((c) => c.account).filter((a) => a !== '.mcp-guard-probe')).sort();
  }
}
