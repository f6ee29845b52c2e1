/**
 * Claude Desktop. Source: https://modelcontextprotocol.io/quickstart/user
 * `claude_desktop_config.json`, key `mcpServers`, in
 * `~/Library/Application Support/Claude` (macOS), `%APPDATA%\Claude` (Windows)
 * and `$XDG_CONFIG_HOME/Claude` (Linux builds). Every platform's path is
 * considered; only files that exist are read.
 */
import { join } from 'node:path';
import { appData, macAppSupport, simpleLocation, xdgConfigHome } from './paths.js';
import type { ClientDef } from './types.js';

const FILE = 'claude_desktop_config.json';

/** Claude Desktop's config file. */
export const claudeDesktop: ClientDef = {
  id: 'claude-desktop',
  name: 'Claude Desktop',
  locations(ctx) {
    const dirs = [join(macAppSupport(ctx.env), 'Claude'), join(xdgConfigHome(ctx.env), 'Claude')];
    const win = appData(ctx.env);
    if (win !== undefined) dirs.push(join(win, 'Claude'));
    return dirs.map((d) => simpleLocation(join(d, FILE), 'user', 'json', 'mcpServers'));
  },
};
