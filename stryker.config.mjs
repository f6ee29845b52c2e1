// @ts-check
/* global process */
/**
 * Mutation testing of the decision core: `npm run mutate` (not in CI: tens of
 * minutes per file on 2 cores). One file at a time: `npm run mutate -- --mutate src/proxy/jsonrpc.ts`.
 * Incremental: results are kept in reports/stryker-incremental-<file>.json, so a rerun
 * only tests mutants whose code or covering tests changed. Scores and the
 * equivalent mutants are in docs/mutation.md.
 */

const FILES = ['src/proxy/session.ts', 'src/proxy/jsonrpc.ts', 'src/scan/chain.ts', 'src/scan/matcher.ts', 'src/scan/normalize.ts'];

// `--mutate a.ts,b.ts` (or `-m`): tell vitest.mutate.config.ts which tests to load (the test runners inherit the environment).
const at = process.argv.findIndex((a) => a === '--mutate' || a === '-m');
const chosen = at >= 0 ? (process.argv[at + 1] ?? '') : FILES.join(',');
process.env['MCP_GUARD_MUTATE'] = chosen;
/** One incremental file and report per selection, so a run of one file never discards another's results. */
const name = chosen === FILES.join(',') ? 'all' : chosen.replace(/^src\//, '').replace(/\.ts\b/g, '').replace(/[^\w.-]+/g, '-');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: FILES,
  coverageAnalysis: 'perTest',
  // The machine is shared: one test runner at a time.
  concurrency: 1,
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${name}.json`,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', '.tmp', 'bench', 'reports'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 80, low: 60, break: null },
  timeoutMS: 30_000,
};
