/**
 * Local failures (bad config, spawn failure, bad rule pack). Frames that we
 * block are answered with JSON-RPC error objects instead; see `src/proxy/jsonrpc.ts`.
 */
export type GuardErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'RULES_INVALID'
  | 'USAGE'
  | 'SPAWN_FAILED'
  | 'ENV_REFUSED'
  | 'INPUT_INVALID';

/** An error with a stable string `code`, safe to show to the user (never holds secrets). */
export class GuardError extends Error {
  readonly code: GuardErrorCode;
  /** One line per problem, for errors that aggregate several (config, rule packs). */
  readonly problems: readonly string[];

  constructor(code: GuardErrorCode, message: string, problems: readonly string[] = []) {
    super(message);
    this.name = 'GuardError';
    this.code = code;
    this.problems = problems;
  }
}

/** Process exit codes; documented in `bin/mcp-guard.js`. */
export const ExitCode = {
  OK: 0,
  FINDINGS: 1,
  USAGE_OR_CONFIG: 2,
  CANNOT_START: 127,
} as const;
