/**
 * mcp-guard's own `logging` keys: the hash-chained audit file, its directory
 * and rotation, and the syslog and OpenTelemetry exports. Spread into the
 * `logging` strictObject of `schema.ts`; normalised by `audit-normalize.ts`.
 * Documented in `pipelock.example.yaml`.
 */
import type * as Zod from 'zod';
import { parseAddress } from '../log/syslog-format.js';

/** The zod shape of the audit keys under `logging`. */
export function auditLoggingKeys(z: typeof Zod) {
  return {
    /**
     * mcp-guard: a directory of audit files, one per proxy process: `{server}-{pid}.jsonl`
     * (concurrent proxies never share a file). Written, like `file`, when `output` is `file` or `both`.
     */
    dir: z.string().min(1).optional(),
    /** mcp-guard: hash-chain the audit file's lines (seq, prev, hash); `false` writes plain pino lines. @default true */
    chain: z.boolean().optional(),
    /**
     * mcp-guard: key for HMAC-SHA-256 chain hashes, so that someone who can write the log cannot rebuild
     * the chain. The file must be mode 0600 (refused otherwise) and hold at least 16 bytes.
     */
    chain_key_file: z.string().min(1).optional(),
    /** mcp-guard: rotate an audit file before it would grow past this many bytes. @default no rotation */
    max_bytes: z.number().int().min(4096).optional(),
    /** mcp-guard: send each decision to a syslog collector (RFC 5424). */
    syslog: z
      .strictObject({
        /** `host:port` (`[v6]:port`); port default 514, or 6514 for tls. */
        address: z.string().min(1),
        /** @default "tcp" */
        protocol: z.enum(['tcp', 'tls', 'udp']).optional(),
        /** @default "local0" */
        facility: z
          .enum(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'])
          .optional(),
        /** @default "mcp-guard" */
        app_name: z.string().min(1).max(48).optional(),
        /** PEM CA bundle that signs the collector's certificate (tls). @default Node's built-in roots */
        ca_file: z.string().min(1).optional(),
        /** Messages held while the collector is unreachable; beyond it they are dropped and counted. @default 1000 */
        buffer: z.number().int().min(1).max(100000).optional(),
      })
      .superRefine((v, ctx) => {
        try {
          parseAddress(v.address, v.protocol ?? 'tcp');
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['address'], message: (err as Error).message });
        }
      })
      .optional(),
    /** mcp-guard: export each decision as an OpenTelemetry log record, and the `mcp_guard.decisions` counter. */
    otlp: z
      .strictObject({
        /** OTLP/HTTP base URL; `/v1/logs` and `/v1/metrics` are appended. */
        endpoint: z.string().url(),
        /** HTTP headers sent with every export (e.g. an API key). @default {} */
        headers: z.record(z.string(), z.string()).optional(),
        /** @default "http/protobuf" */
        protocol: z.enum(['http/protobuf', 'http/json']).optional(),
        /** How often the counter is exported (ms). @default 10000 */
        metric_interval_ms: z.number().int().min(100).optional(),
      })
      .optional(),
  };
}
