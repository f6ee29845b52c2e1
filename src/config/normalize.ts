/**
 * Normalises the config as written ({@link RawConfig}) into the internal shape
 * with every default applied. Defaults are secure: block on DLP, injection and
 * poisoning; drift detection on.
 */
import { DEFAULT_NORMALIZE_CHARS } from '../scan/budget.js';
import type { Action, Severity } from '../scan/types.js';
import type { RawConfig } from './schema.js';
import { normalizeAuditLogging, type AuditSinksConfig } from './audit-normalize.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../proxy/framer.js';
import { normalizePolicy, type PolicyConfig } from '../policy/config.js';
import { normalizeAsk, type AskConfig } from './ask-schema.js';
import { normalizeSecretsEnv, type SecretsEnvConfig } from './secrets-schema.js';

/** A user pattern from `dlp.patterns` or `response_scanning.patterns`. */
export interface UserPattern {
  readonly name: string;
  readonly regex: string;
  readonly severity: Severity;
  readonly validator?: string;
}

/** A `mcp_tool_policy` rule. */
export interface ToolPolicyRule {
  readonly name: string;
  readonly toolPattern: string;
  readonly argPattern?: string;
  readonly argKey?: string;
  readonly action: Action;
}

/** A suppression: drop findings of `rule` whose path or tool matches `path` (glob). */
export interface Suppression {
  readonly rule: string;
  readonly path?: string;
  readonly reason?: string;
}

/** The internal config, fully defaulted. */
export interface GuardConfig {
  /** False in audit mode (`mode: audit` or `enforce: false`): every action becomes warn. */
  readonly enforce: boolean;
  readonly mode: 'strict' | 'balanced' | 'audit';
  readonly dlp: {
    readonly enabled: boolean;
    readonly action: Action;
    /** Action for credentials in server → client frames. */
    readonly responseAction: Action;
    readonly includeDefaults: boolean;
    readonly scanEnv: boolean;
    readonly patterns: readonly UserPattern[];
  };
  readonly injection: {
    readonly enabled: boolean;
    readonly action: Action;
    readonly includeDefaults: boolean;
    readonly patterns: readonly UserPattern[];
    /** Learned scorer thresholds (0–1); undefined = the model file's. */
    readonly model: ModelThresholds;
  };
  readonly input: { readonly onParseError: 'block' | 'forward' };
  /** `requireList`: list the tools before a session's first `tools/call` (see chain.ts). */
  readonly poisoning: { readonly enabled: boolean; readonly action: Action; readonly requireList: boolean; readonly model: ModelThresholds };
  readonly drift: { readonly enabled: boolean; readonly action: Action };
  readonly pins: {
    readonly enabled: boolean;
    /** Pin store path; undefined = the platform default. */
    readonly store?: string;
    /** Action for a tool added after pinning (`withhold` = block: hidden until approved; `ask`: the person decides for this session). */
    readonly newToolAction: Action;
  };
  readonly toolPolicy: { readonly enabled: boolean; readonly rules: readonly ToolPolicyRule[] };
  readonly logging: {
    readonly format: 'json' | 'text';
    readonly toStderr: boolean;
    readonly file?: string;
    readonly includeAllowed: boolean;
    readonly includeBlocked: boolean;
    /** The chained file's directory, key and rotation; syslog and OTLP (audit-normalize.ts). */
    readonly audit: AuditSinksConfig;
  };
  readonly suppress: readonly Suppression[];
  readonly envPassthrough: readonly string[];
  /** `env.secrets` (variable → store name) and `env.secret_store`: src/config/secrets-schema.ts. */
  readonly envSecrets: SecretsEnvConfig['envSecrets'];
  readonly secretStore?: SecretsEnvConfig['secretStore'];
  readonly maxFrameBytes: number;
  /** Characters of normalisation per frame (see scan/budget.ts). */
  readonly normalizeChars: number;
  /** What a frame that reaches a scan limit gets. */
  readonly onScanLimit: 'block' | 'warn';
  /** `guard_policy` (src/policy/config.ts). */
  readonly policy: PolicyConfig;
  /** The `ask` action: how long a question waits, and how many frames may wait at once (src/config/ask-schema.ts). */
  readonly ask: AskConfig;
}

/**
 * Map Pipelock's action words onto ours: `strip` is redact; `ask` asks the person
 * through MCP elicitation, and blocks when the client cannot ask (src/proxy/ask.ts).
 */
function toAction(a: string | undefined, fallback: Action): Action {
  switch (a) {
    case undefined:
      return fallback;
    case 'ask':
      return 'ask';
    case 'warn':
    case 'forward':
      return 'warn';
    case 'redact':
    case 'strip':
      return 'redact';
    default:
      return 'block';
  }
}

/** Apply defaults to a validated config. */
export function normalizeConfig(raw: RawConfig): GuardConfig {
  const mode = raw.mode ?? 'balanced';
  const enforce = (raw.enforce ?? true) && mode !== 'audit';
  const output = raw.logging?.output ?? 'stderr';
  const file = raw.logging?.file;
  return {
    enforce,
    mode,
    dlp: {
      enabled: raw.mcp_input_scanning?.enabled ?? true,
      action: toAction(raw.mcp_input_scanning?.action, 'block'),
      responseAction: toAction(raw.dlp?.response_action, 'redact'),
      includeDefaults: raw.dlp?.include_defaults ?? true,
      scanEnv: raw.dlp?.scan_env ?? true,
      patterns: (raw.dlp?.patterns ?? []).map((p) => ({
        name: p.name,
        regex: p.regex,
        severity: p.severity === undefined || p.severity === 'info' ? 'high' : p.severity,
        ...(p.validator !== undefined ? { validator: p.validator } : {}),
      })),
    },
    injection: {
      enabled: raw.response_scanning?.enabled ?? true,
      action: toAction(raw.response_scanning?.action, 'block'),
      includeDefaults: raw.response_scanning?.include_defaults ?? true,
      patterns: (raw.response_scanning?.patterns ?? []).map((p) => ({
        name: p.name,
        regex: p.regex,
        severity: p.severity === undefined || p.severity === 'info' ? 'high' : p.severity,
      })),
      model: thresholds(raw.response_scanning),
    },
    input: { onParseError: raw.mcp_input_scanning?.on_parse_error ?? 'block' },
    poisoning: {
      enabled: raw.mcp_tool_scanning?.enabled ?? true,
      action: toAction(raw.mcp_tool_scanning?.action, 'block'),
      requireList: (raw.mcp_tool_scanning?.enabled ?? true) && (raw.mcp_tool_scanning?.require_list ?? true),
      model: thresholds(raw.mcp_tool_scanning),
    },
    drift: {
      enabled: (raw.mcp_tool_scanning?.enabled ?? true) && (raw.mcp_tool_scanning?.detect_drift ?? true),
      action: toAction(raw.mcp_tool_scanning?.action, 'block'),
    },
    pins: {
      enabled: (raw.mcp_tool_scanning?.enabled ?? true) && (raw.mcp_tool_scanning?.pin ?? true),
      ...(raw.mcp_tool_scanning?.pin_store !== undefined ? { store: raw.mcp_tool_scanning.pin_store } : {}),
      newToolAction: newToolAction(raw.mcp_tool_scanning?.new_tool_admission),
    },
    toolPolicy: {
      enabled: raw.mcp_tool_policy?.enabled ?? false,
      rules: (raw.mcp_tool_policy?.rules ?? []).map((r) => ({
        name: r.name,
        toolPattern: r.tool_pattern,
        ...(r.arg_pattern !== undefined ? { argPattern: r.arg_pattern } : {}),
        ...(r.arg_key !== undefined ? { argKey: r.arg_key } : {}),
        action: toAction(r.action ?? raw.mcp_tool_policy?.action, 'warn'),
      })),
    },
    logging: {
      format: raw.logging?.format ?? 'json',
      toStderr: output !== 'file' || (file === undefined && raw.logging?.dir === undefined),
      ...(file !== undefined && (output === 'file' || output === 'both') ? { file } : {}),
      includeAllowed: raw.logging?.include_allowed ?? false,
      includeBlocked: raw.logging?.include_blocked ?? true,
      audit: normalizeAuditLogging(raw.logging, output === 'file' || output === 'both'),
    },
    suppress: (raw.suppress ?? []).map((s) => ({
      rule: s.rule,
      ...(s.path !== undefined ? { path: s.path } : {}),
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
    })),
    envPassthrough: raw.env?.passthrough ?? [],
    ...normalizeSecretsEnv(raw.env),
    maxFrameBytes: raw.limits?.max_frame_bytes ?? DEFAULT_MAX_FRAME_BYTES,
    normalizeChars: raw.limits?.normalize_chars ?? DEFAULT_NORMALIZE_CHARS,
    onScanLimit: raw.limits?.on_scan_limit ?? 'block',
    policy: normalizePolicy(raw.guard_policy),
    ask: normalizeAsk(raw.approvals),
  };
}

/** Learned-scorer thresholds from config (`model_threshold`, `model_warn_threshold`); absent = the model file's. */
export interface ModelThresholds {
  readonly block?: number;
  readonly warn?: number;
  /** `model_action`: `warn` (the default) makes every scorer finding advisory; `block` blocks at or above `block`. */
  readonly action?: 'block' | 'warn';
}

function thresholds(section: { model_threshold?: number | undefined; model_warn_threshold?: number | undefined; model_action?: 'block' | 'warn' | undefined } | undefined): ModelThresholds {
  return {
    action: section?.model_action ?? 'warn',
    ...(section?.model_threshold !== undefined ? { block: section.model_threshold } : {}),
    ...(section?.model_warn_threshold !== undefined ? { warn: section.model_warn_threshold } : {}),
  };
}

/** `new_tool_admission`: `withhold` (and `block`) hide the tool until approved, `allow`/`warn` only warn, `ask` asks. */
function newToolAction(a: string | undefined): Action {
  return a === 'allow' || a === 'warn' ? 'warn' : a === 'ask' ? 'ask' : 'block';
}
