/**
 * Wrapping a remote (`url` / `httpUrl` / `serverUrl`, `type: http|sse`) server
 * entry in `mcp-guard proxy --upstream URL`, for `setup --remote`.
 *
 * The entry becomes a stdio entry (`command`, `args`; `type: "stdio"` where it
 * had a `type`). Each header moves out of the command line: its value goes into
 * the entry's `env` block under a generated name, and `args` only say
 * `--header-from-env Name=VAR`, so a token is never in `args` (nor in `ps`).
 * Values with the agent's own `${VAR}` references keep them: agents expand `env`
 * values as they expand `headers`. Other keys are kept in their order; `remove`
 * restores the original text byte for byte from the setup record.
 */
import type { Entry, Launcher } from './wrap.js';

/** A wrapped remote entry, or why it is left alone. */
export type RemoteWrap = { readonly entry: Entry; readonly note?: string } | { readonly skip: string };

/** Keys of a remote entry that the wrapped entry replaces. */
const REMOTE_ONLY = new Set(['url', 'httpUrl', 'serverUrl', 'headers']);
/** Keys that configure OAuth sign-in, which the proxy cannot do for the agent (Gemini CLI: `oauth`, `authProviderType`). */
const OAUTH_KEYS = ['oauth', 'authProviderType'];

/** The environment variable name a header's value is moved to. */
export function headerEnvName(header: string, taken: ReadonlySet<string>): string {
  const base = `MCP_GUARD_HEADER_${header.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  return name;
}

/**
 * Wrap one remote entry.
 * @param transport what the entry's keys mean (`sse` passes `--upstream-transport sse`)
 * @returns the new entry, or `{skip}` with the reason it is left alone
 */
export function wrapRemoteEntry(entry: Entry, transport: 'http' | 'sse', options: { name: string; configPath?: string | undefined; launcher: Launcher }): RemoteWrap {
  const url = ['url', 'httpUrl', 'serverUrl'].map((k) => entry[k]).find((v): v is string => typeof v === 'string');
  if (url === undefined) return { skip: 'no url' };
  const type = typeof entry['type'] === 'string' ? entry['type'].toLowerCase() : undefined;
  if (type !== undefined && !['http', 'sse', 'streamable-http', 'streamablehttp'].includes(type)) return { skip: `transport ${type} is not supported by proxy --upstream` };
  if (OAUTH_KEYS.some((k) => entry[k] !== undefined)) return { skip: 'it signs in with OAuth, which proxy --upstream cannot do for the agent' };
  const headers = entry['headers'];
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Array.isArray(headers) || !Object.values(headers).every((v) => typeof v === 'string'))) {
    return { skip: 'headers is not a map of strings' };
  }
  const env = entry['env'];
  if (env !== undefined && (env === null || typeof env !== 'object' || Array.isArray(env))) return { skip: 'env is not a map' };
  const newEnv: Record<string, unknown> = { ...(env as Record<string, unknown> | undefined) };
  const taken = new Set(Object.keys(newEnv));
  const headerArgs: string[] = [];
  for (const [h, value] of Object.entries((headers ?? {}) as Record<string, string>)) {
    const variable = headerEnvName(h, taken);
    taken.add(variable);
    newEnv[variable] = value;
    headerArgs.push('--header-from-env', `${h}=${variable}`);
  }
  const args = [
    ...options.launcher.args,
    'proxy',
    '--name',
    options.name,
    ...(options.configPath !== undefined ? ['-c', options.configPath] : []),
    '--upstream',
    url,
    ...(transport === 'sse' ? ['--upstream-transport', 'sse'] : []),
    ...headerArgs,
  ];
  const out: Entry = {};
  let placed = false;
  const place = (): void => {
    if (placed) return;
    placed = true;
    out['command'] = options.launcher.command;
    out['args'] = args;
    if (Object.keys(newEnv).length > 0) out['env'] = newEnv;
  };
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'type') out[k] = 'stdio';
    else if (REMOTE_ONLY.has(k) || k === 'env') place();
    else out[k] = v;
  }
  place();
  const note = headers === undefined ? 'no headers: if this server signs in with OAuth, the proxy cannot do that for the agent; `remove` puts the entry back' : undefined;
  return note !== undefined ? { entry: out, note } : { entry: out };
}

/**
 * The JSON text of `entry`, laid out like the entry it replaces: one line when that
 * was one line, else indented from the column the old entry's line starts at.
 * @param text the whole file; `offset` is where the old entry's `{` is
 */
export function entryJson(entry: Entry, text: string, offset: number, oldLength: number): string {
  const old = text.slice(offset, offset + oldLength);
  if (!old.includes('\n')) return JSON.stringify(entry);
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, offset))?.[0] ?? '';
  const unit = /\n([ \t]+)\S/.exec(old)?.[1]?.slice(indent.length) || '  ';
  const eol = old.includes('\r\n') ? '\r\n' : '\n';
  return JSON.stringify(entry, null, unit).split('\n').join(`${eol}${indent}`);
}

/** A TOML key, bare when it can be. */
function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

/** A TOML value for the simple shapes a wrapped entry keeps; undefined for anything else. */
function tomlValue(v: unknown): string | undefined {
  // JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
  const str = (x: string): string => JSON.stringify(x).replace(/\x7f/g, '\\u007F');
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return `[${v.map(str).join(', ')}]`;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) {
    return `{ ${Object.entries(v as Record<string, string>).map(([k, x]) => `${tomlKey(k)} = ${str(x)}`).join(', ')} }`;
  }
  return undefined;
}

/**
 * Wrap a Codex (`config.toml`) remote entry: `url` with `bearer_token_env_var`,
 * `http_headers` and `env_http_headers` (Codex's config reference). The bearer token
 * and `env_http_headers` stay in the environment (`env_vars` forwards them to the
 * proxy, `--header 'Authorization: Bearer ${VAR}'` / `--header-from-env`); literal
 * `http_headers` move into `env`. The table is written anew; only tables written as
 * one `[mcp_servers.NAME]` table of simple values are wrapped (a sub-table such as
 * `[mcp_servers.NAME.http_headers]` is not).
 * @param tableText the entry's current text, from its `[…]` header to its last key
 * @returns the new table text and value, or `{skip}` with the reason
 */
export function wrapRemoteToml(entry: Entry, tableText: string, options: { name: string; configPath?: string | undefined; launcher: Launcher }): { readonly text: string; readonly entry: Entry; readonly note?: string } | { readonly skip: string } {
  const url = entry['url'];
  if (typeof url !== 'string') return { skip: 'no url' };
  for (const k of ['http_headers', 'env_http_headers']) {
    if (entry[k] !== undefined && !new RegExp(`^[ \\t]*${k}[ \\t]*=`, 'm').test(tableText)) return { skip: `its ${k} is a separate [… .${k}] table: wrap it by hand` };
  }
  const header = /^[^\n]*\n?/.exec(tableText)?.[0] ?? '';
  const eol = tableText.includes('\r\n') ? '\r\n' : '\n';
  const env: Record<string, string> = {};
  const envVars: string[] = Array.isArray(entry['env_vars']) ? (entry['env_vars'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  const headerArgs: string[] = [];
  const bearer = entry['bearer_token_env_var'];
  if (typeof bearer === 'string') {
    headerArgs.push('--header', `Authorization: Bearer \${${bearer}}`);
    if (!envVars.includes(bearer)) envVars.push(bearer);
  }
  const taken = new Set<string>();
  for (const [h, value] of Object.entries((entry['http_headers'] ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') return { skip: 'http_headers is not a map of strings' };
    const variable = headerEnvName(h, taken);
    taken.add(variable);
    env[variable] = value;
    headerArgs.push('--header-from-env', `${h}=${variable}`);
  }
  for (const [h, variable] of Object.entries((entry['env_http_headers'] ?? {}) as Record<string, unknown>)) {
    if (typeof variable !== 'string') return { skip: 'env_http_headers is not a map of strings' };
    headerArgs.push('--header-from-env', `${h}=${variable}`);
    if (!envVars.includes(variable)) envVars.push(variable);
  }
  const args = [...options.launcher.args, 'proxy', '--name', options.name, ...(options.configPath !== undefined ? ['-c', options.configPath] : []), '--upstream', url, ...headerArgs];
  const out: Entry = { command: options.launcher.command, args };
  if (envVars.length > 0) out['env_vars'] = envVars;
  const oldEnv = entry['env'];
  if (oldEnv !== undefined || Object.keys(env).length > 0) out['env'] = { ...(oldEnv as Record<string, unknown> | undefined), ...env };
  for (const [k, v] of Object.entries(entry)) {
    if (['url', 'bearer_token_env_var', 'http_headers', 'env_http_headers', 'env', 'env_vars', 'command', 'args'].includes(k)) continue;
    out[k] = v;
  }
  const lines: string[] = [];
  for (const [k, v] of Object.entries(out)) {
    const value = tomlValue(v);
    if (value === undefined) return { skip: `its ${k} cannot be rewritten: wrap it by hand` };
    lines.push(`${tomlKey(k)} = ${value}`);
  }
  const text = `${header.replace(/\r?\n$/, '')}${eol}${lines.join(eol)}`;
  return headerArgs.length > 0 ? { text, entry: out } : { text, entry: out, note: 'no headers: if this server signs in with OAuth, the proxy cannot do that for the agent; `remove` puts the entry back' };
}
