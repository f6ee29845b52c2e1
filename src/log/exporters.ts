/**
 * Ships decisions to the configured collectors: syslog (`syslog-sink.ts`) and
 * OTLP (`otlp-sink.ts`). Their modules are imported on first construction, off
 * the proxy's start-up path; decisions made before they are ready wait in a
 * bounded queue. Nothing here throws into the relay or blocks it: a collector
 * that is down or slow costs queued memory up to a bound, then dropped events,
 * which are counted and reported when the proxy exits.
 */
import type { Facility } from './syslog-format.js';
import type { OtlpOptions, OtlpSink } from './otlp-sink.js';
import type { SyslogSink } from './syslog-sink.js';

/** One decision, as exported (secrets already masked). */
export interface ExportedDecision {
  readonly time: Date;
  readonly server: string;
  readonly action: string;
  readonly direction: string;
  readonly method?: string | undefined;
  readonly tool?: string | undefined;
  readonly id?: string | number | null | undefined;
  readonly rules: readonly string[];
  readonly categories: readonly string[];
  readonly reason?: string | undefined;
  readonly scanUs: number;
  /** The decision's line in the hash-chained file, when there is one. */
  readonly seq?: number | undefined;
  readonly hash?: string | undefined;
  /** One-line text: `block client-to-server tools/call: rule-a, rule-b`. */
  readonly summary: string;
}

/** Normalised `logging.syslog`. */
export interface SyslogOptions {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'tls' | 'udp';
  readonly facility: Facility;
  readonly appName: string;
  readonly caFile?: string | undefined;
  readonly bufferMessages: number;
}

/** What to start. */
export interface ExportersOptions {
  readonly syslog?: SyslogOptions | undefined;
  readonly otlp?: OtlpOptions | undefined;
  readonly version: string;
  /** The proxied server's name (an OTLP resource attribute). */
  readonly server: string;
  /** Reports a problem (a collector that could not be set up, dropped events) to the audit log. */
  readonly warn: (msg: string) => void;
}

/**
 * `p`, or undefined after `ms`. The timer is not unref'd: at exit, this bounded
 * wait is what keeps the process alive long enough to hand events over.
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, ms))));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Decisions held while the exporter modules load. */
const MAX_PENDING = 1000;
/** Most rules named in one syslog message. */
const MAX_SD_RULES = 16;

/** The running exporters of one proxy. */
export class Exporters {
  readonly #o: ExportersOptions;
  #pending: ExportedDecision[] | undefined = [];
  #droppedPending = 0;
  #syslog: { sink: SyslogSink; format: (d: ExportedDecision) => Buffer } | undefined;
  #otlp: OtlpSink | undefined;
  readonly #ready: Promise<void>;

  constructor(o: ExportersOptions) {
    this.#o = o;
    this.#ready = this.#start().catch((err: unknown) => {
      o.warn(`audit export: could not start: ${(err as Error).message}`);
    });
  }

  /**
   * Export one decision; returns at once. The work (formatting, the socket
   * write, the SDK's record) runs on the next turn of the event loop, after the
   * relay has forwarded the frame, with the decisions of one turn batched.
   */
  decision(d: ExportedDecision): void {
    if (this.#pending !== undefined) {
      if (this.#pending.length < MAX_PENDING) this.#pending.push(d);
      else this.#droppedPending++;
      return;
    }
    if (this.#batch.length >= MAX_PENDING) {
      this.#droppedPending++;
      return;
    }
    this.#batch.push(d);
    if (this.#batch.length === 1) setImmediate(() => this.#flushBatch());
  }

  /** Decisions of this event-loop turn, exported on the next. */
  #batch: ExportedDecision[] = [];

  #flushBatch(): void {
    const batch = this.#batch;
    this.#batch = [];
    try {
      if (this.#syslog) {
        const { sink, format } = this.#syslog;
        sink.sendMany(batch.map(format));
      }
      for (const d of batch) this.#otlp?.emit(d);
    } catch {
      // An exporter must never take the relay down; the SDK and the sink count their own losses.
    }
  }

  /**
   * Flush and close every exporter, waiting at most `waitMs` in all.
   * Reports dropped events through `warn`.
   */
  async close(waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    await within(this.#ready, waitMs);
    this.#flushBatch();
    const left = (): number => Math.max(0, deadline - Date.now());
    const syslog = this.#syslog?.sink;
    const [unsent = 0] = await Promise.all([syslog?.close(left()), this.#otlp?.close(left())]);
    if (this.#droppedPending > 0) this.#o.warn(`audit export: ${this.#droppedPending} decision${this.#droppedPending === 1 ? '' : 's'} dropped while the exporters loaded (buffer full)`);
    const lost = (syslog?.dropped ?? 0) + unsent;
    if (syslog && lost > 0) {
      const where = `${this.#o.syslog?.host ?? ''}:${this.#o.syslog?.port ?? ''}`;
      this.#o.warn(`audit export: ${lost} decision${lost === 1 ? '' : 's'} not delivered to syslog ${where} (collector down or slow): ${syslog.dropped} past the buffer, ${unsent} still queued at exit`);
    }
  }

  async #start(): Promise<void> {
    const { syslog, otlp } = this.#o;
    try {
      if (syslog) {
        const [{ SyslogSink }, fmt] = await Promise.all([import('./syslog-sink.js'), import('./syslog-format.js')]);
        const sink = new SyslogSink(syslog);
        this.#syslog = {
          sink,
          format: (d) =>
            fmt.formatSyslog({
              facility: syslog.facility,
              severity: d.action === 'allow' ? fmt.SEVERITY.info : d.action === 'warn' ? fmt.SEVERITY.warning : fmt.SEVERITY.err,
              time: d.time,
              appName: syslog.appName,
              msgId: 'decision',
              params: sdParams(d),
              msg: d.summary,
            }),
        };
      }
      if (otlp) this.#otlp = await (await import('./otlp-sink.js')).startOtlp(otlp, this.#o.version, this.#o.server);
    } finally {
      const pending = this.#pending ?? [];
      this.#pending = undefined;
      this.#batch.push(...pending);
      this.#flushBatch();
    }
  }
}

/** SD-PARAMs of a decision: action, server, direction, method, tool, id, one `rule` per rule, category, seq, hash. */
function sdParams(d: ExportedDecision): Array<[string, string]> {
  const p: Array<[string, string]> = [
    ['action', d.action],
    ['server', d.server],
    ['direction', d.direction],
  ];
  if (d.method !== undefined) p.push(['method', d.method]);
  if (d.tool !== undefined) p.push(['tool', d.tool]);
  if (d.id !== undefined && d.id !== null) p.push(['id', String(d.id)]);
  for (const r of d.rules.slice(0, MAX_SD_RULES)) p.push(['rule', r]);
  for (const c of d.categories) p.push(['category', c]);
  if (d.seq !== undefined) p.push(['seq', String(d.seq)]);
  if (d.hash !== undefined) p.push(['hash', d.hash]);
  return p;
}
