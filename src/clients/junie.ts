/**
 * JetBrains Junie. Source: https://www.jetbrains.com/help/junie/model-context-protocol-mcp.html
 * `~/.junie/mcp/mcp.json` (user) and `.junie/mcp/mcp.json` (project), key `mcpServers`.
 */
import { join } from 'node:path';
import { homeDir, simpleLocation } from './paths.js';
import type { ClientDef } from './types.js';

/** Junie's config files. */
export const junie: ClientDef = {
  id: 'junie',
  name: 'Junie',
  locations: (ctx) => [
    simpleLocation(join(homeDir(ctx.env), '.junie', 'mcp', 'mcp.json'), 'user', 'json', 'mcpServers'),
    simpleLocation(join(ctx.cwd, '.junie', 'mcp', 'mcp.json'), 'project', 'json', 'mcpServers'),
  ],
};
