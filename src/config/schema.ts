/**
 * The config file schema: Pipelock's MCP-related keys (a Pipelock user's file
 * works unchanged), plus mcp-guard's own `env` and `limits` sections.
 * Every key is documented with its default in `pipelock.example.yaml`.
 * Parsed exactly once, by `load.ts`.
 */
import { createRequire } from 'node:module';
import type * as Zod from 'zod';
import { policySchema } from '../policy/config.js';
import { approvalsSchema } from './ask-schema.js';
import { secretsEnvKeys } from './secrets-schema.js';
import { auditLoggingKeys } from './audit-schema.js';

// zod is loaded on first use: with no config file, the proxy never needs it.
const require = createRequire(import.meta.url);

function buildConfigSchema(z: typeof Zod) {
  const action = z.enum(['block', 'warn', 'redact', 'strip', 'ask', 'forward']);
  const severity = z.enum(['low', 'medium', 'high', 'critical', 'info']);

  /** A user DLP pattern (Pipelock `dlp.patterns[]`). */
  const dlpPattern = z.strictObject({
    /** Rule name, shown in findings. */
    name: z.string().min(1),
    /** RE2 regex; matched case-insensitively, like Pipelock. */
    regex: z.string().min(1),
    /** @default "high" */
    severity: severity.optional(),
    /** Checksum validator name (luhn, mod97, github-crc32, …). */
    validator: z.string().optional(),
  });

  /** A user response-scanning pattern (Pipelock `response_scanning.patterns[]`). */
  const responsePattern = z.strictObject({
    name: z.string().min(1),
    regex: z.string().min(1),
    severity: severity.optional(),
  });

  const configSchema = z.strictObject({
    /** Pipelock config version. @default 1 */
    version: z.number().int().optional(),
    /** `strict`, `balanced` or `audit` (audit = log only, never block; strict = `severity: low` rules act too, not only warn). @default "balanced" */
    mode: z.enum(['strict', 'balanced', 'audit']).optional(),
    /** When false, every action is downgraded to warn (audit-only). @default true */
    enforce: z.boolean().optional(),
    dlp: z
      .strictObject({
        /** Load the built-in DLP rule pack. @default true */
        include_defaults: z.boolean().optional(),
        /** Also flag high-entropy values of the proxy's own environment. @default true */
        scan_env: z.boolean().optional(),
        /** Extra patterns. @default [] */
        patterns: z.array(dlpPattern).optional(),
        /**
       * mcp-guard: what to do with a credential in a server's response (block | warn | redact).
       * `redact` replaces the match with `[REDACTED:<rule>]` and forwards the frame.
       * @default "redact"
       */
      response_action: action.optional(),
      /** Pipelock's extra secrets file and env-secret length; not used by mcp-guard (accepted for compatibility). */
        secrets_file: z.string().optional(),
        min_env_secret_length: z.number().optional(),
      })
      .optional(),
    response_scanning: z
      .strictObject({
        /** @default true */
        enabled: z.boolean().optional(),
        /** @default "block" */
        action: action.optional(),
        /** Load the built-in injection rule pack. @default true */
        include_defaults: z.boolean().optional(),
        /** Extra injection patterns. @default [] */
        patterns: z.array(responsePattern).optional(),
        /**
         * mcp-guard: the learned injection scorer's block threshold (score 0–1).
         * @default the threshold in rules/models/injection.json (chosen on benign tool outputs)
         */
        model_threshold: z.number().gt(0).lte(1).optional(),
        /** mcp-guard: scores from here up to `model_threshold` warn. @default the model file's warn threshold */
        model_warn_threshold: z.number().gt(0).lte(1).optional(),
        /**
         * mcp-guard: what a score at or above `model_threshold` does: `warn` (advisory finding) or
         * `block`. @default warn: cross-source, the scorer still flags too much unseen benign text to block on it
         */
        model_action: z.enum(['block', 'warn']).optional(),
        /** Pipelock signed-bundle allowances; not applicable to stdio, ignored. */
        authenticated_artifacts: z.array(z.unknown()).optional(),
      })
      .optional(),
    mcp_input_scanning: z
      .strictObject({
        /** Argument DLP (and injection in arguments). @default true */
        enabled: z.boolean().optional(),
        /** @default "block" */
        action: action.optional(),
        /** What to do with a client line that is not JSON: `block` answers -32700. @default "block" */
        on_parse_error: z.enum(['block', 'forward']).optional(),
      })
      .optional(),
    mcp_tool_scanning: z
      .strictObject({
        /** Tool-description poisoning scanning of `tools/list`. @default true */
        enabled: z.boolean().optional(),
        /** @default "block" (the tool is removed from the list) */
        action: action.optional(),
        /** Fingerprint tool definitions and flag changes within the session. @default true */
        detect_drift: z.boolean().optional(),
        /**
         * A tool that appears after the server's tools were pinned: `withhold` hides it until approved
         * (`mcp-guard pins approve`), `allow` only warns, `ask` asks the person (this session only). @default "withhold"
         */
        new_tool_admission: z.enum(['withhold', 'allow', 'warn', 'block', 'ask']).optional(),
        /** mcp-guard: persist tool pins across sessions (trust on first use). @default true */
        pin: z.boolean().optional(),
        /**
         * mcp-guard: a `tools/call` before any `tools/list` makes the proxy list the tools itself
         * (and refuse the call if the list fails), so no tool runs whose definition was never scanned.
         * `false` lets such calls through unchecked by the list. @default true
         */
        require_list: z.boolean().optional(),
        /** mcp-guard: pin store path. @default "$XDG_STATE_HOME/mcp-guard/pins.json" */
        pin_store: z.string().optional(),
        /**
         * mcp-guard: the learned tool-poisoning scorer's block threshold (score 0–1).
         * @default the threshold in rules/models/tool-poisoning.json (chosen on benign tool definitions)
         */
        model_threshold: z.number().gt(0).lte(1).optional(),
        /** mcp-guard: scores from here up to `model_threshold` warn. @default the model file's warn threshold */
        model_warn_threshold: z.number().gt(0).lte(1).optional(),
        /**
         * mcp-guard: what a score at or above `model_threshold` does: `warn` (advisory finding) or
         * `block`. @default warn: cross-source, the scorer still flags too much unseen benign text to block on it
         */
        model_action: z.enum(['block', 'warn']).optional(),
      })
      .optional(),
    mcp_tool_policy: z
      .strictObject({
        /** @default false */
        enabled: z.boolean().optional(),
        /** Default action for rules without one. @default "warn" */
        action: action.optional(),
        rules: z
          .array(
            z.strictObject({
              name: z.string().min(1),
              /** RE2 regex over the tool name. */
              tool_pattern: z.string().min(1),
              /** RE2 regex over argument values (all string leaves). */
              arg_pattern: z.string().optional(),
              /** RE2 regex restricting which argument keys are checked. */
              arg_key: z.string().optional(),
              action: action.optional(),
              /** Pipelock's patch-target extraction; not supported, ignored with a warning. */
              arg_source: z.string().optional(),
            }),
          )
          .optional(),
      })
      .optional(),
    logging: z
      .strictObject({
        /** `json` or `text`. @default "json" */
        format: z.enum(['json', 'text']).optional(),
        /** `stderr`, `file` or `both`; `stdout` is accepted but sent to stderr (stdout carries the protocol). @default "stderr" */
        output: z.enum(['stdout', 'stderr', 'file', 'both']).optional(),
        /** Audit log path, for output `file` or `both`. */
        file: z.string().optional(),
        /** Log allowed frames too. @default false */
        include_allowed: z.boolean().optional(),
        /** Log blocked frames. @default true */
        include_blocked: z.boolean().optional(),
        ...auditLoggingKeys(z), // mcp-guard: chained audit file, syslog, OTLP (audit-schema.ts)
      })
      .optional(),
    /** Findings to ignore. @default [] */
    suppress: z
      .array(
        z.strictObject({
          /** Rule id or Pipelock pattern name. */
          rule: z.string().min(1),
          /** Glob (`*`) over the finding's JSON path or the tool name; omitted = everywhere. */
          path: z.string().optional(),
          reason: z.string().optional(),
        }),
      )
      .optional(),
    /** mcp-guard: the child's environment. */
    env: z
      .strictObject({
        /** Variables passed to the server besides the safe allowlist. @default [] */
        passthrough: z.array(z.string()).optional(),
        ...secretsEnvKeys(z), // secrets, secret_store: src/config/secrets-schema.ts
      })
      .optional(),
    /** mcp-guard: resource limits. */
    limits: z
      .strictObject({
        /** Largest JSON-RPC frame in bytes. @default 16777216 (16 MiB) */
        max_frame_bytes: z.number().int().min(1024).optional(),
        /**
         * Characters (UTF-16 units, plus any growth) of Unicode normalisation one frame may need.
         * Past it the frame is not fully scanned, and `on_scan_limit` decides. @default 1048576
         */
        normalize_chars: z.number().int().min(1024).optional(),
        /** A frame that reaches a scan limit: `block` (fail closed) or `warn` (forward it, log the finding). @default "block" */
        on_scan_limit: z.enum(['block', 'warn']).optional(),
      })
      .optional(),
    /** mcp-guard: the policy engine (src/policy/config.ts). */
    guard_policy: policySchema(z).optional().describe('mcp-guard policy engine: tool access, typed arguments, rate limits, session rules'),
    /** mcp-guard: the `ask` action (MCP elicitation). */
    approvals: approvalsSchema(z),
  });
  return configSchema;
}

let schema: ReturnType<typeof buildConfigSchema> | undefined;

/** The zod schema of the config file (built once, on first use). */
export function configSchema(): ReturnType<typeof buildConfigSchema> {
  return (schema ??= buildConfigSchema(require('zod') as typeof Zod));
}

/** The config as written. */
export type RawConfig = Zod.infer<ReturnType<typeof buildConfigSchema>>;

/**
 * Pipelock top-level sections that do not apply to an MCP stdio proxy. They are
 * accepted and reported in one warning.
 */
export const PIPELOCK_IGNORED_SECTIONS = new Set([
  'api_allowlist', 'fetch_proxy', 'forward_proxy', 'request_body_scanning', 'websocket_proxy',
  'session_profiling', 'adaptive_enforcement', 'mcp_session_binding', 'sentry', 'internal', 'ssrf',
  'tls_interception', 'tool_chain_detection', 'cross_request_detection', 'scan_api', 'address_protection',
  'seed_phrase_detection', 'agents', 'rules', 'sandbox', 'reverse_proxy', 'airlock', 'flight_recorder',
  'dashboard_snapshot', 'mcp_data_class_labels', 'license_key', 'license_file', 'license_require_intermediate',
  'license_crl_max_age', 'kill_switch', 'metrics_listen', 'git_protection', 'emit', 'domain_blocklist',
  'tool_chain', 'browser_shield', 'mcp_ws_listener', 'canary_tokens', 'trusted_domains', 'response_cache',
  'mcp_binary_integrity', 'file_sentry', 'a2a_scanning', 'taint', 'redaction', 'generative_receipts',
  'mcp_tool_provenance', 'suppress_defaults', 'ask', 'hitl', 'dlp_exemptions', 'mcp_http', 'mcp_proxy',
  'explain_blocks', 'envelope', 'learn', 'policy', 'cache',
]);
