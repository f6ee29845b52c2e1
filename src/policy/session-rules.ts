/**
 * Session behaviour rules: patterns over the sequence of `tools/call`s in one
 * session (an exfiltration chain, write then execute, a burst of shell calls).
 * The rules are data (rules/policy/session.yaml plus `guard_policy.session_rules`);
 * the history they look at is bounded.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GuardError } from '../errors.js';
import type * as Zod from 'zod';
import type * as Yaml from 'yaml';
import { policySchema, sessionRule, type SessionEvent, type SessionRule } from './config.js';

const require = createRequire(import.meta.url);

/** Calls remembered per session; rules look back at most this far (`within` is capped at 256). */
export const MAX_HISTORY = 256;
/** Paths remembered per call. */
const MAX_PATHS = 16;

/** What one call was, for the rules. */
export interface CallEvents {
  readonly events: ReadonlySet<SessionEvent>;
  /** Normalised paths the call wrote or executed (same-path rule). */
  readonly paths: readonly string[];
}

interface Entry extends CallEvents {
  readonly index: number;
  readonly at: number;
}

/** The built-in rules file. */
export function defaultRulesPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'rules', 'policy', 'session.yaml');
}

/** The prevalidated copy `npm run build` writes (dist/policy/session-rules.json), so the proxy starts without YAML and zod. */
export function builtSessionRulesPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), 'session-rules.json');
}

/** Write {@link builtSessionRulesPath} from the YAML (the build calls this). @throws GuardError as {@link parseSessionRules} */
export function buildSessionRules(path = defaultRulesPath(), out = builtSessionRulesPath()): number {
  const rules = parseSessionRules(path);
  writeFileSync(out, JSON.stringify({ mtimeMs: statSync(path).mtimeMs, rules }));
  return rules.length;
}

/**
 * The built-in rules: from the build's JSON copy when it is current (the YAML not modified since),
 * else parsed from rules/policy/session.yaml.
 * @throws GuardError `RULES_INVALID` naming the file when it is missing or does not validate
 */
export function loadDefaultSessionRules(path = defaultRulesPath()): SessionRule[] {
  const built = builtSessionRulesPath();
  if (path === defaultRulesPath() && existsSync(built)) {
    try {
      const copy = JSON.parse(readFileSync(built, 'utf8')) as { mtimeMs: number; rules: SessionRule[] };
      if (copy.mtimeMs === statSync(path).mtimeMs && Array.isArray(copy.rules)) return copy.rules;
    } catch {
      // A damaged or stale build artefact: read the YAML below.
    }
  }
  return parseSessionRules(path);
}

/**
 * Parse and validate a session rules file with the config's own rule schema.
 * @throws GuardError `RULES_INVALID` naming the file when it is missing or does not validate
 */
export function parseSessionRules(path: string): SessionRule[] {
  try {
    const yaml = require('yaml') as typeof Yaml;
    const z = require('zod') as typeof Zod;
    const schema = z.strictObject({ rules: z.array(policySchema(z).shape.session_rules.unwrap().shape.rules.unwrap().element) });
    const parsed = schema.safeParse(yaml.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return parsed.data.rules.map(sessionRule);
  } catch (err) {
    throw new GuardError('RULES_INVALID', `session rules ${path}: ${(err as Error).message}`);
  }
}

/** A rule that fired on the current call. */
export interface SessionHit {
  readonly rule: SessionRule;
  readonly reason: string;
}

/** One session's call history and the rules over it. */
export class SessionRules {
  readonly #rules: readonly SessionRule[];
  readonly #history: Entry[] = [];
  #index = 0;

  /** @param rules built-in and configured rules; a configured rule replaces a built-in one of the same name */
  constructor(builtin: readonly SessionRule[], configured: readonly SessionRule[]) {
    const names = new Set(configured.map((r) => r.name));
    this.#rules = [...builtin.filter((r) => !names.has(r.name)), ...configured].filter((r) => r.action !== 'off');
  }

  /** Rules that fire if the next call is `call` (nothing is recorded). */
  check(call: CallEvents, now: number): SessionHit[] {
    const hits: SessionHit[] = [];
    const next = this.#index + 1;
    for (const rule of this.#rules) {
      if (rule.kind === 'burst') {
        if (rule.event === undefined || !call.events.has(rule.event) || rule.count === undefined) continue;
        const since = now - (rule.windowSeconds ?? 60) * 1000;
        const n = 1 + this.#history.filter((e) => e.at >= since && e.events.has(rule.event as SessionEvent)).length;
        if (n >= rule.count) hits.push({ rule, reason: `${n} ${rule.event} calls within ${rule.windowSeconds ?? 60} s (limit ${rule.count})` });
        continue;
      }
      if (rule.first === undefined || rule.then === undefined || !call.events.has(rule.then)) continue;
      const earlier = this.#history.find(
        (e) =>
          next - e.index <= rule.within &&
          e.events.has(rule.first as SessionEvent) &&
          (rule.kind === 'sequence' || e.paths.some((p) => call.paths.includes(p))),
      );
      if (earlier) {
        const ago = next - earlier.index;
        hits.push({ rule, reason: `${rule.then} ${ago} call${ago === 1 ? '' : 's'} after ${rule.first}${rule.kind === 'same-path' ? ' of the same path' : ''}` });
      }
    }
    return hits;
  }

  /**
   * Record a call that was forwarded.
   * @returns the call's index in the session (for {@link taint})
   */
  record(call: CallEvents, now: number): number {
    this.#index++;
    this.#history.push({ events: new Set(call.events), paths: call.paths.slice(0, MAX_PATHS), index: this.#index, at: now });
    if (this.#history.length > MAX_HISTORY) this.#history.shift();
    return this.#index;
  }

  /** Mark call `index` as a sensitive read (its answer carried a credential); a no-op once it left the history. */
  taint(index: number): void {
    const entry = this.#history.find((e) => e.index === index);
    if (entry) (entry.events as Set<SessionEvent>).add('sensitive-read');
  }
}
