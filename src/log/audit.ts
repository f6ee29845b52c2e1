/**
 * The audit log: pino JSON lines (or plain text) to stderr and/or a file, one
 * event per decision. Never stdout, which carries the MCP protocol. Findings
 * carry masked previews only; free-form text is masked against known secrets.
 */
import pino from 'pino';

type Logger = pino.Logger;
import { maskAll } from '../scan/mask.js';
import { openPrivateAppend } from '../private-fs.js';
import { suppressHint } from '../proxy/jsonrpc.js';
import type { Direction, Finding } from '../scan/types.js';

/** One decision about one frame. */
export interface DecisionEvent {
  readonly direction: Direction;
  readonly method?: string | undefined;
  readonly id?: string | number | null | undefined;
  readonly tool?: string | undefined;
  /** `allow`, `warn`, `block`, `filter` (tools removed from a list), or `drop` (blocked notification). */
  readonly action: string;
  readonly findings: readonly Finding[];
  /** Scan time in µs. */
  readonly scanUs: number;
  readonly reason?: string;
}

/**
 * One step of an `ask` (src/proxy/ask.ts): `asked` (the question went to the
 * client), then `allowed-once`, `allowed-session`, `denied` or `timed-out`.
 */
export interface ApprovalEvent {
  readonly outcome: 'asked' | 'allowed-once' | 'allowed-session' | 'denied' | 'timed-out';
  /** The proxy's own elicitation request id; absent when nothing was asked (allowed by an earlier answer). */
  readonly question?: string | undefined;
  readonly direction: Direction;
  readonly method?: string | undefined;
  readonly id?: string | number | null | undefined;
  readonly tool?: string | undefined;
  /** The findings asked about (masked previews only). */
  readonly findings: readonly Finding[];
  readonly reason?: string;
}

/** Where and how to log. */
export interface AuditOptions {
  readonly server: string;
  readonly format: 'json' | 'text';
  readonly toStderr: boolean;
  readonly file?: string | undefined;
  readonly includeAllowed: boolean;
  readonly includeBlocked: boolean;
  /** Stream used for "stderr" (tests inject one). Default: fd 2. */
  readonly stderr?: NodeJS.WritableStream | undefined;
  /** Secret values to mask in free-form messages. */
  readonly secrets?: () => readonly string[];
}

/** Audit logger for one proxy session. */
export class AuditLog {
  readonly #logger: Logger;
  readonly #opts: AuditOptions;

  /**
   * The log file is opened for appending with {@link openPrivateAppend}: created
   * 0600 (its directory 0700), a symbolic link refused, an existing file that
   * others could read narrowed to 0600 with a warning in the log.
   * @throws Error when the log file cannot be opened (its message names the file and why)
   */
  constructor(opts: AuditOptions) {
    this.#opts = opts;
    const streams: pino.StreamEntry[] = [];
    const text = opts.format === 'text';
    if (opts.toStderr) {
      const dest = opts.stderr ?? pino.destination({ fd: 2, sync: true });
      streams.push({ stream: text ? textStream(dest) : dest });
    }
    let tightenedFrom: string | undefined;
    if (opts.file !== undefined) {
      const opened = openPrivateAppend(opts.file);
      tightenedFrom = opened.tightenedFrom;
      const dest = pino.destination({ fd: opened.fd, sync: true });
      streams.push({ stream: text ? textStream(dest) : dest });
    }
    this.#logger = pino(
      { base: { server: opts.server }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' },
      pino.multistream(streams),
    );
    if (tightenedFrom !== undefined) this.warn(`audit log ${opts.file ?? ''} had mode ${tightenedFrom}; narrowed to 0600 (it holds what the proxy blocked)`);
  }

  /** Log one decision, subject to `include_allowed` / `include_blocked`. */
  decision(e: DecisionEvent): void {
    const allowed = e.action === 'allow';
    if (allowed && !this.#opts.includeAllowed) return;
    if (!allowed && e.action !== 'warn' && !this.#opts.includeBlocked) return;
    const findings = e.findings.map((f) => ({
      rule: f.rule,
      category: f.category,
      severity: f.severity,
      path: f.path,
      ...(f.transform ? { transform: f.transform } : {}),
      ...(f.masked ? { masked: f.masked } : {}),
      ...(f.unterminated ? { unterminated: true } : {}),
      ...(f.score !== undefined ? { score: f.score } : {}),
      ...(f.features ? { features: f.features } : {}),
      // Policy findings (src/policy): the rule's action (`ask` blocks for now) and why.
      ...(f.action ? { rule_action: f.action } : {}),
      ...(f.reason ? { reason: this.mask(f.reason) } : {}),
      ...(f.retryAfter !== undefined ? { retry_after: f.retryAfter } : {}),
    }));
    const level = allowed ? 'info' : e.action === 'warn' ? 'warn' : 'error';
    // The config entry that would let the frame through (the block message names it too).
    const allow = e.action === 'block' || e.action === 'filter' || e.action === 'drop' ? suppressHint(e.findings) : undefined;
    this.#logger[level](
      {
        event: 'decision',
        direction: e.direction,
        method: e.method,
        id: e.id,
        tool: e.tool,
        action: e.action,
        findings,
        scan_us: Math.round(e.scanUs * 10) / 10,
        ...(e.reason ? { reason: this.mask(e.reason) } : {}),
        ...(allow !== undefined ? { to_allow: allow } : {}),
      },
      `${e.action} ${e.direction} ${e.method ?? 'response'}`,
    );
  }

  /** Log one step of an `ask`; always written, whatever `include_allowed` / `include_blocked` say. */
  approval(e: ApprovalEvent): void {
    const findings = e.findings.map((f) => ({ rule: f.rule, category: f.category, severity: f.severity, path: f.path, ...(f.masked ? { masked: f.masked } : {}) }));
    this.#logger.warn(
      {
        event: 'approval',
        outcome: e.outcome,
        question: e.question,
        direction: e.direction,
        method: e.method,
        id: e.id,
        tool: e.tool,
        findings,
        ...(e.reason ? { reason: this.mask(e.reason) } : {}),
      },
      this.mask(`ask ${e.outcome} ${e.method ?? 'response'}${e.tool !== undefined ? ` ${e.tool}` : ''}`),
    );
  }

  /** Operational message (start, child exit, protocol problems). */
  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.#logger.info({ event: 'proxy', ...fields }, this.mask(msg));
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.#logger.warn({ event: 'proxy', ...fields }, this.mask(msg));
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.#logger.error({ event: 'proxy', ...fields }, this.mask(msg));
  }

  /** Mask known secret values in free-form text. */
  mask(text: string): string {
    const secrets = this.#opts.secrets?.() ?? [];
    return secrets.length > 0 ? maskAll(text, secrets) : text;
  }

  flush(): void {
    this.#logger.flush();
  }
}

/** Turn pino JSON lines into `time LEVEL msg key=value…` lines. */
function textStream(dest: NodeJS.WritableStream | pino.DestinationStream): pino.DestinationStream {
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string): void {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        const { time, level, msg, ...rest } = o;
        const kv = Object.entries(rest)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        dest.write(`${String(time)} ${levels[level as number] ?? String(level)} ${String(msg)} ${kv}\n`);
      } catch {
        dest.write(line);
      }
    },
  };
}
