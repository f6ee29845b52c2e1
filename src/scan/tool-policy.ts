/**
 * Pipelock-compatible `mcp_tool_policy`: per-tool argument rules. A rule fires
 * on a `tools/call` whose tool name matches `tool_pattern` and, when given, an
 * argument value (under a key matching `arg_key`) matching `arg_pattern`.
 */
import type RE2 from 're2';
import type { ToolPolicyRule } from '../config/normalize.js';
import { collectStrings } from './json-walk.js';
import { compileRegex } from './rule-pack.js';
import type { Action, Finding, ScanInput } from './types.js';

interface CompiledPolicy {
  readonly name: string;
  readonly tool: RE2;
  readonly arg: RE2 | undefined;
  readonly key: RE2 | undefined;
  readonly action: Action;
}

/** RE2 stops reading a JS string at a lone surrogate on some Node versions; replace them first. */
function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Compiled tool policy. @throws GuardError `RULES_INVALID` naming the rule on a bad regex */
export class ToolPolicy {
  readonly #rules: CompiledPolicy[];
  /** Action per rule name, for the chain's decision. */
  readonly actions = new Map<string, Action>();

  constructor(rules: readonly ToolPolicyRule[]) {
    this.#rules = rules.map((r) => ({
      name: r.name,
      tool: compileRegex(r.name, r.toolPattern, 'u'),
      arg: r.argPattern !== undefined ? compileRegex(r.name, r.argPattern, 'u') : undefined,
      key: r.argKey !== undefined ? compileRegex(r.name, r.argKey, 'u') : undefined,
      action: r.action,
    }));
    for (const r of this.#rules) this.actions.set(r.name, r.action);
  }

  scan(input: ScanInput): Finding[] {
    const { message } = input;
    if (input.direction !== 'client-to-server' || message.method !== 'tools/call') return [];
    const params = message.params;
    if (params === null || typeof params !== 'object' || Array.isArray(params)) return [];
    const tool = params['name'];
    if (typeof tool !== 'string') return [];
    const findings: Finding[] = [];
    for (const rule of this.#rules) {
      if (!rule.tool.test(wellFormed(tool))) continue;
      if (rule.arg === undefined) {
        findings.push({ rule: rule.name, category: 'policy', severity: 'high', path: 'params.name' });
        continue;
      }
      for (const leaf of collectStrings(params['arguments'] ?? {}, 'params.arguments')) {
        if (leaf.isKey) continue;
        const key = leaf.path.split(/[.[]/).pop()?.replace(/[\]"]/g, '') ?? '';
        if (rule.key !== undefined && !rule.key.test(wellFormed(key))) continue;
        if (rule.arg.test(wellFormed(leaf.value))) {
          findings.push({ rule: rule.name, category: 'policy', severity: 'high', path: leaf.path });
          break;
        }
      }
    }
    return findings;
  }
}
