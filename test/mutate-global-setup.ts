/**
 * vitest globalSetup for `npm run mutate` only (vitest.mutate.config.ts). In
 * Stryker's sandbox (a copy under .stryker-tmp, so the build's dist/rules.json
 * is not there or not current), write the prebuilt rule file next to the
 * sources, so each test file's `loadBuiltinRules()` reads JSON instead of
 * parsing and validating every YAML pack again: seconds per test file per mutant.
 * Outside a sandbox it does nothing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { sep } from 'node:path';
import { builtRulesPath, loadRulePacks, serializeRules } from '../src/scan/rule-pack.js';

export default function setup(): void {
  if (!process.cwd().includes(`${sep}.stryker-tmp${sep}`)) return;
  const path = builtRulesPath();
  if (!existsSync(path)) writeFileSync(path, serializeRules(loadRulePacks()));
}
