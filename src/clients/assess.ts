/**
 * `mcp-guard assess`: read every known config of every agent (never starting
 * a server) and report, per server, whether mcp-guard wraps it, how risky it
 * is and which secrets are written inline; then the state of mcp-guard itself
 * (config, enforcement, rules, pin store), a summary and a grade.
 * The JSON shape ({@link Assessment}) is documented in docs/clients.md.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { GuardError } from '../errors.js';
import { loadConfig as defaultLoadConfig } from '../config/load.js';
import { loadRulePacks, type CompiledRule } from '../scan/rule-pack.js';
import { listEntries, selectLocations } from './apply.js';
import { readText } from './config-file.js';
import { gradeAssessment, type Grade } from './grade.js';
import { pinStorePath } from './paths.js';
import { classifyRisk, type RiskClass } from './risk.js';
import { entrySecrets, secretFinder, type InlineSecret, type SecretFinder } from './secrets.js';
import { classifyEntry, parseWrapped, type Transport } from './wrap.js';
import { secretReferences } from './move-secrets.js';
import type { ClientDef, ClientId, ConfigFormat, EntryScope, FileScope, PathContext } from './types.js';

/** One config file that exists. */
export interface AssessedFile {
  readonly client: ClientId;
  readonly clientName: string;
  readonly file: string;
  readonly scope: FileScope;
  readonly format: ConfigFormat;
  readonly servers: number;
  /** Why the file could not be read or parsed (its servers are then unknown). */
  readonly error?: string;
}

/** One server entry. */
export interface AssessedServer {
  readonly client: ClientId;
  readonly clientName: string;
  readonly file: string;
  readonly scope: EntryScope;
  /** Key path of the server map, e.g. `["mcpServers"]`, `["projects", "/repo", "mcpServers"]`. */
  readonly section: readonly string[];
  readonly name: string;
  readonly transport: Transport;
  /** `invalid`: no usable command or url. */
  readonly kind: 'stdio' | 'remote' | 'invalid';
  readonly wrapped: boolean;
  /** The `-c` value of a wrapped entry; null when it uses config discovery or is not wrapped. */
  readonly config: string | null;
  /** The server's own command (after `--` when wrapped); null for remote entries. */
  readonly command: string | null;
  readonly risk: RiskClass;
  readonly secrets: readonly InlineSecret[];
  /**
   * Variables the proxy gives the server from the secret store (`--env NAME=secret:STORE_NAME`), names only;
   * `present`: whether the store holds it (null when the store could not be asked).
   */
  readonly storedSecrets: ReadonlyArray<{ readonly variable: string; readonly store: string; readonly present: boolean | null }>;
}

/** The validity and enforcement of one mcp-guard config. */
export interface ConfigStatus {
  /** Absolute path, or null for the built-in defaults. */
  readonly path: string | null;
  /** How it was found: `-c` (from a wrapped entry), `MCP_GUARD_CONFIG`, `cwd`, `xdg`, `defaults`. */
  readonly via: string;
  readonly valid: boolean;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  /** False in audit-only mode; null when invalid. */
  readonly enforce: boolean | null;
  readonly mode: string | null;
}

/** mcp-guard's own state. */
export interface GuardStatus {
  /** The config found by discovery from the current directory and environment, then every `-c` of a wrapped entry. */
  readonly configs: readonly ConfigStatus[];
  readonly rules: { readonly loaded: number; readonly dlp: number; readonly injection: number; readonly toolPoisoning: number; readonly error?: string };
  /**
   * The pin store named by the discovered config, else the default one.
   * `writableByOthers`: group or others may change the pins (mode & 0o022).
   */
  readonly pinStore: { readonly path: string; readonly present: boolean; readonly mode: string | null; readonly writableByOthers: boolean | null };
}

/** Counts behind the one-line summary. */
export interface AssessSummary {
  readonly files: number;
  readonly servers: number;
  readonly stdio: number;
  readonly wrapped: number;
  readonly unwrapped: number;
  readonly remote: number;
  readonly invalid: number;
  readonly withSecrets: number;
  readonly configValid: boolean;
  readonly line: string;
}

/** The whole report; `--json` prints exactly this. */
export interface Assessment {
  readonly schemaVersion: 1;
  readonly files: readonly AssessedFile[];
  readonly servers: readonly AssessedServer[];
  readonly guard: GuardStatus;
  readonly summary: AssessSummary;
  readonly grade: Grade;
  /** 0: every stdio server wrapped and every config valid; 1: not. */
  readonly exitCode: 0 | 1;
}

/** Options of {@link assess}. */
export interface AssessOptions extends PathContext {
  readonly clients: readonly ClientDef[];
  /** @default loadRulePacks from `src/scan/rule-pack.ts` */
  readonly loadRules?: () => CompiledRule[];
  /** @default loadConfig from `src/config/load.ts` */
  readonly loadConfig?: typeof defaultLoadConfig;
  /** Whether the secret store holds a name (undefined: it could not be asked); absent: not checked. */
  readonly hasSecret?: (name: string) => boolean | undefined;
  /** The store's description, for the grade's reasons. */
  readonly secretStore?: string;
}

/** A config's status, and the pin store it names (if it names one). */
function configStatus(options: AssessOptions, path: string | undefined): { status: ConfigStatus; pinStore?: string | undefined } {
  const load = options.loadConfig ?? defaultLoadConfig;
  try {
    const { config, source, warnings } = load({ path, env: options.env, cwd: options.cwd });
    const where = source.kind === 'file' ? { path: source.path, via: source.via } : { path: null, via: 'defaults' };
    return { status: { ...where, valid: true, problems: [], warnings, enforce: config.enforce, mode: config.mode }, pinStore: config.pins.store };
  } catch (err) {
    if (!(err instanceof GuardError)) throw err;
    return { status: { path: path ?? null, via: path === undefined ? 'discovery' : '-c', valid: false, problems: [err.message, ...err.problems], warnings: [], enforce: null, mode: null } };
  }
}

function pinStore(options: AssessOptions, configured: string | undefined): GuardStatus['pinStore'] {
  const path = configured !== undefined ? resolve(options.cwd, configured) : pinStorePath(options.env);
  try {
    const mode = statSync(path).mode & 0o777;
    return { path, present: true, mode: `0${mode.toString(8).padStart(3, '0')}`, writableByOthers: (mode & 0o022) !== 0 };
  } catch {
    return { path, present: false, mode: null, writableByOthers: null };
  }
}

function assessServers(options: AssessOptions, finder: SecretFinder | undefined): { files: AssessedFile[]; servers: AssessedServer[] } {
  const files: AssessedFile[] = [];
  const servers: AssessedServer[] = [];
  for (const { client, location } of selectLocations(options.clients, options)) {
    const base = { client: client.id, clientName: client.name, file: location.file };
    let refs;
    try {
      const current = readText(location.file);
      if (current === undefined) continue;
      refs = listEntries(current.text, location);
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      files.push({ ...base, scope: location.scope, format: location.format, servers: 0, error: [err.message, ...err.problems].join('; ') });
      continue;
    }
    files.push({ ...base, scope: location.scope, format: location.format, servers: refs.length });
    for (const ref of refs) {
      const kind = classifyEntry(ref.value, client.urlTransport);
      const command = typeof ref.value['command'] === 'string' ? ref.value['command'] : undefined;
      const args = Array.isArray(ref.value['args']) ? ref.value['args'].filter((a): a is string => typeof a === 'string') : [];
      const info = command !== undefined ? parseWrapped(command, args) : undefined;
      const url = ['url', 'httpUrl', 'serverUrl'].map((k) => ref.value[k]).find((v): v is string => typeof v === 'string');
      const inner = kind.kind === 'remote' ? undefined : (info?.command ?? command);
      servers.push({
        ...base,
        scope: ref.container.scope,
        section: ref.container.path,
        name: ref.name,
        transport: kind.transport,
        kind: kind.kind === 'wrapped' ? 'stdio' : kind.kind,
        wrapped: kind.kind === 'wrapped',
        config: kind.kind === 'wrapped' ? (info?.config ?? null) : null,
        command: inner ?? null,
        risk: classifyRisk(ref.name, inner, info?.args ?? args, kind.kind === 'remote' ? url : undefined),
        secrets: finder === undefined ? [] : entrySecrets(ref.value, finder),
        storedSecrets: kind.kind === 'wrapped' ? secretReferences(args).map((r) => ({ ...r, present: options.hasSecret?.(r.store) ?? null })) : [],
      });
    }
  }
  return { files, servers };
}

/**
 * Assess every config file of `options.clients`.
 * @throws only on unexpected failures; unreadable files, invalid configs and
 *   broken rule packs are part of the result
 */
export function assess(options: AssessOptions): Assessment {
  let rules: GuardStatus['rules'];
  let finder: SecretFinder | undefined;
  try {
    const loaded = (options.loadRules ?? loadRulePacks)();
    const count = (c: string): number => loaded.filter((r) => r.category === c).length;
    rules = { loaded: loaded.length, dlp: count('dlp'), injection: count('injection'), toolPoisoning: count('tool-poisoning') };
    finder = secretFinder(loaded);
  } catch (err) {
    if (!(err instanceof GuardError)) throw err;
    rules = { loaded: 0, dlp: 0, injection: 0, toolPoisoning: 0, error: [err.message, ...err.problems].join('; ') };
  }
  const { files, servers } = assessServers(options, finder);
  const explicit = [...new Set(servers.filter((s) => s.wrapped && s.config !== null).map((s) => s.config as string))];
  const discovered = configStatus(options, undefined);
  const configs = [discovered.status, ...explicit.map((p) => configStatus(options, p).status)];
  const guard: GuardStatus = { configs, rules, pinStore: pinStore(options, discovered.pinStore) };
  const stdio = servers.filter((s) => s.kind === 'stdio');
  const wrapped = stdio.filter((s) => s.wrapped).length;
  const configValid = configs.every((c) => c.valid) && rules.error === undefined;
  const withSecrets = servers.filter((s) => s.secrets.length > 0).length;
  const remote = servers.filter((s) => s.kind === 'remote').length;
  const unreadable = files.filter((f) => f.error !== undefined).length;
  const line =
    `${servers.length} server${servers.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}: ` +
    `${wrapped}/${stdio.length} stdio wrapped, ${remote} remote, ${withSecrets} with inline secrets; ` +
    `config ${configValid ? 'valid' : 'INVALID'}${unreadable > 0 ? `; ${unreadable} file(s) unreadable` : ''}`;
  const summary: AssessSummary = {
    files: files.length,
    servers: servers.length,
    stdio: stdio.length,
    wrapped,
    unwrapped: stdio.length - wrapped,
    remote,
    invalid: servers.filter((s) => s.kind === 'invalid').length,
    withSecrets,
    configValid,
    line,
  };
  const exitCode = wrapped === stdio.length && configValid && unreadable === 0 ? 0 : 1;
  return { schemaVersion: 1, files, servers, guard, summary, grade: gradeAssessment(files, servers, guard, options.secretStore), exitCode };
}
