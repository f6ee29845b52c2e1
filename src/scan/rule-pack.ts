/**
 * Rule packs: YAML data in `rules/*.yaml`, compiled with RE2 at load time.
 *
 * File shape (see `rules/README.md`):
 * ```yaml
 * rules:
 *   - id: github-classic-pat          # unique across all packs
 *     category: dlp                   # dlp | injection | tool-poisoning
 *     severity: critical              # low | medium | high | critical
 *     description: GitHub personal access token (classic)
 *     regex: '\bghp_[A-Za-z0-9]{36}\b'  # RE2 syntax; a named group `secret` narrows the span
 *     keywords: [ghp_]                # literal hints, documentation and prefilter
 *     validator: github-crc32         # optional, see validators.ts
 *     variants: [raw]                 # optional, which text variants to scan (normalize.ts)
 *     examples:
 *       match: ['ghp_…']
 *       no_match: ['ghp_short']
 * ```
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import RE2 from 're2';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GuardError } from '../errors.js';
import { VALIDATOR_NAMES, type ValidatorName } from './validators.js';
import { VARIANT_NAMES, type VariantName } from './normalize.js';

/** Rule categories a pack may hold. */
export const RULE_CATEGORIES = ['dlp', 'injection', 'tool-poisoning'] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are lower-case kebab-case'),
  category: z.enum(RULE_CATEGORIES),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  description: z.string().min(1),
  regex: z.string().min(1),
  keywords: z.array(z.string().min(1)).optional(),
  validator: z.enum(VALIDATOR_NAMES).optional(),
  variants: z.array(z.enum(VARIANT_NAMES)).min(1).optional(),
  /** Source of the format: provider docs URL or spec section. */
  source: z.string().optional(),
  examples: z.strictObject({
    match: z.array(z.string()).min(1, 'every rule needs at least one match example'),
    no_match: z.array(z.string()).min(1, 'every rule needs at least one no_match example'),
  }),
});

const packSchema = z.strictObject({ rules: z.array(ruleSchema) });

/** A rule as written in YAML. */
export type RuleSpec = z.infer<typeof ruleSchema>;

/** A rule compiled for matching. */
export interface CompiledRule {
  readonly id: string;
  readonly category: RuleCategory;
  readonly severity: RuleSpec['severity'];
  readonly description: string;
  readonly source: string;
  readonly validator: ValidatorName | undefined;
  readonly variants: readonly VariantName[];
  /** Global RE2 used to enumerate matches. */
  readonly re: RE2;
  readonly spec: RuleSpec;
}

/** Directory of the built-in rule packs (`<package>/rules`). */
export function builtinRulesDir(): string {
  // dist/scan/rule-pack.js and src/scan/rule-pack.ts are both two levels below the package root.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'rules');
}

/**
 * Compile one regex with RE2.
 * @throws GuardError `RULES_INVALID` naming `ruleId` when RE2 rejects the pattern
 */
export function compileRegex(ruleId: string, source: string, flags = 'gu'): RE2 {
  try {
    return new RE2(source, flags);
  } catch (err) {
    throw new GuardError('RULES_INVALID', `rule ${ruleId}: RE2 rejects its regex: ${(err as Error).message}`);
  }
}

/**
 * Default variants by category: DLP scans raw text (the decoders add encoded
 * forms); injection and poisoning scan the normalised text.
 */
function defaultVariants(category: RuleCategory): VariantName[] {
  return category === 'dlp' ? ['raw'] : ['normalized'];
}

/** Compile a validated rule spec. @throws GuardError `RULES_INVALID` */
export function compileRule(spec: RuleSpec, origin: string): CompiledRule {
  return {
    id: spec.id,
    category: spec.category,
    severity: spec.severity,
    description: spec.description,
    source: spec.source ?? origin,
    validator: spec.validator,
    variants: spec.variants ?? defaultVariants(spec.category),
    re: compileRegex(spec.id, spec.regex),
    spec,
  };
}

/**
 * Load and compile every `*.yaml` file in `dir`.
 * @returns compiled rules in file-name order, then file order
 * @throws GuardError `RULES_INVALID` listing every problem (file, rule id, message);
 *   duplicate ids across files are an error
 */
export function loadRulePacks(dir: string = builtinRulesDir()): CompiledRule[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (err) {
    throw new GuardError('RULES_INVALID', `cannot read rules directory ${dir}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const rules: CompiledRule[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const path = join(dir, file);
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(path, 'utf8'));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const parsed = packSchema.safeParse(doc);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${file}: ${issue.path.join('.')}: ${issue.message}`);
      }
      continue;
    }
    for (const spec of parsed.data.rules) {
      const prior = seen.get(spec.id);
      if (prior !== undefined) {
        problems.push(`${file}: rule ${spec.id}: duplicate id (also in ${prior})`);
        continue;
      }
      seen.set(spec.id, file);
      try {
        rules.push(compileRule(spec, `rules/${file}`));
      } catch (err) {
        problems.push(`${file}: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new GuardError('RULES_INVALID', `rule packs in ${dir} are invalid`, problems);
  }
  return rules;
}
