/**
 * Exports decisions over OTLP/HTTP with the official OpenTelemetry SDK: each
 * decision is one log record, and the `mcp_guard.decisions` counter counts them
 * by action and category. This module is imported only when `logging.otlp` is
 * configured (by `exporters.ts`), so the proxy never loads the SDK otherwise.
 *
 * The SDK's batch processor is the bound: a queue of {@link MAX_QUEUE} records,
 * exported every second off the hot path; when the queue is full, records are
 * dropped. Failed exports are reported by the SDK to its diagnostics logger,
 * which is silent unless configured, and never thrown into the proxy.
 *
 * Attributes follow the OpenTelemetry semantic conventions where they exist
 * (`mcp.method.name`, `jsonrpc.request.id`, `gen_ai.tool.name`, `service.*`,
 * `host.name`, `process.pid`: semconv 1.3x, MCP and JSON-RPC sections) and use
 * `mcp.guard.*` otherwise.
 */
import { hostname } from 'node:os';
import { within, type ExportedDecision } from './exporters.js';

/** Normalised `logging.otlp`. */
export interface OtlpOptions {
  /** Base URL, e.g. `http://localhost:4318`: `/v1/logs` and `/v1/metrics` are appended (OTLP/HTTP spec). */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly protocol: 'http/protobuf' | 'http/json';
  /** Metric export interval (ms). */
  readonly metricIntervalMs: number;
}

/** Most log records queued for export. */
export const MAX_QUEUE = 2048;
/** One export's timeout (ms). */
const EXPORT_TIMEOUT_MS = 5000;

/** SeverityNumber (OTel logs data model): INFO 9, WARN 13, ERROR 17. */
function severity(action: string): { n: number; text: string } {
  if (action === 'allow') return { n: 9, text: 'INFO' };
  if (action === 'warn') return { n: 13, text: 'WARN' };
  return { n: 17, text: 'ERROR' };
}

/** The running OTLP export. */
export interface OtlpSink {
  emit(d: ExportedDecision): void;
  /** Flush and shut down, waiting at most `waitMs`. */
  close(waitMs: number): Promise<void>;
}

/**
 * Build the exporters (loads the OpenTelemetry SDK).
 * @param version mcp-guard's version, as `service.version`
 * @param server the proxied server's name, as the resource attribute `mcp.guard.server` (one per proxy)
 */
export async function startOtlp(o: OtlpOptions, version: string, server: string): Promise<OtlpSink> {
  const proto = o.protocol === 'http/protobuf';
  const [{ ValueType }, { LoggerProvider, BatchLogRecordProcessor }, { MeterProvider, PeriodicExportingMetricReader }, { resourceFromAttributes }, logsMod, metricsMod] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-logs'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
    proto ? import('@opentelemetry/exporter-logs-otlp-proto') : import('@opentelemetry/exporter-logs-otlp-http'),
    proto ? import('@opentelemetry/exporter-metrics-otlp-proto') : import('@opentelemetry/exporter-metrics-otlp-http'),
  ]);
  const base = o.endpoint.replace(/\/+$/, '');
  const common = { headers: { ...o.headers }, timeoutMillis: EXPORT_TIMEOUT_MS };
  const resource = resourceFromAttributes({
    'service.name': 'mcp-guard',
    'service.version': version,
    'host.name': hostname(),
    'process.pid': process.pid,
    'mcp.guard.server': server,
  });
  const logs = new LoggerProvider({
    resource,
    // Tool names and reasons come from servers: bound what one record can carry.
    logRecordLimits: { attributeValueLengthLimit: 1024, attributeCountLimit: 32 },
    processors: [
      new BatchLogRecordProcessor({
        exporter: new logsMod.OTLPLogExporter({ ...common, url: `${base}/v1/logs` }),
        maxQueueSize: MAX_QUEUE,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  const metrics = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new metricsMod.OTLPMetricExporter({ ...common, url: `${base}/v1/metrics` }),
        exportIntervalMillis: o.metricIntervalMs,
        exportTimeoutMillis: Math.min(EXPORT_TIMEOUT_MS, o.metricIntervalMs),
      }),
    ],
  });
  const logger = logs.getLogger('mcp-guard', version);
  const counter = metrics.getMeter('mcp-guard', version).createCounter('mcp_guard.decisions', {
    description: 'Decisions about JSON-RPC frames, by action and finding category',
    unit: '{decision}',
    valueType: ValueType.INT,
  });

  return {
    emit(d: ExportedDecision): void {
      const sev = severity(d.action);
      const attributes: Record<string, string | number | string[]> = {
        'mcp.guard.action': d.action,
        'mcp.guard.direction': d.direction,
      };
      if (d.rules.length > 0) attributes['mcp.guard.rules'] = [...d.rules];
      if (d.categories.length > 0) attributes['mcp.guard.categories'] = [...d.categories];
      if (d.method !== undefined) attributes['mcp.method.name'] = d.method;
      if (d.id !== undefined && d.id !== null) attributes['jsonrpc.request.id'] = String(d.id);
      if (d.tool !== undefined) attributes['gen_ai.tool.name'] = d.tool;
      if (d.reason !== undefined) attributes['mcp.guard.reason'] = d.reason;
      if (d.seq !== undefined) attributes['mcp.guard.audit.seq'] = d.seq;
      if (d.hash !== undefined) attributes['mcp.guard.audit.hash'] = d.hash;
      logger.emit({
        eventName: 'mcp_guard.decision',
        timestamp: d.time,
        severityNumber: sev.n,
        severityText: sev.text,
        body: d.summary,
        attributes,
      });
      for (const category of d.categories.length > 0 ? d.categories : ['none']) counter.add(1, { 'mcp.guard.action': d.action, 'mcp.guard.category': category });
    },
    async close(waitMs: number): Promise<void> {
      const flush = Promise.allSettled([logs.forceFlush(), metrics.forceFlush()]).then(() => Promise.allSettled([logs.shutdown(), metrics.shutdown()]));
      await within(flush, waitMs);
    },
  };
}
