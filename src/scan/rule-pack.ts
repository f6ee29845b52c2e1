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
 *     prefilter: '…'                  # optional, keyword-less rules: cheap regex for the prefilter set
 *     validator: github-crc32         # optional, see validators.ts
 *     variants: [raw]                 # optional, which text variants to scan (normalize.ts)
 *     end: '-----END[ A-Z]{0,30}PRIVATE KEY-----'  # optional, multi-line secrets: see CompiledRule.end
 *     examples:
 *       match: ['ghp_…']
 *       no_match: ['ghp_short']
 * ```
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import RE2 from 're2';
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { GuardError } from '../errors.js';
import { VALIDATOR_NAMES, type ValidatorName } from './validators.js';
import { VARIANT_NAMES, type VariantName } from './normalize.js';

/**
 * Evasions the DLP transform matrix applies to every match example of every DLP
 * rule (test/dlp-transform-matrix.test.ts); a rule's `matrix_exempt` names some
 * of them with a reason.
 */
export const MATRIX_TRANSFORMS = [
  'zero-width-1',
  'zero-width-mid',
  'zero-width-every-4',
  'soft-hyphen',
  'cyrillic',
  'greek',
  'fullwidth',
  'base64',
  'base64url',
  'hex',
  'url',
  'double-url',
  'unicode-escape',
  'html-entities',
  'split-arguments',
  'split-array',
  'object-key',
  'json-in-string',
] as const;
export type MatrixTransform = (typeof MATRIX_TRANSFORMS)[number];

/** Rule categories a pack may hold. */
export const RULE_CATEGORIES = ['dlp', 'injection', 'tool-poisoning'] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

// yaml and zod are loaded on first use: the proxy's hot start path reads the
// prebuilt dist/rules.json instead (see loadBuiltinRules) and needs neither.
const require = createRequire(import.meta.url);

function buildSchemas(z: typeof Zod) {
    const ruleSchema = z.strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are lower-case kebab-case'),
    category: z.enum(RULE_CATEGORIES),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    description: z.string().min(1),
    regex: z.string().min(1),
    keywords: z.array(z.string().min(1)).optional(),
    /**
     * For a rule without keywords: a cheaper RE2 regex that matches wherever
     * `regex` does, run in the shared prefilter set instead of `regex` (a large
     * regex there slows every scan); `regex` then runs only where it fires.
     */
    prefilter: z.string().min(1).optional(),
    /**
     * DLP only: false keeps the rule out of response scanning (server → client),
     * for data that is the user's own when a tool returns it (as for cards and IBANs).
     * @default true for high and critical rules
     */
    in_responses: z.boolean().optional(),
    /**
     * Injection only: false keeps the rule out of tool-definition scanning
     * (tools/list), for phrasing that is an injection in data but ordinary in a
     * tool's description, which is written for the model ("in your response, cite
     * the source", "summarise the following text").
     * @default true
     */
    in_tools: z.boolean().optional(),
    validator: z.enum(VALIDATOR_NAMES).optional(),
    variants: z.array(z.enum(VARIANT_NAMES)).min(1).optional(),
    /** RE2 regex of the line that closes a multi-line secret (PEM END line, PuTTY Private-MAC); see CompiledRule.end. */
    end: z.string().min(1).optional(),
    /** Source of the format: provider docs URL or spec section. */
    source: z.string().optional(),
    /**
     * Evasions of the DLP transform matrix (test/dlp-transform-matrix.test.ts)
     * this rule cannot be held to, each with the written reason why.
     */
    matrix_exempt: z.partialRecord(z.enum(MATRIX_TRANSFORMS), z.string().min(20, 'give the reason in a sentence')).optional(),
    examples: z.strictObject({
      match: z.array(z.string()).min(1, 'every rule needs at least one match example'),
      no_match: z.array(z.string()).min(1, 'every rule needs at least one no_match example'),
    }),
  });
  return { ruleSchema, packSchema: z.strictObject({ rules: z.array(ruleSchema) }) };
}

let schemas: ReturnType<typeof buildSchemas> | undefined;
function packSchema(): ReturnType<typeof buildSchemas>['packSchema'] {
  schemas ??= buildSchemas(require('zod') as typeof Zod);
  return schemas.packSchema;
}

/** A rule as written in YAML. */
export type RuleSpec = Zod.infer<ReturnType<typeof buildSchemas>['ruleSchema']>;

/** A rule compiled for matching. */
export interface CompiledRule {
  readonly id: string;
  readonly category: RuleCategory;
  readonly severity: RuleSpec['severity'];
  readonly description: string;
  readonly source: string;
  readonly validator: ValidatorName | undefined;
  readonly variants: readonly VariantName[];
  /** Global RE2 used to enumerate matches (compiled on first use for prevalidated rules). */
  readonly re: RE2;
  /**
   * For a multi-line secret (a private key block): the RE2 of its closing line.
   * A match of `re` is the opening (BEGIN line and the first line of key
   * material); the matcher extends it to the end of the closing line across key
   * body characters, so redaction covers the block whole, or reports it `open`
   * when no closing line follows (see matcher.ts, `MAX_BLOCK_CHARS`).
   * Undefined for single-token rules.
   */
  readonly end: RE2 | undefined;
  readonly spec: RuleSpec;
}

/** Path of the prebuilt, prevalidated rule packs written by `npm run build`. */
export function builtRulesPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'rules.json');
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
 * Default variants by category: DLP scans raw text, for exact spans, and the
 * normalised text (invisibles, soft hyphens, bidi and tag characters removed,
 * NFKC, confusables folded), which the matcher only scans when it differs from
 * the raw text (the decoders add encoded forms); injection and poisoning scan
 * the normalised text.
 */
function defaultVariants(category: RuleCategory): VariantName[] {
  return category === 'dlp' ? ['raw', 'normalized'] : ['normalized'];
}

/**
 * Compile a validated rule spec.
 * @param lazy compile the regex on first use (for rules already validated at build time)
 * @throws GuardError `RULES_INVALID` when RE2 rejects the regex (when not lazy)
 */
export function compileRule(spec: RuleSpec, origin: string, lazy = false): CompiledRule {
  let re: RE2 | undefined = lazy ? undefined : compileRegex(spec.id, spec.regex);
  if (!lazy && spec.prefilter !== undefined) compileRegex(spec.id, spec.prefilter);
  let end: RE2 | undefined = lazy || spec.end === undefined ? undefined : compileRegex(spec.id, spec.end, 'u');
  return {
    id: spec.id,
    category: spec.category,
    severity: spec.severity,
    description: spec.description,
    source: spec.source ?? origin,
    validator: spec.validator,
    variants: spec.variants ?? defaultVariants(spec.category),
    get re(): RE2 {
      return (re ??= compileRegex(spec.id, spec.regex));
    },
    get end(): RE2 | undefined {
      return spec.end === undefined ? undefined : (end ??= compileRegex(spec.id, spec.end, 'u'));
    },
    spec,
  };
}

/** Shape of dist/rules.json. */
interface BuiltRules {
  readonly files: Record<string, number>;
  readonly rules: ReadonlyArray<{ spec: RuleSpec; origin: string }>;
}

/** Serialise validated rules for dist/rules.json, with the packs' mtimes (ms). */
export function serializeRules(rules: readonly CompiledRule[], dir: string = builtinRulesDir()): string {
  const files = Object.fromEntries(yamlFiles(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));
  const built: BuiltRules = { files, rules: rules.map((r) => ({ spec: r.spec, origin: r.source })) };
  return JSON.stringify(built);
}

/**
 * The built-in rule packs: from dist/rules.json when it is current (same pack
 * files, none modified since the build), else parsed from rules/*.yaml.
 * @throws GuardError `RULES_INVALID` as {@link loadRulePacks}, and when a category has no rules at all
 */
export function loadBuiltinRules(): CompiledRule[] {
  const rules = readBuiltinRules();
  const missing = RULE_CATEGORIES.filter((c) => !rules.some((r) => r.category === c));
  if (missing.length > 0) {
    // Fail closed: a missing pack must not become a proxy that silently blocks nothing.
    throw new GuardError('RULES_INVALID', `built-in rule packs in ${builtinRulesDir()} are incomplete`, missing.map((c) => `no ${c} rules`));
  }
  return rules;
}

function readBuiltinRules(): CompiledRule[] {
  const dir = builtinRulesDir();
  const path = builtRulesPath();
  if (existsSync(path)) {
    try {
      const built = JSON.parse(readFileSync(path, 'utf8')) as BuiltRules;
      const files = yamlFiles(dir);
      const current =
        files.length === Object.keys(built.files).length && files.every((f) => built.files[f] === statSync(join(dir, f)).mtimeMs);
      if (current) return built.rules.map((r) => compileRule(r.spec, r.origin, true));
    } catch {
      // A damaged build artefact: fall back to the YAML sources below.
    }
  }
  return loadRulePacks(dir);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
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
    files = yamlFiles(dir);
  } catch (err) {
    throw new GuardError('RULES_INVALID', `cannot read rules directory ${dir}: ${(err as Error).message}`);
  }
  const { parse: parseYaml } = require('yaml') as typeof Yaml;
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
    const parsed = packSchema().safeParse(doc);
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
