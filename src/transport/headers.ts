/**
 * Extra HTTP headers for `proxy --upstream`, from the command line, the
 * environment or a file. Header values are treated as secrets: they are never
 * logged and never appear in an error message (only the header's name does).
 */
import { readFileSync } from 'node:fs';
import { GuardError } from '../errors.js';
import { referencedName } from '../secrets/reference.js';
import type { StoreChoice } from '../secrets/store.js';

/** One header to send with every request to the upstream. */
export interface UpstreamHeader {
  readonly name: string;
  readonly value: string;
}

/** RFC 9110 § 5.1 field-name token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers the transport sets itself (MCP spec, Streamable HTTP), or that fetch owns. */
const RESERVED = new Set(['accept', 'content-type', 'content-length', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'host', 'connection', 'transfer-encoding']);
/** Largest header value from a file, bytes. */
const MAX_FILE_VALUE = 16 * 1024;

function checkName(name: string, flag: string): string {
  if (!TOKEN.test(name)) throw new GuardError('USAGE', `${flag}: "${name.slice(0, 40)}" is not a valid header name`);
  if (RESERVED.has(name.toLowerCase())) throw new GuardError('USAGE', `${flag}: the header ${name} is set by the transport itself`);
  return name;
}

function checkValue(name: string, value: string, flag: string): string {
  // CR, LF and NUL would split or end the header; fetch refuses them too, with the value in its message.
  if (/[\r\n\0]/.test(value)) throw new GuardError('USAGE', `${flag}: the value of ${name} contains a line break or NUL`);
  return value.trim();
}

/**
 * Build the header list.
 * - `--header 'Name: value'`: a literal value; `${VAR}` in it is replaced by the variable
 *   from `env` (so an agent's config can hold the reference, not the token).
 * - `--header-from-env 'Name=VAR'`: the whole value from the environment variable VAR.
 * - `--header-from-file 'Name=PATH'`: the whole value from the file at PATH (its last
 *   line break removed; at most 16 KiB).
 * @throws GuardError `USAGE` for a malformed spec, a reserved header name, a missing
 *   variable or an unreadable file; the message names the header and the variable or
 *   file, never a value
 */
export function buildHeaders(
  specs: { readonly inline: readonly string[]; readonly fromEnv: readonly string[]; readonly fromFile: readonly string[] },
  env: NodeJS.ProcessEnv,
): UpstreamHeader[] {
  const out: UpstreamHeader[] = [];
  for (const spec of specs.inline) {
    const colon = spec.indexOf(':');
    if (colon <= 0) throw new GuardError('USAGE', `--header: expected 'Name: value' (the text before the first colon is the header's name)`);
    const name = checkName(spec.slice(0, colon).trim(), '--header');
    const raw = spec.slice(colon + 1).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, v: string) => {
      const value = env[v];
      if (value === undefined) throw new GuardError('USAGE', `--header ${name}: the environment variable ${v} is not set`);
      return value;
    });
    out.push({ name, value: checkValue(name, raw, '--header') });
  }
  for (const spec of specs.fromEnv) {
    const [name, variable] = pair(spec, '--header-from-env', 'Name=VAR');
    const value = env[variable];
    if (value === undefined || value === '') throw new GuardError('USAGE', `--header-from-env ${name}: the environment variable ${variable} is not set`);
    out.push({ name, value: checkValue(name, value, '--header-from-env') });
  }
  for (const spec of specs.fromFile) {
    const [name, file] = pair(spec, '--header-from-file', 'Name=PATH');
    let text: string;
    try {
      const bytes = readFileSync(file);
      if (bytes.length > MAX_FILE_VALUE) throw new Error(`over ${MAX_FILE_VALUE} bytes`);
      text = bytes.toString('utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new GuardError('USAGE', `--header-from-file ${name}: cannot read ${file}: ${why}`);
    }
    out.push({ name, value: checkValue(name, text, '--header-from-file') });
  }
  return out;
}

function pair(spec: string, flag: string, shape: string): [string, string] {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new GuardError('USAGE', `${flag}: expected '${shape}'`);
  return [checkName(spec.slice(0, eq).trim(), flag), spec.slice(eq + 1)];
}

/** Every header value, for masking in logs (see `AuditLog` `secrets`). */
export function headerSecrets(headers: readonly UpstreamHeader[]): string[] {
  const out: string[] = [];
  for (const h of headers) {
    if (h.value.length >= 4) out.push(h.value);
    // The token alone, as it may show up without its scheme.
    const m = /^\S+\s+(\S{4,})$/.exec(h.value);
    if (m?.[1] !== undefined) out.push(m[1]);
  }
  return out;
}

/** Header names that carry credentials. */
const SECRET_HEADER = /^(?:authorization|proxy-authorization|cookie)$|token|secret|key|auth|password/i;

/**
 * Warnings for `--header` values written literally on the command line (no `${VAR}`)
 * under a credential-like name: anyone who can list processes can read them.
 * @returns one message per such header, naming it (never its value)
 */
export function inlineSecretWarnings(inline: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of inline) {
    const colon = spec.indexOf(':');
    const name = spec.slice(0, colon).trim();
    if (colon > 0 && SECRET_HEADER.test(name) && !spec.slice(colon + 1).includes('${')) {
      out.push(`--header ${name}: the value is written on the command line, where other local users can read it (ps); use --header-from-env or --header-from-file`);
    }
  }
  return out;
}

/**
 * Header values that are references to stored secrets (`secret:NAME`, issue 16; `setup
 * --move-secrets` writes them into a wrapped entry's `env` block) replaced by the stored
 * value. The store is opened only when there is a reference.
 * @throws GuardError `INPUT_INVALID` when a referenced secret is missing (naming the header
 *   and the store name, never a value)
 */
export async function resolveHeaderSecrets(headers: readonly UpstreamHeader[], env: NodeJS.ProcessEnv, configStore: StoreChoice | undefined): Promise<UpstreamHeader[]> {
  if (!headers.some((h) => referencedName(h.value) !== undefined)) return [...headers];
  const { openSecretStore, storeChoice } = await import('../secrets/store.js');
  const store = await openSecretStore(storeChoice({ env, config: configStore }), env);
  return headers.map((h) => {
    const name = referencedName(h.value);
    if (name === undefined) return h;
    const found = store.get(name);
    if (found === undefined) throw new GuardError('INPUT_INVALID', `header ${h.name}: no secret named "${name}" in ${store.describe()}; store it with: mcp-guard secrets set ${name}`);
    return { name: h.name, value: checkValue(h.name, found.value, 'header') };
  });
}
