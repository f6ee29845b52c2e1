/**
 * Directory resolution from an explicit environment, at call time, so tests
 * (and `assess` on another user's behalf) can point everything at a fake home.
 * Library code never reads `process.env`; the CLI passes it in.
 */
import { homedir } from 'node:os';
import { join, posix, sep, win32 } from 'node:path';
import { defaultPinStorePath } from '../pins/store.js';
import type { ConfigLocation, ConfigFormat, FileScope, ServerContainer } from './types.js';

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** `$HOME`, then `%USERPROFILE%`, then the OS account's home directory. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env['HOME']) ?? nonEmpty(env['USERPROFILE']) ?? homedir();
}

/** `$XDG_CONFIG_HOME`, default `~/.config` (XDG Base Directory spec). */
export function xdgConfigHome(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env['XDG_CONFIG_HOME']) ?? join(homeDir(env), '.config');
}

/** `%APPDATA%` (Windows roaming profile), or undefined when unset. */
export function appData(env: NodeJS.ProcessEnv): string | undefined {
  return nonEmpty(env['APPDATA']);
}

/** `~/Library/Application Support` (macOS per-user application data). */
export function macAppSupport(env: NodeJS.ProcessEnv): string {
  return join(homeDir(env), 'Library', 'Application Support');
}

/**
 * mcp-guard's state directory, the pin store's folder (see `defaultPinStorePath`
 * in `src/pins/store.ts`): `$XDG_STATE_HOME/mcp-guard`; else
 * `~/.local/state/mcp-guard` (Linux), `~/Library/Application Support/mcp-guard`
 * (macOS), `%LOCALAPPDATA%\mcp-guard` (Windows).
 */
export function stateDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? win32 : posix).dirname(defaultPinStorePath(env, platform));
}

/** The default tool-definition pin store, `<stateDir>/pins.json` (a config may name another). */
export function pinStorePath(env: NodeJS.ProcessEnv, platform?: NodeJS.Platform): string {
  return defaultPinStorePath(env, platform);
}

/** Where setup records the original entries for `remove`, `<stateDir>/setup-state.json`. */
export function setupStatePath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? win32 : posix).join(stateDir(env, platform), 'setup-state.json');
}

/** Show a path under the home directory as `~/…` (for people; JSON output keeps absolute paths). */
export function tildify(path: string, env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  return path === home || path.startsWith(home + sep) ? `~${path.slice(home.length)}` : path;
}

/** A location whose servers sit under one top-level key (`mcpServers`, `servers`, `mcp_servers`). */
export function simpleLocation(file: string, scope: FileScope, format: ConfigFormat, key: string): ConfigLocation {
  return {
    file,
    scope,
    format,
    containers: (): ServerContainer[] => [{ path: [key], scope }],
  };
}
