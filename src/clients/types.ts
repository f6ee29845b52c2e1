/**
 * Shared shapes of the client modules: where an agent keeps its MCP server
 * list, in which format, and under which key.
 */

/** File formats of agent configs. `json` files are read with the JSONC parser too (comments tolerated). */
export type ConfigFormat = 'json' | 'jsonc' | 'toml';

/** Where a file lives: under the home directory (`user`) or in the project at `cwd` (`project`). */
export type FileScope = 'user' | 'project';

/** `--scope` of setup and remove. */
export type ScopeFilter = FileScope | 'all';

/**
 * The scope of one server list, as the agent names it. Claude Code keeps
 * per-project servers inside `~/.claude.json` (`projects.<path>.mcpServers`),
 * which it calls the `local` scope.
 */
export type EntryScope = 'user' | 'project' | 'local';

/** Inputs every path resolution takes, so tests can point at a fake home. */
export interface PathContext {
  /** Environment read for HOME, USERPROFILE, XDG_CONFIG_HOME, XDG_STATE_HOME, APPDATA, LOCALAPPDATA, CODEX_HOME. */
  readonly env: NodeJS.ProcessEnv;
  /** Project directory for project-scope files. */
  readonly cwd: string;
}

/** One server map inside a config file. */
export interface ServerContainer {
  /** Key path from the document root to the map of servers, e.g. `['projects', '/repo', 'mcpServers']`. */
  readonly path: readonly string[];
  readonly scope: EntryScope;
}

/** One config file an agent reads. */
export interface ConfigLocation {
  /** Absolute path (the file may not exist). */
  readonly file: string;
  readonly scope: FileScope;
  readonly format: ConfigFormat;
  /**
   * The server maps in the parsed document (only those that exist need be
   * returned; missing ones are ignored).
   */
  containers(data: unknown): ServerContainer[];
}

/** Identifiers of the supported agents. */
export type ClientId =
  | 'claude-code'
  | 'claude-desktop'
  | 'cursor'
  | 'vscode'
  | 'windsurf'
  | 'gemini'
  | 'codex'
  | 'junie';

/** One agent: its config locations and how to talk about it. */
export interface ClientDef {
  readonly id: ClientId;
  /** Human name, e.g. `Claude Code`. */
  readonly name: string;
  /** Transport implied by a bare `url` key (Gemini CLI: SSE; everyone else: streamable HTTP). */
  readonly urlTransport?: 'http' | 'sse';
  /** Every file the agent may read, existing or not, most general first. */
  locations(ctx: PathContext): ConfigLocation[];
}

/** One server entry located in a config file's text. */
export interface EntryRef {
  readonly container: ServerContainer;
  readonly name: string;
  /** The parsed entry (non-object entries are not listed). */
  readonly value: Record<string, unknown>;
  /** UTF-16 span of the entry's own text: the JSON object, or the TOML table from its header to its last key. */
  readonly offset: number;
  readonly length: number;
  /** Set when the entry cannot be edited in place, with the reason (e.g. a TOML inline table). */
  readonly readOnly?: string;
}

/**
 * Reading and in-place editing of one config format. Every edit works on text
 * and touches only the bytes it must, so comments and formatting survive.
 */
export interface EntryEditor {
  /**
   * Parse a whole file.
   * @throws GuardError `INPUT_INVALID` naming the file and the line of each syntax error
   */
  parse(text: string, file: string): unknown;
  /** The object entries of each container that exists in `text` (parsed as `data`). */
  entries(text: string, data: unknown, containers: readonly ServerContainer[]): EntryRef[];
  /**
   * Set an entry's `command` and `args` (`args` undefined removes the key).
   * @returns the new text
   * @throws GuardError `INPUT_INVALID` when the entry cannot be found or edited
   */
  setCommand(text: string, container: ServerContainer, name: string, command: string, args: readonly string[] | undefined): string;
  /**
   * Set an entry's `command` and insert `prefix` before the first element of
   * its `args` (creating `args` when absent). The original arguments keep their
   * text, comments included.
   * @returns the new text
   * @throws GuardError `INPUT_INVALID` when the entry cannot be found or edited
   */
  wrapCommand(text: string, container: ServerContainer, name: string, command: string, prefix: readonly string[]): string;
}
