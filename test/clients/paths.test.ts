import { join, win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENTS, clientsByName } from '../../src/clients/registry.js';
import { pinStorePath, setupStatePath, stateDir, tildify } from '../../src/clients/paths.js';

const home = join('/', 'h');
const cwd = join('/', 'p');

function files(id: string, env: NodeJS.ProcessEnv): string[] {
  const client = CLIENTS.find((c) => c.id === id);
  return client === undefined ? [] : client.locations({ env, cwd }).map((l) => l.file);
}

describe('config locations', () => {
  it('resolve from HOME, XDG_CONFIG_HOME and APPDATA at call time', () => {
    expect(files('claude-code', { HOME: home })).toEqual([join(home, '.claude.json'), join(cwd, '.mcp.json')]);
    expect(files('claude-desktop', { HOME: home, XDG_CONFIG_HOME: join('/', 'x'), APPDATA: join('/', 'w') })).toEqual([
      join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json'),
      join('/', 'x', 'Claude', 'claude_desktop_config.json'),
      join('/', 'w', 'Claude', 'claude_desktop_config.json'),
    ]);
    expect(files('vscode', { HOME: home })).toContain(join(home, '.config', 'Code', 'User', 'mcp.json'));
    expect(files('vscode', { HOME: home })).toContain(join(cwd, '.vscode', 'mcp.json'));
    expect(files('codex', { HOME: home })).toEqual([join(home, '.codex', 'config.toml')]);
    expect(files('codex', { HOME: home, CODEX_HOME: join('/', 'c') })).toEqual([join('/', 'c', 'config.toml')]);
    expect(files('windsurf', { HOME: home })).toEqual([join(home, '.codeium', 'windsurf', 'mcp_config.json')]);
    expect(files('gemini', { HOME: home })).toEqual([join(home, '.gemini', 'settings.json'), join(cwd, '.gemini', 'settings.json')]);
    expect(files('junie', { HOME: home })).toEqual([join(home, '.junie', 'mcp', 'mcp.json'), join(cwd, '.junie', 'mcp', 'mcp.json')]);
    expect(files('cursor', { USERPROFILE: home })).toEqual([join(home, '.cursor', 'mcp.json'), join(cwd, '.cursor', 'mcp.json')]);
  });

  it('puts the state next to the pin store', () => {
    expect(stateDir({ HOME: home }, 'linux')).toBe(join(home, '.local', 'state', 'mcp-guard'));
    expect(stateDir({ HOME: home, XDG_STATE_HOME: join('/', 's') }, 'linux')).toBe(join('/', 's', 'mcp-guard'));
    expect(stateDir({ HOME: home, LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, 'win32')).toBe(win32.join('C:\\Users\\me\\AppData\\Local', 'mcp-guard'));
    expect(setupStatePath({ HOME: home, LOCALAPPDATA: 'C:\\L' }, 'win32')).toBe('C:\\L\\mcp-guard\\setup-state.json');
    expect(stateDir({ HOME: home }, 'darwin')).toBe(join(home, 'Library', 'Application Support', 'mcp-guard'));
    expect(pinStorePath({ HOME: home }, 'linux')).toBe(join(home, '.local', 'state', 'mcp-guard', 'pins.json'));
    expect(setupStatePath({ HOME: home }, 'linux')).toBe(join(home, '.local', 'state', 'mcp-guard', 'setup-state.json'));
  });

  it('shows home paths with ~', () => {
    expect(tildify(join(home, '.cursor', 'mcp.json'), { HOME: home })).toBe(join('~', '.cursor', 'mcp.json'));
    expect(tildify(join('/', 'hx', 'a'), { HOME: home })).toBe(join('/', 'hx', 'a'));
  });

  it('maps CLI names to agents', () => {
    expect(clientsByName('claude')?.map((c) => c.id)).toEqual(['claude-code', 'claude-desktop']);
    expect(clientsByName('all')).toBe(CLIENTS);
    expect(clientsByName('nope')).toBeUndefined();
  });
});
