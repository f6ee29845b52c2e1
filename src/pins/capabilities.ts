/**
 * Client capabilities as the pin store keys them. A server may register tools
 * (and prompts, templates) only for clients that declare a capability:
 * `@modelcontextprotocol/server-everything` adds `get-roots-list`,
 * `trigger-sampling-request` and `trigger-elicitation-request` only when the
 * `initialize` request's `params.capabilities` has `roots`, `sampling` or
 * `elicitation` (MCP spec, "Lifecycle" → Initialization; `ClientCapabilities`).
 *
 * So the set of capabilities each session declared is stored per server, and a
 * session that declares a capability no earlier session of that server declared
 * may pin the items that are not pinned yet (see `pin-scanner.ts`). The client
 * chooses its capabilities, not the server, so a server cannot open that door.
 */

/** A capability set with more names than this is not keyed (nothing is admitted for it). */
export const MAX_CAPABILITY_NAMES = 64;
/** Longest capability name that is keyed (UTF-16 code units). */
export const MAX_CAPABILITY_NAME_CHARS = 64;
/** Capability sets stored per server; beyond it a new set is neither stored nor admits anything. */
export const MAX_CAPABILITY_SETS = 32;

/**
 * The names of a `ClientCapabilities` object: each top-level key, and each key one
 * level down as `parent.key` (`elicitation.url` decides whether server-everything
 * registers `trigger-url-elicitation`). A key counts when present, whatever its
 * value, as servers test `capabilities.x !== undefined`.
 * @param capabilities `params.capabilities` of the client's `initialize` request
 * @returns the names, sorted and unique; undefined when `capabilities` is not an
 *   object or is too large to key (over {@link MAX_CAPABILITY_NAMES} names or a
 *   name over {@link MAX_CAPABILITY_NAME_CHARS} characters or with a comma)
 */
export function capabilityNames(capabilities: unknown): string[] | undefined {
  if (!isObject(capabilities)) return undefined;
  const names = new Set<string>();
  for (const [key, value] of Object.entries(capabilities)) {
    names.add(key);
    if (isObject(value)) for (const sub of Object.keys(value)) names.add(`${key}.${sub}`);
    if (names.size > MAX_CAPABILITY_NAMES) return undefined;
  }
  const out = [...names].sort();
  // A comma would make the set key ambiguous.
  return out.some((n) => n.length > MAX_CAPABILITY_NAME_CHARS || n.includes(',')) ? undefined : out;
}

/** The store key of a capability set: its sorted names joined by `,` (`""` for a client that declares none). */
export function capabilitySetKey(names: readonly string[]): string {
  return [...names].sort().join(',');
}

/**
 * The names of `names` that no stored set has.
 * @param sets stored set keys ({@link capabilitySetKey})
 */
export function newCapabilities(sets: Iterable<string>, names: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const key of sets) for (const n of key.split(',')) if (n !== '') seen.add(n);
  return names.filter((n) => !seen.has(n));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
