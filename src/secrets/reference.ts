/**
 * References to stored secrets, as written in agent configs and on the proxy's
 * command line: `--env NAME=secret:STORE_NAME`, or config `env.secrets: {NAME: STORE_NAME}`.
 * This module holds only the syntax, so the proxy can recognise a reference
 * without loading any store backend.
 */

/** The prefix of a reference in `--env NAME=secret:STORE_NAME`. */
export const SECRET_PREFIX = 'secret:';

/**
 * Store names: a letter or digit, then letters, digits, `.`, `_`, `-`, `/`, at
 * most 128 characters (setup uses `<client>/<server>/<VARIABLE>`). Narrow on
 * purpose: a name is also a keychain account and a JSON key, and it is shown in
 * logs and errors, so it must never need quoting.
 */
const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

/** Whether `name` is a valid store name. */
export function isStoreName(name: string): boolean {
  return STORE_NAME.test(name);
}

/** A store name made from free text (entry names can hold anything): other characters become `_`. */
export function toStoreName(...parts: readonly string[]): string {
  const joined = parts.map((p) => p.replace(/[^A-Za-z0-9._-]/g, '_')).join('/');
  const name = /^[A-Za-z0-9]/.test(joined) ? joined : `s${joined}`;
  return name.slice(0, 128);
}

/**
 * The store name of a `--env` value, when it is a reference.
 * @returns the name after `secret:`, or undefined when `value` does not start with it
 */
export function referencedName(value: string): string | undefined {
  return value.startsWith(SECRET_PREFIX) ? value.slice(SECRET_PREFIX.length) : undefined;
}

/** `secret:NAME`. */
export function reference(name: string): string {
  return `${SECRET_PREFIX}${name}`;
}
