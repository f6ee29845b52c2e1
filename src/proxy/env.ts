/**
 * The child's environment: a safe allowlist plus variables named with `--env`
 * or config `env.passthrough`; `--inherit-env` passes everything.
 */
import { GuardError } from '../errors.js';
import { isStoreName, referencedName } from '../secrets/reference.js';

/**
 * Always passed when set. POSIX names follow the SDK's `DEFAULT_INHERITED_ENV_VARS`
 * (packages/client/src/client/stdio.ts) plus LANG, TZ and TMPDIR; Windows names are
 * the SDK's list plus TEMP/TMP and the usual program-files and profile locations.
 */
export const SAFE_ENV_POSIX = ['HOME', 'PATH', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TZ', 'TMPDIR'] as const;
export const SAFE_ENV_WINDOWS = [
  'APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PATHEXT', 'PROCESSOR_ARCHITECTURE',
  'PROGRAMFILES', 'PROGRAMFILES(X86)', 'PROGRAMDATA', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'TMP',
  'USERNAME', 'USERPROFILE', 'COMSPEC', 'WINDIR',
] as const;

/**
 * Variables refused for `--env` and `env.passthrough`, each with the reason shown
 * in the error. Names are matched case-insensitively (Windows names are, and
 * npm reads `npm_config_*` in any case).
 */
const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^(?:LD_\w+|DYLD_\w+|NODE_OPTIONS|NODE_PATH|NODE_REPL_EXTERNAL_MODULE|PYTHONSTARTUP|PYTHONPATH|PYTHONHOME|PYTHONWARNINGS|PYTHONBREAKPOINT|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|BASH_ENV|ENV|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|BASH_FUNC_\S+|PS4|IFS|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|GIT_SSH|GIT_SSH_COMMAND|GIT_ASKPASS|SSH_ASKPASS|GIT_EXEC_PATH|GIT_CONFIG\w*|ELECTRON_RUN_AS_NODE|GCONV_PATH|MALLOC_\w+|DOTNET_STARTUP_HOOKS|CORECLR_\w+|OPENSSL_CONF|OPENSSL_ENGINES)$/i,
    'it can inject code into the server process',
  ],
  // npm reads every npm_config_* as a config key: script-shell, node-options, onload-script, registry.
  [/^npm_config_\w+$/i, 'npm reads it as configuration (script-shell, node-options, registry) and can run code with it'],
  [/^\w*_PROXY$/i, "it redirects the server's network traffic through another host"],
];

/** Why `name` is refused for `--env` and `env.passthrough`, or undefined when it is not. */
export function refusalReason(name: string): string | undefined {
  return REFUSED.find(([re]) => re.test(name))?.[1];
}

/**
 * True when `name` is refused for `--env` and `env.passthrough`: variables that
 * inject code (LD_PRELOAD, DYLD_*, NODE_OPTIONS, PYTHONSTARTUP, OPENSSL_CONF,
 * GIT_ASKPASS, …), `npm_config_*`, and `*_PROXY`.
 */
export function isInjectionVector(name: string): boolean {
  return refusalReason(name) !== undefined;
}

/**
 * A bash exported function (`() { …`): the Shellshock channel (CVE-2014-6271).
 * The SDK drops these values too (`packages/client/src/client/stdio.ts`).
 */
export function isFunctionExport(value: string): boolean {
  return value.startsWith('()');
}

/**
 * Whether `name` can be given to `--env NAME`: not empty, no `=` (it would start the
 * value) and no NUL. Other characters are valid in environment names (POSIX.1-2017
 * §8.1 only reserves `=`), and agents' env blocks use them (`my-setting`).
 */
export function isPassableName(name: string): boolean {
  return name !== '' && !name.includes('=') && !name.includes('\0');
}

/** Parsed `--env NAME[=VALUE]`. */
export interface EnvSpec {
  readonly name: string;
  readonly value?: string;
  /**
   * `--env NAME=secret:STORE_NAME` (or config `env.secrets`): the store name whose
   * value the server gets. Resolved into `value` before the server is spawned.
   */
  readonly secret?: string;
}

/**
 * Parse `--env` arguments. Messages name the variable, never its value.
 * A value `secret:STORE_NAME` is a reference to the secret store, never a literal.
 * @throws GuardError `ENV_REFUSED` for a refused name ({@link refusalReason}) or a
 *   function-export value; `USAGE` for a bad name or store name
 */
export function parseEnvSpecs(specs: readonly string[]): EnvSpec[] {
  return specs.map((s) => {
    const eq = s.indexOf('=');
    const name = eq === -1 ? s : s.slice(0, eq);
    // Any name an agent's env block can hold (`my-setting`, `PROGRAMFILES(X86)`): only `=` and NUL cannot be in one.
    if (!isPassableName(name)) throw new GuardError('USAGE', `--env: invalid variable name "${name}"`);
    const reason = refusalReason(name);
    if (reason !== undefined) throw new GuardError('ENV_REFUSED', `--env ${name} refused: ${reason}`);
    if (eq === -1) return { name };
    const value = s.slice(eq + 1);
    const secret = referencedName(value);
    if (secret !== undefined) {
      if (!isStoreName(secret)) throw new GuardError('USAGE', `--env ${name}: invalid secret store name "${secret.slice(0, 64)}" (letters, digits, ".", "_", "-", "/"; at most 128)`);
      return { name, secret };
    }
    if (isFunctionExport(value)) throw new GuardError('ENV_REFUSED', `--env ${name} refused: its value is a shell function export ("() {")`);
    return { name, value };
  });
}

/**
 * Check `env.passthrough` names against the same list as `--env`.
 * @returns one problem per refused name, as `[index, message]` (empty when all are fine)
 */
export function passthroughProblems(names: readonly string[]): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  names.forEach((name, i) => {
    const reason = refusalReason(name);
    if (reason !== undefined) out.push([i, `${name} refused: ${reason}`]);
  });
  return out;
}

/** The child's environment and the names that were withheld. */
export interface ChildEnv {
  readonly env: Record<string, string>;
  /** Names in the parent environment that the child did not get (never values). */
  readonly withheld: readonly string[];
}

/**
 * Build the child's environment from the parent's.
 *
 * A variable the user named (`--env NAME`, `env.passthrough`) whose value in the
 * parent is a function export is refused, not dropped: the user asked for it.
 * Such values of the safe allowlist are dropped silently, as the SDK does.
 * @throws GuardError `ENV_REFUSED` naming the variable (never its value): a
 *   passthrough name on the refused list, a named variable holding a function
 *   export, or a `--env PATH=VALUE` that differs from the proxy's own PATH (a
 *   changed PATH decides which program every bare command name runs)
 */
export function buildChildEnv(
  parent: NodeJS.ProcessEnv,
  options: { specs: readonly EnvSpec[]; passthrough: readonly string[]; inheritAll: boolean; platform?: NodeJS.Platform },
): ChildEnv {
  const platform = options.platform ?? process.platform;
  const same = (a: string, b: string): boolean => (platform === 'win32' ? a.toUpperCase() === b.toUpperCase() : a === b);
  const lookup = (name: string): string | undefined => {
    const key = Object.keys(parent).find((k) => same(k, name));
    return key === undefined ? undefined : parent[key];
  };
  const refused = passthroughProblems(options.passthrough)[0];
  if (refused !== undefined) throw new GuardError('ENV_REFUSED', `env.passthrough ${refused[1]}`);
  const unresolved = options.specs.find((s) => s.secret !== undefined && s.value === undefined);
  if (unresolved !== undefined) throw new Error(`buildChildEnv: secret reference for ${unresolved.name} was not resolved`);
  const named = [...options.specs.map((s) => ({ name: s.name, value: s.value, via: '--env' })), ...options.passthrough.map((name) => ({ name, value: undefined, via: 'env.passthrough' }))];
  for (const { name, value, via } of named) {
    if (value !== undefined && same(name, 'PATH') && value !== lookup('PATH')) {
      throw new GuardError('ENV_REFUSED', `${via} ${name} refused: a PATH other than the proxy's own decides which program each command name runs`);
    }
    const inherited = value ?? lookup(name);
    if (inherited !== undefined && isFunctionExport(inherited)) {
      throw new GuardError('ENV_REFUSED', `${via} ${name} refused: its value is a shell function export ("() {")`);
    }
  }
  const env: Record<string, string> = {};
  if (options.inheritAll) {
    for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  } else {
    const allow = new Set<string>([...SAFE_ENV_POSIX, ...(platform === 'win32' ? SAFE_ENV_WINDOWS : []), ...options.passthrough]);
    for (const spec of options.specs) allow.add(spec.name);
    for (const [k, v] of Object.entries(parent)) {
      if (v === undefined) continue;
      const key = platform === 'win32' ? [...allow].find((a) => a.toUpperCase() === k.toUpperCase()) : allow.has(k) ? k : undefined;
      if (key !== undefined && !isFunctionExport(v)) env[k] = v;
    }
  }
  for (const spec of options.specs) if (spec.value !== undefined) env[spec.name] = spec.value;
  const withheld = Object.keys(parent).filter((k) => !(k in env)).sort();
  return { env, withheld };
}

/** Name endings of variables that usually configure a server (where it keeps data, what it talks to). */
const SETTING_NAME = /_(?:PATH|DIR|FILE|URL)$/i;

/** Most names {@link withheldSettings} lists; the rest are counted. */
export const MAX_SETTINGS_NAMED = 20;

/**
 * The withheld variables worth a warning at start: names ending in `_PATH`,
 * `_DIR`, `_FILE` or `_URL` (such as server-memory's `MEMORY_FILE_PATH`), which
 * usually say where a server keeps its data or what it talks to; without them a
 * server silently falls back to a default location. Names `--env` would refuse
 * (`LD_LIBRARY_PATH`, `NODE_PATH`, `GIT_EXEC_PATH`, …) are left out: the hint
 * would not work for them. Names only: values are never read here.
 * @param withheld {@link ChildEnv.withheld}
 * @returns the matching names, sorted
 */
export function withheldSettings(withheld: readonly string[]): string[] {
  return withheld.filter((n) => SETTING_NAME.test(n) && refusalReason(n) === undefined).sort();
}
