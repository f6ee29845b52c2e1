/**
 * Config discovery, parsing (YAML, validated once with zod) and normalisation
 * into the internal {@link GuardConfig} shape.
 *
 * Discovery order: `-c FILE`, `$MCP_GUARD_CONFIG`, `./mcp-guard.yaml`,
 * `$XDG_CONFIG_HOME/mcp-guard/config.yaml` (`~/.config` when unset). With no
 * file at all, secure built-in defaults apply.
 *
 * `./mcp-guard.yaml` is the one file the user did not choose: any cloned
 * repository can ship one. It is loaded only when trusted with `mcp-guard config
 * trust` and unchanged since (see `trust.ts`); otherwise it is skipped with a
 * warning and discovery goes on to the user's own config.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { GuardError } from '../errors.js';
import { compileRegex } from '../scan/rule-pack.js';
import { VALIDATOR_NAMES } from '../scan/validators.js';
import { passthroughProblems } from '../proxy/env.js';
import { configSchema, PIPELOCK_IGNORED_SECTIONS, type RawConfig } from './schema.js';
import { normalizeConfig, type GuardConfig } from './normalize.js';
import { readTrust, sha256Hex, trustState, trustStorePath, type TrustState } from './trust.js';

export type { GuardConfig } from './normalize.js';

// yaml is loaded on first use: with no config file, the proxy never needs it.
const require = createRequire(import.meta.url);
const yaml = (): typeof Yaml => require('yaml') as typeof Yaml;

/** Where the config came from. */
export type ConfigSource = { kind: 'file'; path: string; via: '-c' | 'MCP_GUARD_CONFIG' | 'cwd' | 'xdg' } | { kind: 'defaults' };

/** A `./mcp-guard.yaml` that was found and not loaded. */
export interface SkippedConfig {
  /** Absolute path. */
  readonly path: string;
  /** `untrusted`: never trusted; `changed`: trusted with other bytes. */
  readonly state: Exclude<TrustState, 'trusted'>;
}

/** Result of {@link loadConfig}. */
export interface LoadedConfig {
  readonly config: GuardConfig;
  readonly source: ConfigSource;
  /** Non-fatal notes (ignored Pipelock sections, unsupported keys, a skipped untrusted config). */
  readonly warnings: readonly string[];
  /** Set when a working-directory config was found but not trusted. */
  readonly skipped?: SkippedConfig;
}

/** Inputs to {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Explicit `-c` path. */
  readonly path?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** The working-directory config's path (it may not exist). */
export function cwdConfigPath(cwd: string): string {
  return join(resolve(cwd), 'mcp-guard.yaml');
}

/** The user's own config, `$XDG_CONFIG_HOME/mcp-guard/config.yaml`, when it exists. */
function userConfig(env: NodeJS.ProcessEnv): ConfigSource {
  const xdgBase = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  const xdg = join(xdgBase, 'mcp-guard', 'config.yaml');
  return existsSync(xdg) ? { kind: 'file', path: xdg, via: 'xdg' } : { kind: 'defaults' };
}

/**
 * Find the config file to use, or undefined for built-in defaults. A `cwd`
 * result is a candidate: {@link loadConfig} loads it only when it is trusted.
 */
export function discoverConfig(options: LoadConfigOptions = {}): ConfigSource {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.path !== undefined) return { kind: 'file', path: resolve(cwd, options.path), via: '-c' };
  const fromEnv = env['MCP_GUARD_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return { kind: 'file', path: resolve(cwd, fromEnv), via: 'MCP_GUARD_CONFIG' };
  const local = cwdConfigPath(cwd);
  if (existsSync(local)) return { kind: 'file', path: local, via: 'cwd' };
  return userConfig(env);
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  const { isMap, isNode, isScalar } = yaml();
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    // A missing key: point at the key itself when the parent map has it.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1) as unknown[], true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[n - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
      }
    }
  }
  return undefined;
}

function fmtPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
}

/**
 * Parse and validate config text.
 * @param text YAML source
 * @param file name used in messages
 * @throws GuardError `CONFIG_INVALID` listing every problem as `file:line: path: message`
 */
export function parseConfigText(text: string, file: string): { config: GuardConfig; warnings: string[] } {
  const { LineCounter, parseDocument } = yaml();
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  const problems: string[] = [];
  for (const e of doc.errors) {
    const line = e.linePos?.[0]?.line;
    problems.push(`${file}:${line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  if (problems.length > 0) throw new GuardError('CONFIG_INVALID', `invalid config ${file}`, problems);
  const raw: unknown = doc.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GuardError('CONFIG_INVALID', `invalid config ${file}`, [`${file}:1: (root): expected a mapping of sections`]);
  }
  const warnings: string[] = [];
  const ignored = Object.keys(raw).filter((k) => PIPELOCK_IGNORED_SECTIONS.has(k));
  if (ignored.length > 0) {
    warnings.push(`${file}: Pipelock sections not used by mcp-guard (ignored): ${ignored.join(', ')}`);
  }
  const subject = Object.fromEntries(Object.entries(raw).filter(([k]) => !PIPELOCK_IGNORED_SECTIONS.has(k)));
  const parsed = configSchema().safeParse(subject);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const p of keys) {
        const line = lineOf(doc, counter, p);
        const msg = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
        problems.push(`${file}:${line ?? '?'}: ${fmtPath(p)}: ${msg}`);
      }
    }
  } else {
    problems.push(...checkRegexes(parsed.data, doc, counter, file));
    for (const [i, problem] of passthroughProblems(parsed.data.env?.passthrough ?? [])) {
      problems.push(`${file}:${lineOf(doc, counter, ['env', 'passthrough', i]) ?? '?'}: env.passthrough[${i}]: ${problem}`);
    }
  }
  if (problems.length > 0) throw new GuardError('CONFIG_INVALID', `invalid config ${file}`, problems);
  const cfg = parsed.data as RawConfig;
  if (cfg.mcp_tool_policy?.rules?.some((r) => r.arg_source !== undefined)) {
    warnings.push(`${file}: mcp_tool_policy.rules[].arg_source is not supported; those rules match all argument values`);
  }
  if (cfg.logging?.output === 'stdout') {
    warnings.push(`${file}: logging.output "stdout" is sent to stderr: the proxy's stdout carries the MCP protocol`);
  }
  return { config: normalizeConfig(cfg), warnings };
}

function checkRegexes(cfg: RawConfig, doc: Document, counter: LineCounter, file: string): string[] {
  const problems: string[] = [];
  const check = (path: PropertyKey[], name: string, source: string | undefined): void => {
    if (source === undefined) return;
    try {
      compileRegex(name, source);
    } catch (err) {
      problems.push(`${file}:${lineOf(doc, counter, path) ?? '?'}: ${fmtPath(path)}: ${(err as Error).message}`);
    }
  };
  cfg.dlp?.patterns?.forEach((p, i) => {
    check(['dlp', 'patterns', i, 'regex'], p.name, p.regex);
    if (p.validator !== undefined && !(VALIDATOR_NAMES as readonly string[]).includes(p.validator)) {
      problems.push(`${file}:${lineOf(doc, counter, ['dlp', 'patterns', i, 'validator']) ?? '?'}: dlp.patterns[${i}].validator: unknown validator "${p.validator}" (known: ${VALIDATOR_NAMES.join(', ')})`);
    }
  });
  cfg.response_scanning?.patterns?.forEach((p, i) => check(['response_scanning', 'patterns', i, 'regex'], p.name, p.regex));
  cfg.mcp_tool_policy?.rules?.forEach((r, i) => {
    check(['mcp_tool_policy', 'rules', i, 'tool_pattern'], r.name, r.tool_pattern);
    check(['mcp_tool_policy', 'rules', i, 'arg_pattern'], r.name, r.arg_pattern);
    check(['mcp_tool_policy', 'rules', i, 'arg_key'], r.name, r.arg_key);
  });
  return problems;
}

function readConfigBytes(source: { path: string; via: string }): Buffer {
  try {
    return readFileSync(source.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GuardError(
      code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_INVALID',
      `cannot read config ${source.path} (from ${source.via}): ${code ?? (err as Error).message}`,
    );
  }
}

/** The warning for a skipped working-directory config: what, why, what is used instead, and the fix. */
function skippedWarning(skipped: SkippedConfig, instead: ConfigSource): string {
  const why =
    skipped.state === 'changed'
      ? 'it changed since you trusted it'
      : 'a config in the working directory is used only once you trust it (a cloned repository can ship one that turns protection off)';
  const using = instead.kind === 'file' ? `using ${instead.path}` : 'using the built-in defaults';
  return `not loading ${skipped.path}: ${why}; ${using}. Review it, then run: mcp-guard config trust ${JSON.stringify(skipped.path)}`;
}

/**
 * Discover, read and validate the config. A working-directory config that is
 * not trusted (or changed since) is skipped: the result then comes from the
 * user's config or the defaults, with `skipped` set and a warning naming the
 * file and the `config trust` command.
 * @throws GuardError `CONFIG_NOT_FOUND` when an explicit path is missing;
 *   `CONFIG_INVALID` with every problem otherwise
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  let source = discoverConfig(options);
  const notes: string[] = [];
  let skipped: SkippedConfig | undefined;
  let bytes: Buffer | undefined;
  if (source.kind === 'file' && source.via === 'cwd') {
    // The bytes that are hashed are the bytes that are parsed: no window for a swap in between.
    bytes = readConfigBytes(source);
    const trust = readTrust(trustStorePath(env));
    if (trust.problem !== undefined) notes.push(trust.problem);
    const state = trustState(trust.file, source.path, sha256Hex(bytes));
    if (state !== 'trusted') {
      skipped = { path: source.path, state };
      source = userConfig(env);
      bytes = undefined;
      notes.push(skippedWarning(skipped, source));
    }
  }
  const extra = skipped !== undefined ? { skipped } : {};
  if (source.kind === 'defaults') return { config: normalizeConfig({}), source, warnings: notes, ...extra };
  const { config, warnings } = parseConfigText((bytes ?? readConfigBytes(source)).toString('utf8'), source.path);
  return { config, source, warnings: [...notes, ...warnings], ...extra };
}
