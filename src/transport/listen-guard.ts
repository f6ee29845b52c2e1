/**
 * The checks in front of `proxy --listen`: where it may bind, which `Host` and
 * `Origin` it accepts (MCP spec 2025-06-18, Transports § Security Warning:
 * servers MUST validate the Origin header to prevent DNS rebinding; 2025-11-25:
 * an invalid Origin gets 403 Forbidden), and bearer-token authentication.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { GuardError } from '../errors.js';

/** A parsed `--listen` address. */
export interface ListenAddress {
  /** Host to bind (an IP address). */
  readonly host: string;
  readonly port: number;
  /** True when `host` is a loopback address. */
  readonly loopback: boolean;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\./.test(h)) return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Parse `--listen`: `PORT`, `HOST:PORT` or `[IPv6]:PORT`. `localhost` binds 127.0.0.1.
 * @throws GuardError `USAGE` for a malformed value, or a host that is not an IP address
 */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m?.[2] !== undefined ? Number(m[2]) : NaN;
  if (m === null || !(port >= 0 && port <= 65535)) throw new GuardError('USAGE', `--listen: expected PORT or HOST:PORT, got "${value.slice(0, 60)}"`);
  let host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (isIP(host) === 0) throw new GuardError('USAGE', `--listen: the host must be an IP address (such as 127.0.0.1), got "${host.slice(0, 60)}"`);
  return { host, port, loopback: isLoopbackHost(host) };
}

/**
 * Read the bearer token from `--auth-token-file` (its last line break removed).
 * @returns the token and, when the file can be read by others, a warning
 * @throws GuardError `USAGE` when the file cannot be read or holds a token under 16
 *   characters (the message names the file, never its content)
 */
export function readAuthToken(file: string): { token: string; warning?: string } {
  let text: string;
  let mode = 0;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode;
  } catch (err) {
    throw new GuardError('USAGE', `--auth-token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const token = text.replace(/\r?\n$/, '');
  if (token.length < 16 || /\s/.test(token)) throw new GuardError('USAGE', `--auth-token-file: ${file} must hold one token of at least 16 characters, without spaces`);
  const loose = process.platform !== 'win32' && (mode & 0o077) !== 0;
  return loose ? { token, warning: `--auth-token-file ${file} can be read by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it` } : { token };
}

/**
 * Constant-time check of an `Authorization` header against the token: both sides
 * are hashed first, so neither the comparison's time nor its length check depends
 * on where they differ.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header !== undefined ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}

/**
 * Is this request's `Host` acceptable? On a loopback bind only loopback names are:
 * a DNS-rebinding page reaches us under its own host name.
 */
export function hostAllowed(host: string | undefined, address: ListenAddress): boolean {
  if (!address.loopback) return true;
  if (host === undefined) return false;
  const name = /^(\[[^\]]*\]|[^:]*)/.exec(host)?.[1] ?? '';
  return isLoopbackHost(name);
}

/**
 * Is this request's `Origin` acceptable? Absent (not a browser) is; a loopback
 * origin is; so is one listed with `--allow-origin` (exact `scheme://host[:port]`).
 * `null` and anything else are not.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}
