/**
 * Shared shapes of the scanner chain. Scanners see typed frames and return
 * findings; they never touch a stream.
 */
import type { ExtractedText } from './response-text.js';

/** Which way a frame travels. */
export type Direction = 'client-to-server' | 'server-to-client';

/** Finding categories, as shown to clients in `error.data.findings[].category`. */
export type Category = 'dlp' | 'injection' | 'tool-poisoning' | 'drift' | 'protocol' | 'policy';

/** Rule severities, lowest first (Pipelock's scale). */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/**
 * What the policy does with a frame that has findings. `ask`: a person decides,
 * through MCP elicitation (src/proxy/ask.ts); without one, it blocks.
 */
export type Action = 'block' | 'warn' | 'redact' | 'ask';

/**
 * One detection. `path` is the JSON path of the field inside the JSON-RPC
 * message, e.g. `params.arguments.token` or `result.tools[2].description`.
 * Findings never carry the matched text; `masked` is a masked preview safe to log.
 */
export interface Finding {
  readonly rule: string;
  readonly category: Category;
  readonly severity: Severity;
  readonly path: string;
  /** The transform that exposed the match (`base64`, `confusables`, …); absent for raw text. */
  readonly transform?: string;
  /** A masked preview of the matched text, e.g. `ghp_…(40 chars)`; safe for logs. */
  readonly masked?: string;
  /**
   * Where the match sits in the string at `path`: UTF-16 offsets into the raw
   * value. Set only when the match is exactly locatable (no decoding or joining),
   * which is what the `redact` action needs. Internal: never shown to clients.
   */
  readonly span?: { readonly start: number; readonly end: number };
  /**
   * Set for a multi-line secret (a private key block) whose closing line was not
   * found: missing, past the scan window (`MAX_BLOCK_CHARS`, 64 KiB) or after
   * text that is not key material. Such a finding has no `span`, so the `redact`
   * action blocks the frame: half a key must not be passed on as redacted.
   */
  readonly unterminated?: true;
  /**
   * Set on a DLP finding whose match is a publicly documented example value
   * (`AKIAIOSFODNN7EXAMPLE`, placeholders.ts): it is reported with action
   * `warn`, whatever the configured DLP action, since it is no secret.
   */
  readonly documented?: true;
  /** Learned scorers (`model:*` rules): the score, 0–1. */
  readonly score?: number;
  /** Learned scorers: the features that pushed the score up most (names, never matched secrets). */
  readonly features?: readonly string[];
  /** Set when the finding only warns, whatever the category's action (a score between the warn and block thresholds). */
  readonly advisory?: true;
  /**
   * Policy findings (src/policy): the rule's own action, used instead of the category's
   * (`ask` asks the person, like any other ask).
   */
  readonly action?: 'block' | 'warn' | 'ask';
  /** Policy findings: why, in words (never the argument's value). Shown to the client and in the audit log. */
  readonly reason?: string;
  /** Rate-limit findings: seconds until the call may be retried (the JSON-RPC error's `data.retryAfter`). */
  readonly retryAfter?: number;
}

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A parsed JSON-RPC 2.0 message (request, notification or response), loosely typed. */
export interface JsonRpcMessage {
  readonly jsonrpc?: unknown;
  readonly id?: string | number | null;
  readonly method?: string;
  readonly params?: Json;
  readonly result?: Json;
  readonly error?: { code?: unknown; message?: unknown; data?: Json };
  readonly [key: string]: unknown;
}

/** The request a response answers, matched by id. */
export interface RequestContext {
  /** The request's method, e.g. `tools/call`. */
  readonly method: string;
  /** For `tools/call`: `params.name`. */
  readonly tool?: string;
}

/** Input to one scanner. */
export interface ScanInput {
  readonly direction: Direction;
  readonly message: JsonRpcMessage;
  /** Set for responses: the request they answer. */
  readonly context?: RequestContext;
  /** The frame's line as received, when known (the fast path probes it instead of re-serialising `message`). */
  readonly raw?: string;
}

/** A scanner in the synchronous chain. */
export interface Scanner {
  /** Config section name this scanner's action comes from. */
  readonly name: 'dlp' | 'injection' | 'tool-poisoning' | 'drift';
  scan(input: ScanInput): Finding[];
  /**
   * The part of the scan that still runs on a frame the fast path cleared
   * (fast-path.ts: no rule can match it): the learned scorer, which catches what
   * no rule names. Absent: a cleared frame skips the scanner.
   * @param text the frame's model-visible text as the fast path read it (printable ASCII, so already normalised)
   */
  scanCleared?(input: ScanInput, text: ExtractedText): Finding[];
  /** Compile lazily built state now (optional). */
  warmUp?(): void;
}
