/**
 * Visual Studio Code. Source: https://code.visualstudio.com/docs/copilot/chat/mcp-servers
 * `.vscode/mcp.json` (workspace) and the user profile's `mcp.json`, key
 * `servers`, JSON with comments. Entries carry `type` (`stdio`, `http`, `sse`).
 * User profile directory: `~/Library/Application Support/Code/User` (macOS),
 * `%APPDATA%\Code\User` (Windows), `$XDG_CONFIG_HOME/Code/User` (Linux); the
 * Insiders build uses `Code - Insiders`.
 */
import { join } from 'node:path';
import { appData, macAppSupport, simpleLocation, xdgConfigHome } from './paths.js';
import type { ClientDef, ConfigLocation } from './types.js';

/** VS Code's config files. */
export const vscode: ClientDef = {
  id: 'vscode',
  name: 'VS Code',
  locations(ctx) {
    const bases = [macAppSupport(ctx.env), xdgConfigHome(ctx.env)];
    const win = appData(ctx.env);
    if (win !== undefined) bases.push(win);
    const user: ConfigLocation[] = bases.flatMap((b) =>
      ['Code', 'Code - Insiders'].map((app) => simpleLocation(join(b, app, 'User', 'mcp.json'), 'user', 'jsonc', 'servers')),
    );
    return [...user, simpleLocation(join(ctx.cwd, '.vscode', 'mcp.json'), 'project', 'jsonc', 'servers')];
  },
};
