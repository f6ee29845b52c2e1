/**
 * `url` arguments (SSRF): the URL is parsed with WHATWG URL, which already reads
 * every IPv4 spelling (decimal `2852039166`, octal `0251.0376.0251.0376`, hex
 * `0xa9fe.0xa9fe`, short `127.1`, `0`) as dotted-quad, and IDNA-maps fullwidth
 * and circled digits. The host is then classified with ipaddr.js: anything that
 * is not a public unicast address is refused, and so are known metadata
 * addresses and names.
 *
 * Servers parse URLs with other libraries (Python's urllib splits userinfo at
 * the last `@` and does not treat `\` as `/`), so the host is also read the
 * way such parsers read it, and every reading must pass.
 *
 * DNS names are not resolved (see pipelock.example.yaml, `guard_policy.urls`):
 * the check runs synchronously in the relay, and a name checked at one moment
 * can resolve elsewhere when the server connects (DNS rebinding), so resolving
 * would give a false sense of safety; names that spell an IP (`10.0.0.1.nip.io`) are read as that IP.
 */
import { createRequire } from 'node:module';
import type ipaddrType from 'ipaddr.js';

const require = createRequire(import.meta.url);
let ipaddr: typeof ipaddrType | undefined;

/** Schemes whose host the server connects to. */
const NETWORK_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:']);
/** Schemes used only for SSRF against internal services (gopher smuggles raw TCP). */
const SSRF_SCHEMES = new Set(['gopher:', 'dict:', 'tftp:', 'ldap:', 'ldaps:', 'jar:', 'netdoc:', 'sftp:', 'telnet:']);

/** Cloud metadata endpoints, whatever their range (Azure's wire server is public unicast). */
const METADATA_IPS = new Set(['169.254.169.254', '169.254.170.2', '169.254.169.253', '100.100.100.200', '168.63.129.16', '192.0.0.192', 'fd00:ec2::254', 'fd00:ec2::23']);
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal']);
/** Names that mean this machine or a private network. */
const PRIVATE_NAME = /(?:^|\.)(?:localhost|localdomain|local|internal|home\.arpa|lan|intranet|corp)$|^ip6-(?:localhost|loopback)$/;

/** One problem with a URL argument. */
export interface UrlProblem {
  readonly rule: 'url-private-address' | 'url-metadata' | 'url-scheme' | 'url-unparsable' | 'url-host-denied' | 'url-host-not-allowed';
  readonly reason: string;
}

/** Options for {@link checkUrl}. */
export interface UrlOptions {
  readonly blockPrivate: boolean;
  /** Exact hosts or `*.example.com`. */
  readonly allowHosts: readonly string[];
  readonly denyHosts: readonly string[];
}

/** What {@link checkUrl} found. */
export interface UrlCheck {
  readonly problems: UrlProblem[];
  /** A `file:` URL: its path, for the path checks. */
  readonly filePath?: string;
  /** The URL carries data: a query, fragment, userinfo or a long path (for the exfiltration rule). */
  readonly carriesData: boolean;
  /** The value is a URL the server would connect to (http, https, ws, wss, ftp, or an SSRF scheme). */
  readonly network: boolean;
}

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase().replace(/\.+$/, '');
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) || host === p.slice(2);
  return host === p;
}

/** The host as WHATWG reads it in `http://<host>/`, lower case, without trailing dots and brackets; undefined if not a host. */
function canonicalHost(host: string): string | undefined {
  try {
    const h = new URL(`http://${host}/`).hostname;
    return h.replace(/\.+$/, '').replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** Hosts other URL parsers would connect to: userinfo split at the last `@`, `\` not a separator. */
function otherReadings(raw: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:[/\\]{2}([^/?#]*)/i.exec(raw.trim());
  if (!m) return [];
  const authority = m[1] ?? '';
  const hosts = new Set<string>();
  for (const a of [authority, authority.split('\\')[0] ?? '']) {
    const at = a.lastIndexOf('@');
    let host = at >= 0 ? a.slice(at + 1) : a;
    host = host.startsWith('[') ? host.replace(/\](?::\d*)?$/, ']') : host.replace(/:\d*$/, '');
    const c = canonicalHost(host);
    if (c !== undefined && c !== '') hosts.add(c);
  }
  return [...hosts];
}

/** Classify one host; undefined when it is public. */
export function hostProblem(host: string): UrlProblem | undefined {
  ipaddr ??= require('ipaddr.js') as typeof ipaddrType;
  if (METADATA_NAMES.has(host)) return { rule: 'url-metadata', reason: `host ${host} is a cloud metadata endpoint` };
  if (PRIVATE_NAME.test(host)) return { rule: 'url-private-address', reason: `host ${host} names this machine or a private network` };
  // nip.io-style names spell an address: 10.0.0.1.nip.io, 169-254-169-254.sslip.io.
  const spelled = /^(\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3})\.[a-z]/.exec(host)?.[1];
  const candidates = [host, ...(spelled ? [spelled.replace(/-/g, '.')] : [])];
  for (const h of candidates) {
    if (!ipaddr.isValid(h)) continue;
    let addr = ipaddr.parse(h);
    if (addr.kind() === 'ipv6' && (addr as ipaddrType.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddrType.IPv6).toIPv4Address();
    const text = addr.toString();
    if (METADATA_IPS.has(text)) return { rule: 'url-metadata', reason: `address ${text} is a cloud metadata endpoint` };
    const range = addr.range();
    if (range !== 'unicast') return { rule: 'url-private-address', reason: `address ${text} is not public (${range})` };
  }
  return undefined;
}

/**
 * Check one URL argument.
 * @param raw the value; a bare `host/path` or `//host/path` is read as `http://…`
 */
export function checkUrl(raw: string, o: UrlOptions): UrlCheck {
  const text = raw.trim();
  const schemed = /^[a-z][a-z0-9+.-]*:/i.test(text);
  let url: URL;
  try {
    url = new URL(schemed ? text : text.startsWith('//') ? `http:${text}` : `http://${text}`);
  } catch {
    // A value that says it is a URL but does not parse may parse differently in the server's library.
    const problems: UrlProblem[] = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? [{ rule: 'url-unparsable', reason: 'the URL does not parse (WHATWG URL)' }] : [];
    return { problems, carriesData: false, network: problems.length > 0 };
  }
  if (!schemed && !/^(?:\/\/)?(?:\[[0-9a-f:.]+\]|[^\s/?#@]+\.[^\s/?#@]+|localhost|\d+)(?::\d+)?(?:[/?#]|$)/i.test(text)) {
    return { problems: [], carriesData: false, network: false }; // not a URL at all (free text)
  }
  if (url.protocol === 'file:') return { problems: [], filePath: url.pathname, carriesData: false, network: false };
  if (SSRF_SCHEMES.has(url.protocol)) return { problems: [{ rule: 'url-scheme', reason: `scheme ${url.protocol} reaches internal services` }], carriesData: true, network: true };
  if (!NETWORK_SCHEMES.has(url.protocol)) return { problems: [], carriesData: false, network: false };
  const carriesData = url.search.length > 1 || url.hash.length > 1 || url.username !== '' || url.password !== '' || url.pathname.length > 64;
  const hosts = new Set([url.hostname.replace(/\.+$/, '').replace(/^\[|\]$/g, '').toLowerCase(), ...otherReadings(text)]);
  const problems: UrlProblem[] = [];
  for (const host of hosts) {
    const denied = o.denyHosts.find((p) => hostMatches(host, p));
    if (denied !== undefined) {
      problems.push({ rule: 'url-host-denied', reason: `host ${host} is denied (${denied})` });
      continue;
    }
    if (o.allowHosts.some((p) => hostMatches(host, p))) continue;
    if (o.allowHosts.length > 0) {
      problems.push({ rule: 'url-host-not-allowed', reason: `host ${host} is not in allow_hosts` });
      continue;
    }
    const p = o.blockPrivate ? hostProblem(host) : undefined;
    if (p) problems.push(p);
  }
  return { problems, carriesData, network: true };
}
