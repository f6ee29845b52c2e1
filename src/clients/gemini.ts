/**
 * Gemini CLI. Source: https://github.com/google-gemini/gemini-cli/blob/main/docs/tools/mcp-server.md
 * `~/.gemini/settings.json` (user) and `.gemini/settings.json` (project), key
 * `mcpServers`, JSON with comments. Remote servers: `url` is SSE, `httpUrl` is streamable HTTP.
 */
import { join } from 'node:path';
import { homeDir, simpleLocation } from './paths.js';
import type { ClientDef } from './types.js';

/** Gemini CLI's config files. */
export const gemini: ClientDef = {
  id: 'gemini',
  name: 'Gemini CLI',
  urlTransport: 'sse',
  locations: (ctx) => [
    simpleLocation(join(homeDir(ctx.env), '.gemini', 'settings.json'), 'user', 'jsonc', 'mcpServers'),
    simpleLocation(join(ctx.cwd, '.gemini', 'settings.json'), 'project', 'jsonc', 'mcpServers'),
  ],
};
