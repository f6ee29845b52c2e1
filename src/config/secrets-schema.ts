/**
 * mcp-guard's stored-secret keys inside the `env` section:
 * `env.secrets: {VARIABLE: STORE_NAME}` and `env.secret_store: auto|keychain|file`.
 * Documented in pipelock.example.yaml (`# ---- secrets (mcp-guard) ----`).
 */
import type * as Zod from 'zod';
import { isPassableName, refusalReason } from '../proxy/env.js';
import { isStoreName } from '../secrets/reference.js';

/** The keys this module adds to the `env` strictObject (spread into it in schema.ts). */
export function secretsEnvKeys(z: typeof Zod) {
  const variable = z.string().superRefine((name, ctx) => {
    if (!isPassableName(name)) ctx.addIssue({ code: 'custom', message: `invalid variable name "${name}"` });
    const reason = refusalReason(name);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: `${name} refused: ${reason}` });
  });
  return {
    /**
     * Variables the server gets from the secret store: variable name → store name
     * (`mcp-guard secrets set STORE_NAME`). A missing secret stops the proxy before
     * the server starts (exit 2). @default {}
     */
    secrets: z.record(variable, z.string().refine(isStoreName, { message: 'invalid store name (letters, digits, ".", "_", "-", "/"; at most 128)' })).optional(),
    /** Where stored secrets are read: `auto` (keychain when it answers, else the file), `keychain` or `file`. @default "auto" */
    secret_store: z.enum(['auto', 'keychain', 'file']).optional(),
  };
}

/** The normalised form of those keys. */
export interface SecretsEnvConfig {
  /** Variable name → store name. */
  readonly envSecrets: Readonly<Record<string, string>>;
  /** Undefined when not set (then `$MCP_GUARD_SECRET_STORE` or `auto` decides). */
  readonly secretStore?: 'auto' | 'keychain' | 'file';
}

/** Normalise `env.secrets` and `env.secret_store`. */
export function normalizeSecretsEnv(env: { secrets?: Record<string, string> | undefined; secret_store?: 'auto' | 'keychain' | 'file' | undefined } | undefined): SecretsEnvConfig {
  return { envSecrets: env?.secrets ?? {}, ...(env?.secret_store !== undefined ? { secretStore: env.secret_store } : {}) };
}
