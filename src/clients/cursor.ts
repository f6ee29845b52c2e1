/**
 * Cursor. Source: https://docs.cursor.com/context/model-context-protocol
 * `~/.cursor/mcp.json` (global) and `.cursor/mcp.json` (project), key `mcpServers`;
 * remote servers have `url`.
 */
import { join } from 'node:path';
import { homeDir, simpleLocation } from './paths.js';
import type { ClientDef } from './types.js';

/** Cursor's config files. */
export const cursor: ClientDef = {
  id: 'cursor',
  name: 'Cursor',
  locations: (ctx) => [
    simpleLocation(join(homeDir(ctx.env), '.cursor', 'mcp.json'), 'user', 'json', 'mcpServers'),
    simpleLocation(join(ctx.cwd, '.cursor', 'mcp.json'), 'project', 'json', 'mcpServers'),
  ],
};
