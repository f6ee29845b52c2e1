/**
 * OpenAI Codex CLI. Source: https://developers.openai.com/codex/mcp/
 * `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`), one
 * `[mcp_servers.NAME]` table per server: `command`, `args`, `env` (table),
 * `env_vars` (names forwarded from the parent), `cwd`; remote servers have `url`
 * (streamable HTTP) with `http_headers`. Codex has no project-level file.
 */
import { join } from 'node:path';
import { homeDir, simpleLocation } from './paths.js';
import type { ClientDef } from './types.js';

/** Codex's config file. */
export const codex: ClientDef = {
  id: 'codex',
  name: 'Codex',
  locations(ctx) {
    const codexHome = ctx.env['CODEX_HOME'] || join(homeDir(ctx.env), '.codex');
    return [simpleLocation(join(codexHome, 'config.toml'), 'user', 'toml', 'mcp_servers')];
  },
};
