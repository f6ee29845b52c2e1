#!/usr/bin/env node
// Part of `npm run build`: validate rules/*.yaml (schema and RE2) and write the
// prevalidated packs to dist/rules.json, so the proxy starts without parsing YAML.
import { writeFileSync } from 'node:fs';
import { builtRulesPath, loadRulePacks, serializeRules } from '../dist/scan/rule-pack.js';

try {
  const rules = loadRulePacks();
  writeFileSync(builtRulesPath(), serializeRules(rules));
  process.stderr.write(`rules: ${rules.length} rules → ${builtRulesPath()}\n`);
  // The policy engine's session rules (rules/policy/session.yaml), prevalidated the same way.
  const { buildSessionRules, builtSessionRulesPath } = await import('../dist/policy/session-rules.js');
  process.stderr.write(`rules: ${buildSessionRules()} session rules → ${builtSessionRulesPath()}\n`);
} catch (err) {
  process.stderr.write(`rules: ${err.message}\n${(err.problems ?? []).map((p) => `  ${p}\n`).join('')}`);
  process.exitCode = 2;
}
