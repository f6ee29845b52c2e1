/**
 * The child's environment: a safe allowlist plus variables named with `--env`
 * or config `env.passthrough`; `--inherit-env` passes everything.
 */
import { GuardError } from '../errors.js';

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

/** Variables that let a value change what code the child runs: refused with `--env`. */
const INJECTION_VECTORS = /^(?:LD_\w+|DYLD_\w+|NODE_OPTIONS|NODE_PATH|NODE_REPL_EXTERNAL_MODULE|PYTHONSTARTUP|PYTHONPATH|PYTHONHOME|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|BASH_ENV|ENV|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|PS4|IFS|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|GIT_SSH|GIT_SSH_COMMAND|GIT_EXEC_PATH|GIT_CONFIG\w*|ELECTRON_RUN_AS_NODE|GCONV_PATH|MALLOC_\w+|DOTNET_STARTUP_HOOKS|CORECLR_\w+)$/i;

/** True when `name` is refused for `--env` (LD_PRELOAD, DYLD_*, NODE_OPTIONS, …). */
export function isInjectionVector(name: string): boolean {
  return INJECTION_VECTORS.test(name);
}

/** Parsed `--env NAME[=VALUE]`. */
export interface EnvSpec {
  readonly name: string;
  readonly value?: string;
}

/**
 * Parse `--env` arguments.
 * @throws GuardError `ENV_REFUSED` for an injection vector, `USAGE` for a bad name
 */
export function parseEnvSpecs(specs: readonly string[]): EnvSpec[] {
  return specs.map((s) => {
    const eq = s.indexOf('=');
    const name = eq === -1 ? s : s.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_()]*$/.test(name)) throw new GuardError('USAGE', `--env: invalid variable name "${name}"`);
    if (isInjectionVector(name)) {
      throw new GuardError('ENV_REFUSED', `--env ${name} refused: it can inject code into the server process`);
    }
    return eq === -1 ? { name } : { name, value: s.slice(eq + 1) };
  });
}

/** The child's environment and the names that were withheld. */
export interface ChildEnv {
  readonly env: Record<string, string>;
  /** Names in the parent environment that the child did not get (never values). */
  readonly withheld: readonly string[];
}

/** Build the child's environment from the parent's. */
export function buildChildEnv(
  parent: NodeJS.ProcessEnv,
  options: { specs: readonly EnvSpec[]; passthrough: readonly string[]; inheritAll: boolean; platform?: NodeJS.Platform },
): ChildEnv {
  const platform = options.platform ?? process.platform;
  const env: Record<string, string> = {};
  if (options.inheritAll) {
    for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  } else {
    const allow = new Set<string>([...SAFE_ENV_POSIX, ...(platform === 'win32' ? SAFE_ENV_WINDOWS : []), ...options.passthrough]);
    for (const spec of options.specs) allow.add(spec.name);
    for (const [k, v] of Object.entries(parent)) {
      if (v === undefined) continue;
      const key = platform === 'win32' ? [...allow].find((a) => a.toUpperCase() === k.toUpperCase()) : allow.has(k) ? k : undefined;
      // Functions exported by bash ("() {") are a known injection channel (Shellshock); the SDK drops them too.
      if (key !== undefined && !v.startsWith('()')) env[k] = v;
    }
  }
  for (const spec of options.specs) if (spec.value !== undefined) env[spec.name] = spec.value;
  const withheld = Object.keys(parent).filter((k) => !(k in env)).sort();
  return { env, withheld };
}
