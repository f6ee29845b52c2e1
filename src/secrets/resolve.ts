/**
 * The proxy's side of the store: turn `--env NAME=secret:STORE_NAME` and config
 * `env.secrets` into values for the server's environment, before it is spawned.
 */
import { GuardError } from '../errors.js';
import type { EnvSpec } from '../proxy/env.js';
import type { StoreChoice } from './store.js';

/** The specs with every reference resolved, and the values that came from the store. */
export interface ResolvedSecrets {
  /** `--env` specs, references replaced by `{name, value}`; config `env.secrets` come first, so `--env` wins. */
  readonly specs: EnvSpec[];
  /** Variable name → value, for the DLP check in both directions; empty when nothing was referenced. */
  readonly stored: Readonly<Record<string, string>>;
  /** Which store was read, for the start-up log; undefined when nothing was referenced. */
  readonly store?: string;
}

/**
 * Resolve references. The store module (and the keychain binding) is loaded
 * only when there is one, so a proxy without references starts as before.
 * @param specs parsed `--env` values ({@link EnvSpec.secret} set for references)
 * @param configSecrets config `env.secrets`: variable → store name
 * @throws GuardError `INPUT_INVALID` when a secret is missing or the store cannot
 *   be read (the message names the variable, the store name and the store, never a value);
 *   `USAGE` for a bad `$MCP_GUARD_SECRET_STORE`
 */
export async function resolveSecretSpecs(
  specs: readonly EnvSpec[],
  configSecrets: Readonly<Record<string, string>>,
  options: { env: NodeJS.ProcessEnv; configStore?: StoreChoice | undefined },
): Promise<ResolvedSecrets> {
  const all: EnvSpec[] = [...Object.entries(configSecrets).map(([name, secret]) => ({ name, secret })), ...specs];
  if (!all.some((s) => s.secret !== undefined)) return { specs: [...specs], stored: {} };
  const { openSecretStore, storeChoice } = await import('./store.js');
  const store = await openSecretStore(storeChoice({ env: options.env, config: options.configStore }), options.env);
  const stored: Record<string, string> = {};
  const out = all.map((spec): EnvSpec => {
    if (spec.secret === undefined) return spec;
    const via = Object.hasOwn(configSecrets, spec.name) && !specs.includes(spec) ? `env.secrets.${spec.name}` : `--env ${spec.name}=secret:${spec.secret}`;
    const found = store.get(spec.secret);
    if (found === undefined) {
      throw new GuardError('INPUT_INVALID', `${via}: no secret named "${spec.secret}" in ${store.describe()}; store it with: mcp-guard secrets set ${spec.secret}`);
    }
    stored[spec.name] = found.value;
    return { name: spec.name, value: found.value };
  });
  return { specs: out, stored, store: store.describe() };
}
