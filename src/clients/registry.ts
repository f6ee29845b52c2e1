/**
 * The supported agents, and the names the CLI accepts for them: `claude`
 * covers both Claude Code and Claude Desktop; `all` covers every agent.
 */
import { claudeCode } from './claude-code.js';
import { claudeDesktop } from './claude-desktop.js';
import { codex } from './codex.js';
import { cursor } from './cursor.js';
import { gemini } from './gemini.js';
import { junie } from './junie.js';
import { vscode } from './vscode.js';
import { windsurf } from './windsurf.js';
import type { ClientDef } from './types.js';

/** Every supported agent, in report order. */
export const CLIENTS: readonly ClientDef[] = [claudeCode, claudeDesktop, cursor, vscode, windsurf, gemini, codex, junie];

/** CLI client names and the agents each one covers. */
export const CLIENT_GROUPS: ReadonlyMap<string, readonly ClientDef[]> = new Map<string, readonly ClientDef[]>([
  ['claude', [claudeCode, claudeDesktop]],
  ['claude-code', [claudeCode]],
  ['claude-desktop', [claudeDesktop]],
  ['cursor', [cursor]],
  ['vscode', [vscode]],
  ['windsurf', [windsurf]],
  ['gemini', [gemini]],
  ['codex', [codex]],
  ['junie', [junie]],
  ['all', CLIENTS],
]);

/** The agents a CLI name stands for, or undefined for an unknown name. */
export function clientsByName(name: string): readonly ClientDef[] | undefined {
  return CLIENT_GROUPS.get(name.toLowerCase());
}
