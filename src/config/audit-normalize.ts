/**
 * Normalises the audit keys of `logging` (`audit-schema.ts`) into the shape
 * `AuditLog` takes, with defaults applied.
 */
import { parseAddress } from '../log/syslog-format.js';
import type { SyslogOptions } from '../log/exporters.js';
import type { OtlpOptions } from '../log/otlp-sink.js';
import type { RawConfig } from './schema.js';

/** The audit file, chain and exports, fully defaulted. */
export interface AuditSinksConfig {
  /** Directory of per-process files; set only when `output` is `file` or `both`. */
  readonly dir?: string;
  /** Hash-chain the file's lines. */
  readonly chain: boolean;
  readonly chainKeyFile?: string;
  readonly maxBytes?: number;
  readonly syslog?: SyslogOptions;
  readonly otlp?: OtlpOptions;
}

/**
 * Defaults for the audit keys.
 * @throws Error when the syslog address has no valid port (the schema checks it first)
 */
export function normalizeAuditLogging(raw: RawConfig['logging'], writesFiles: boolean): AuditSinksConfig {
  const s = raw?.syslog;
  const o = raw?.otlp;
  const protocol = s?.protocol ?? 'tcp';
  return {
    ...(raw?.dir !== undefined && writesFiles ? { dir: raw.dir } : {}),
    chain: raw?.chain ?? true,
    ...(raw?.chain_key_file !== undefined ? { chainKeyFile: raw.chain_key_file } : {}),
    ...(raw?.max_bytes !== undefined ? { maxBytes: raw.max_bytes } : {}),
    ...(s
      ? {
          syslog: {
            ...parseAddress(s.address, protocol),
            protocol,
            facility: s.facility ?? 'local0',
            appName: s.app_name ?? 'mcp-guard',
            ...(s.ca_file !== undefined ? { caFile: s.ca_file } : {}),
            bufferMessages: s.buffer ?? 1000,
          },
        }
      : {}),
    ...(o
      ? {
          otlp: {
            endpoint: o.endpoint,
            headers: o.headers ?? {},
            protocol: o.protocol ?? 'http/protobuf',
            metricIntervalMs: o.metric_interval_ms ?? 10_000,
          },
        }
      : {}),
  };
}
