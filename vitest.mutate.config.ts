/**
 * The test set for `npm run mutate` (Stryker, stryker.config.mjs): only tests
 * that run the decision core in process. Tests that spawn the built CLI run
 * dist/, which Stryker never mutates, so they could only slow a mutation run.
 * Every file here imports from src/.
 *
 * `MCP_GUARD_MUTATE` (set by stryker.config.mjs from `--mutate`) narrows the set
 * to the tests of the files being mutated: a mutant in module-level code
 * (a constant, a regex) is run against every test in the set.
 */
import { defineConfig } from 'vitest/config';

/** Source file → the in-process tests that exercise it. */
export const TESTS_FOR: Record<string, readonly string[]> = {
  'src/proxy/session.ts': [
    'test/reliability/decisions.test.ts',
    'test/reliability/duplicate-keys.test.ts',
    'test/reliability/frame-integrity.test.ts',
  ],
  'src/proxy/jsonrpc.ts': [
    'test/jsonrpc.test.ts',
    'test/reliability/decisions.test.ts',
    'test/reliability/duplicate-keys.test.ts',
    'test/reliability/frame-integrity.test.ts',
  ],
  'src/scan/chain.ts': ['test/chain.test.ts', 'test/scanners.test.ts', 'test/reliability/decisions.test.ts'],
  // The pack tests (test/*-rules.test.ts) also run the matcher and normaliser, over every rule and
  // evasion; a mutant in module-level code reruns the whole set, which took hours on 2 shared cores.
  'src/scan/matcher.ts': ['test/matcher.test.ts', 'test/matcher-sets.test.ts', 'test/scanners.test.ts'],
  'src/scan/normalize.ts': ['test/normalize.test.ts', 'test/matcher.test.ts', 'test/reliability/scan-robustness.test.ts'],
};

const targets = (process.env['MCP_GUARD_MUTATE'] ?? '').split(',').filter((f) => f in TESTS_FOR);
const include = [...new Set((targets.length > 0 ? targets : Object.keys(TESTS_FOR)).flatMap((f) => TESTS_FOR[f] ?? []))];

export default defineConfig({
  test: {
    include,
    globalSetup: ['test/mutate-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
