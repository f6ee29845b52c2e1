/**
 * The audit log: pino JSON lines (or plain text) to stderr and/or a file, one
 * event per decision. Never stdout, which carries the MCP protocol. Findings
 * carry masked previews only; free-form text is masked against known secrets.
 *
 * Opt-in extras (`logging.*`, see `config/audit-schema.ts`): the file's lines
 * hash-chained (`chain-writer.ts`; on by default whenever a file is written),
 * one file per process under `logging.dir`, and decisions exported to syslog
 * and OTLP (`exporters.ts`, loaded only when configured).
 */
import { accessSync, constants } from 'node:fs';
import pino from 'pino';

type Logger = pino.Logger;
import { maskAll } from '../scan/mask.js';
import { openPrivateAppend } from '../private-fs.js';
import { suppressHint } from '../proxy/jsonrpc.js';
import type { Direction, Finding } from '../scan/types.js';
import type { AuditSinksConfig } from '../config/audit-normalize.js';
import { ChainWriter, perProcessFile } from './chain-writer.js';
import { readChainKey } from './chain-key.js';
import type { ExportedDecision, Exporters } from './exporters.js';

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
  /** Chain, directory and exporters (`logging.*`); absent = none of them. */
  readonly audit?: AuditSinksConfig | undefined;
  /** mcp-guard's version and the effective config's SHA-256, for the chain header and the exports. */
  readonly version?: string;
  readonly configHash?: string;
}

/** Events held for the next turn at most; past it they are written at once. */
const MAX_JOBS = 1000;

/** pino's level numbers, for lines written to the chained file. */
const LEVEL_NUMBER = { info: 30, warn: 40, error: 50 } as const;

/** Audit logger for one proxy session. */
export class AuditLog {
  readonly #logger: Logger;
  readonly #opts: AuditOptions;
  readonly #chain: ChainWriter | undefined;
  /** Streams pino writes to; 0 when only the chained file is written. */
  readonly #pinoStreams: number;
  #exporters: Exporters | undefined;
  /** Set once the exporters module has loaded (it loads only when a collector is configured). */
  readonly #exportersReady: Promise<void> | undefined;

  /**
   * The log file is opened for appending with {@link openPrivateAppend}: created
   * 0600 (its directory 0700), a symbolic link refused, an existing file that
   * others could read narrowed to 0600 with a warning in the log. With `audit`:
   * the file is `{server}-{pid}.jsonl` under `audit.dir` when no `file` is set,
   * its lines are hash-chained (`ChainWriter`), and the exporters start loading.
   * @throws Error when the log file cannot be opened or continued, the chain key is
   *   unreadable or too open, or the syslog CA file is unreadable (each message names the file and why)
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
    let chainNote: string | undefined;
    const audit = opts.audit;
    if (audit?.syslog?.caFile !== undefined) accessSync(audit.syslog.caFile, constants.R_OK); // a startup error, not a silent export failure
    const file = opts.file ?? (audit?.dir !== undefined ? perProcessFile(audit.dir, opts.server, process.pid) : undefined);
    if (file !== undefined && (audit?.chain ?? false)) {
      const writer = new ChainWriter({
        path: file,
        key: audit?.chainKeyFile !== undefined ? readChainKey(audit.chainKeyFile, true) : undefined,
        maxBytes: audit?.maxBytes,
        server: opts.server,
        version: opts.version ?? 'unknown',
        configHash: opts.configHash ?? 'unknown',
      });
      tightenedFrom = writer.tightenedFrom;
      chainNote = writer.note;
      // Written directly by #log (not through pino): one object, sealed once, no JSON round trip.
      this.#chain = writer;
    } else if (file !== undefined) {
      const opened = openPrivateAppend(file);
      tightenedFrom = opened.tightenedFrom;
      const dest = pino.destination({ fd: opened.fd, sync: true });
      streams.push({ stream: text ? textStream(dest) : dest });
    }
    if (audit?.syslog !== undefined || audit?.otlp !== undefined) {
      const { syslog, otlp } = audit;
      this.#exportersReady = import('./exporters.js').then(({ Exporters }) => {
        this.#exporters = new Exporters({ syslog, otlp, version: opts.version ?? 'unknown', server: opts.server, warn: (m) => this.warn(m) });
        for (const d of this.#early) this.#exporters.decision(d);
        this.#early = [];
      });
    }
    this.#pinoStreams = streams.length;
    if (this.#chain !== undefined) process.on('exit', this.#drainSoon);
    this.#logger = pino(
      { base: { server: opts.server }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' },
      pino.multistream(streams),
    );
    if (tightenedFrom !== undefined) this.warn(`audit log ${file ?? ''} had mode ${tightenedFrom}; narrowed to 0600 (it holds what the proxy blocked)`);
    if (chainNote !== undefined) this.warn(chainNote);
  }

  /**
   * Whether {@link AuditLog.decision} would write a decision with this action
   * (`include_allowed` / `include_blocked`): the relay skips building the event of
   * an allowed frame that is not logged (the per-frame hot path).
   */
  logs(action: DecisionEvent['action']): boolean {
    return action === 'allow' ? this.#opts.includeAllowed : action === 'warn' || this.#opts.includeBlocked;
  }

  /** Log one decision, subject to `include_allowed` / `include_blocked`. */
  decision(e: DecisionEvent): void {
    if (!this.logs(e.action)) return;
    const allowed = e.action === 'allow';
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
    const fields = {
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
    };
    this.#log(level, fields, `${e.action} ${e.direction} ${e.method ?? 'response'}`, this.#exportersReady !== undefined ? this.#exported(e, findings) : undefined);
  }

  /** Decisions made before the exporters module loaded (bounded). */
  #early: ExportedDecision[] = [];

  /** What the exporters get for a decision (its `seq` and `hash` are filled in when its line is sealed). */
  #exported(e: DecisionEvent, findings: ReadonlyArray<{ rule: string; category: string }>): ExportedDecision {
    const rules = [...new Set(findings.map((f) => f.rule))];
    return {
      time: new Date(),
      server: this.#opts.server,
      action: e.action,
      direction: e.direction,
      method: e.method,
      tool: e.tool,
      id: e.id,
      rules,
      categories: [...new Set(findings.map((f) => f.category))],
      reason: e.reason ? this.mask(e.reason) : undefined,
      scanUs: Math.round(e.scanUs * 10) / 10,
      summary: `${e.action} ${e.direction} ${e.method ?? 'response'}${e.tool ? ` ${e.tool}` : ''}${rules.length > 0 ? `: ${rules.join(', ')}` : ''}`,
    };
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
    this.#log('info', { event: 'proxy', ...fields }, this.mask(msg));
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.#log('warn', { event: 'proxy', ...fields }, this.mask(msg));
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.#log('error', { event: 'proxy', ...fields }, this.mask(msg));
  }

  /**
   * One event: to pino's streams (stderr, a plain file) now, as before; to the
   * chained file and the exporters on the next turn of the event loop (see
   * {@link AuditLog.#drain}), so sealing, the file write and the exports run
   * after the relay has forwarded the frame, not on its round trip.
   */
  #log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string, exported?: ExportedDecision): void {
    if (this.#pinoStreams > 0) this.#logger[level](fields, msg);
    if (this.#chain === undefined && exported === undefined) return;
    const line = this.#chain ? { level: LEVEL_NUMBER[level], time: new Date().toISOString(), server: this.#opts.server, ...fields, msg } : undefined;
    this.#jobs.push({ line, exported });
    if (this.#jobs.length >= MAX_JOBS) this.#drain(); // a flood within one turn: do the work now rather than hold more
    else if (this.#jobs.length === 1) setImmediate(this.#drainSoon);
  }

  #writeFailed = false;

  /** Lines and exports waiting for the next turn, in order. */
  #jobs: Array<{ readonly line: Record<string, unknown> | undefined; readonly exported: ExportedDecision | undefined }> = [];
  readonly #drainSoon = (): void => this.#drain();

  /**
   * Seal and write the waiting lines (one write each), then hand their decisions,
   * with `seq` and `hash`, to the exporters. Synchronous: also run at process
   * exit, so an exit never loses a line that was logged.
   */
  #drain(): void {
    const jobs = this.#jobs;
    this.#jobs = [];
    for (const { line, exported } of jobs) {
      if (line !== undefined) {
        try {
          this.#chain?.append(line);
        } catch (err) {
          // Disk full, file gone: say so on stderr once; the relay goes on (the exports still carry the decisions).
          if (!this.#writeFailed) pino.destination({ fd: 2, sync: true }).write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), server: this.#opts.server, event: 'proxy', msg: `audit log write failed: ${(err as Error).message}` })}\n`);
          this.#writeFailed = true;
        }
      }
      if (exported === undefined) continue;
      const last = line !== undefined ? this.#chain?.last : undefined;
      const d = last !== undefined ? { ...exported, seq: last.seq, hash: last.hash } : exported;
      if (this.#exporters) this.#exporters.decision(d);
      else if (this.#early.length < 1000) this.#early.push(d);
    }
  }

  /** Mask known secret values in free-form text. */
  mask(text: string): string {
    const secrets = this.#opts.secrets?.() ?? [];
    return secrets.length > 0 ? maskAll(text, secrets) : text;
  }

  flush(): void {
    this.#logger.flush();
  }

  /**
   * Wait (at most `waitMs`) until the exporters are loaded, so that loading the
   * OpenTelemetry SDK happens before the relay starts (while the server boots)
   * rather than during the first frames. Resolves at once without exporters.
   */
  async ready(waitMs: number): Promise<void> {
    if (this.#exportersReady === undefined) return;
    const { within } = await import('./exporters.js');
    await within(this.#exportersReady.catch(() => undefined), waitMs);
  }

  /**
   * Flush everything and close the file and the exporters, waiting at most
   * `waitMs` for collectors (they never delay it longer). Safe to call once at exit.
   */
  async close(waitMs: number): Promise<void> {
    this.#drain();
    process.off('exit', this.#drainSoon);
    if (this.#exportersReady !== undefined) {
      const deadline = Date.now() + waitMs;
      const { within } = await import('./exporters.js');
      await within(this.#exportersReady.catch(() => undefined), waitMs);
      await this.#exporters?.close(deadline - Date.now());
    }
    this.#drain(); // warnings the exporters logged while closing
    this.#logger.flush();
    this.#chain?.close();
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
