/**
 * Property-test run counts. Under `npm run mutate` (stryker.config.mjs sets
 * `MCP_GUARD_MUTATE`) every surviving mutant reruns the properties that cover
 * it, so they run a tenth as often there; `npm test` runs them in full.
 */
export const MUTATING = process.env['MCP_GUARD_MUTATE'] !== undefined;

/** `n` runs, or a tenth of them (at least 20) under mutation testing. */
export function runs(n: number): number {
  return MUTATING ? Math.max(20, Math.ceil(n / 10)) : n;
}
