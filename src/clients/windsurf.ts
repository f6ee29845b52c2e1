/**
 * Windsurf. Source: https://docs.windsurf.com/windsurf/cascade/mcp
 * `~/.codeium/windsurf/mcp_config.json`, key `mcpServers`; remote servers have `serverUrl`.
 */
import { join } from 'node:path';
import { homeDir, simpleLocation } from './paths.js';
import type { ClientDef } from './types.js';

/** Windsurf's config file. */
export const windsurf: ClientDef = {
  id: 'windsurf',
  name: 'Windsurf',
  locations: (ctx) => [simpleLocation(join(homeDir(ctx.env), '.codeium', 'windsurf', 'mcp_config.json'), 'user', 'json', 'mcpServers')],
};
