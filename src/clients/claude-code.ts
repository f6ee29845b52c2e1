/**
 * Claude Code. Source: https://docs.anthropic.com/en/docs/claude-code/mcp
 * - user scope: `~/.claude.json`, top-level `mcpServers`;
 * - local scope: `~/.claude.json`, `projects.<absolute path>.mcpServers`;
 * - project scope: `.mcp.json` at the project root, `mcpServers`.
 * Claude Code rewrites `~/.claude.json` often, so writers re-read it just before
 * the rename (see `config-file.ts`).
 */
import { join } from 'node:path';
import { homeDir, simpleLocation } from './paths.js';
import type { ClientDef, ConfigLocation, PathContext, ServerContainer } from './types.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function userFile(ctx: PathContext): ConfigLocation {
  return {
    file: join(homeDir(ctx.env), '.claude.json'),
    scope: 'user',
    format: 'json',
    containers(data: unknown): ServerContainer[] {
      const out: ServerContainer[] = [{ path: ['mcpServers'], scope: 'user' }];
      const projects = isObject(data) ? data['projects'] : undefined;
      if (isObject(projects)) {
        for (const key of Object.keys(projects)) out.push({ path: ['projects', key, 'mcpServers'], scope: 'local' });
      }
      return out;
    },
  };
}

/** Claude Code's config files. */
export const claudeCode: ClientDef = {
  id: 'claude-code',
  name: 'Claude Code',
  locations: (ctx) => [userFile(ctx), simpleLocation(join(ctx.cwd, '.mcp.json'), 'project', 'json', 'mcpServers')],
};
