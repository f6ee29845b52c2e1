/**
 * RFC 5424 syslog messages and their framing. Written here rather than taken
 * from npm: the format is one line of ABNF (RFC 5424 §6), the maintained npm
 * packages either emit RFC 3164 by default or bundle their own transport, and we
 * need the transport to be non-blocking and bounded (`syslog-sink.ts`).
 *
 *   SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG]                   (§6)
 *   HEADER     = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 *   PRI        = "<" (facility * 8 + severity) ">"                    (§6.2.1)
 *
 * Structured data is one SD-ELEMENT `[mcpguard@32473 …]` (§6.3): a private
 * SD-ID needs `@` and an enterprise number (§7.2.2); 32473 is the number
 * reserved for documentation (RFC 5612), so a receiver cannot mistake it for a
 * registered one. PARAM-VALUE escapes `"`, `\` and `]` (§6.3.3); a PARAM-NAME
 * may repeat (one `rule` per rule). MSG is UTF-8 with a BOM (§6.4).
 */
import { hostname } from 'node:os';

/** Facility names and codes (RFC 5424 §6.2.1, table 1). */
export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, security: 13, console: 14, clock: 15, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21,
  local6: 22, local7: 23,
} as const;

/** A facility name. */
export type Facility = keyof typeof FACILITIES;

/** Severities used (RFC 5424 §6.2.1, table 2): err, warning, notice, informational. */
export const SEVERITY = { err: 3, warning: 4, notice: 5, info: 6 } as const;

/** Our SD-ID (see the module comment). */
export const SD_ID = 'mcpguard@32473';

/** One message's parts. */
export interface SyslogMessage {
  readonly facility: Facility;
  /** 0–7. */
  readonly severity: number;
  readonly time: Date;
  readonly appName: string;
  readonly msgId: string;
  /** SD-PARAMs in order; a name may repeat. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  readonly msg: string;
}

/** PRINTUSASCII (%d33-126), cut to `max`; `-` (NILVALUE) when empty (§6). */
function headerField(s: string, max: number): string {
  const clean = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** PARAM-VALUE escaping (§6.3.3): `"`, `\` and `]` get a backslash. */
export function escapeParamValue(v: string): string {
  return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** SD-NAME (§6.3.3): 1–32 of PRINTUSASCII except `=`, SP, `]`, `"`. */
function sdName(name: string): string {
  return name.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32) || '_';
}

const HOST = headerField(hostname(), 255);

/** Longest PARAM-VALUE and MSG (characters): names come from servers, and collectors cut long messages (rsyslog at 8 KiB). */
const MAX_VALUE = 256;
const MAX_MSG = 1024;

/** `s` cut to `max` characters, with `…` when cut (never inside a surrogate pair). */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = /[\ud800-\udbff]/.test(s[max - 2] ?? '') ? max - 2 : max - 1;
  return `${s.slice(0, cut)}…`;
}

/**
 * Format one RFC 5424 message (no framing).
 * @returns the message as UTF-8 bytes
 */
export function formatSyslog(m: SyslogMessage): Buffer {
  const pri = FACILITIES[m.facility] * 8 + m.severity;
  const sd = `[${SD_ID}${m.params.map(([k, v]) => ` ${sdName(k)}="${escapeParamValue(clip(v, MAX_VALUE))}"`).join('')}]`;
  // TIMESTAMP (§6.2.3): RFC 3339 with at most 6 fraction digits; toISOString gives 3, in UTC.
  const head = `<${pri}>1 ${m.time.toISOString()} ${HOST} ${headerField(m.appName, 48)} ${process.pid} ${headerField(m.msgId, 32)} ${sd}`;
  return Buffer.concat([Buffer.from(`${head} `, 'utf8'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(clip(m.msg.replace(/[\r\n]+/g, ' '), MAX_MSG), 'utf8')]);
}

/** Octet-counting frame for TCP and TLS (RFC 6587 §3.4.1, RFC 5425 §4.3): `MSG-LEN SP SYSLOG-MSG`. */
export function octetCounted(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]);
}

/**
 * Parse `host:port`, `[v6]:port` or a bare host (port 514, or 6514 for TLS).
 * @throws Error naming the address when the port is not 1–65535
 */
export function parseAddress(address: string, protocol: 'tcp' | 'tls' | 'udp'): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (!m || (m[1] ?? '') === '') throw new Error(`syslog address ${JSON.stringify(address)}: expected host:port`);
  const port = m[2] === undefined ? (protocol === 'tls' ? 6514 : 514) : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`syslog address ${JSON.stringify(address)}: port must be 1–65535`);
  return { host: m[1] as string, port };
}
