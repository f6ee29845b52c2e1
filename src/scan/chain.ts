/**
 * The synchronous scanner chain and the policy that turns findings into a
 * verdict. Order: the policy engine (src/policy, `guard_policy`), argument DLP,
 * tool policy, response injection, tool poisoning, drift. Findings then pass small pure steps: suppress, dedupe, sort.
 */
import { homedir } from 'node:os';
import type { GuardConfig, UserPattern } from '../config/normalize.js';
import { compileRule, loadBuiltinRules, type CompiledRule, type RuleSpec } from './rule-pack.js';
import { RuleMatcher } from './matcher.js';
import { DlpScanner } from './dlp-scanner.js';
import { EnvSecrets } from './env-secrets.js';
import { ResponseScanner } from './response-scanner.js';
import { PoisoningScanner } from './poisoning-scanner.js';
import { DriftScanner } from './drift.js';
import { ToolPolicy } from './tool-policy.js';
import { PIN_RULES, PinScanner } from './pin-scanner.js';
import type { PinStore } from '../pins/store.js';
import { maskSecret } from './mask.js';
import { ScanLimitError, beginFrame, endFrame } from './budget.js';
import { FastPath } from './fast-path.js';
import type { Action, Category, Direction, Finding, ScanInput, Scanner } from './types.js';
import type { ValidatorName } from './validators.js';
import { loadModels, type Models } from './model/loader.js';
import { ModelCheck } from './model/check.js';
import { PolicyEngine } from '../policy/engine.js';

/** What happens to one frame. */
export interface Verdict {
  /**
   * `allow`: forward unchanged. `warn`: forward unchanged, log findings.
   * `block`: do not forward; answer or drop. `filter`: forward a `tools/list`
   * result with the tools in `removeTools` taken out. `redact`: forward the
   * frame with the spans of `redactions` replaced (see redact.ts).
   * `ask`: a person decides on the findings in `asks` (src/proxy/ask.ts); the
   * frame's final verdict comes from {@link ScanChain.settle}. An `ask` verdict
   * is never returned when the frame is blocked whatever the answer.
   */
  readonly action: 'allow' | 'warn' | 'block' | 'filter' | 'redact' | 'ask';
  readonly findings: readonly Finding[];
  /** For `filter`: indices into `result.tools` to remove. */
  readonly removeTools: readonly number[];
  /**
   * For `filter`: paths of the parts to take out of the result, e.g.
   * `result.tools[3]`, `result.prompts[0]`, `result.resources[1]`, `result.instructions` (includes the tools above).
   */
  readonly remove?: readonly string[];
  /** For `ask`: the findings whose configured action is `ask` (a subset of `findings`). */
  readonly asks?: readonly Finding[];
  /** For `redact`: findings whose `span` is to be replaced. */
  readonly redactions?: readonly Finding[];
  /**
   * Names in the frame that are secrets themselves (a credential used as the
   * tool name, the method, the id or an argument key). Finding paths already
   * have them masked; whoever echoes the tool name, method or id must mask them
   * too (`maskAll`). Absent when there are none.
   */
  readonly secretNames?: readonly string[];
}

/** Rules and options a chain is built from. */
export interface ChainOptions {
  readonly config: GuardConfig;
  /** Built-in rules; defaults to `loadBuiltinRules()`. */
  readonly rules?: readonly CompiledRule[];
  /** Environment for the env-secret check; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Session binding is strict: a `tools/call` before any `tools/list` result was
   * seen is a finding (`call-before-list`), since the tool's definition was never
   * scanned in this session. On for the proxy and replays; off for evaluating single frames.
   * @default false
   */
  readonly requireList?: boolean;
  /**
   * Skip the content scanners for frames no rule can match (fast-path.ts).
   * @default true
   */
  readonly fastPath?: boolean;
  /**
   * Learned scorers; defaults to `loadModels()` (rules/models/*.json). `null`: rules only.
   * @throws GuardError `RULES_INVALID` (from the default) when a model file is bad
   */
  readonly models?: Models | null;
  /** Server identity (`proxy --name` or derived), for the per-server parts of `guard_policy`. */
  readonly server?: string | undefined;
  /** The server's working directory, for relative path arguments (`guard_policy.paths`). @default process.cwd() */
  readonly cwd?: string;
  /**
   * Secrets from the store that the proxy gives the server (variable name → value):
   * DLP looks for them in both directions, whatever `dlp.scan_env` says (the
   * agent must not send them anywhere, the server must not hand them back).
   * @default {}
   */
  readonly storedSecrets?: Readonly<Record<string, string>>;
  /** Persistent pins (the live proxy); absent for replays and evaluation. */
  readonly pins?: { readonly store: PinStore; readonly server: string; readonly log?: (msg: string) => void };
}

function userRule(p: UserPattern, category: 'dlp' | 'injection'): CompiledRule {
  // Pipelock matches its patterns case-insensitively.
  const spec: RuleSpec = {
    id: p.name,
    category,
    severity: p.severity,
    description: p.name,
    regex: `(?i)${p.regex}`,
    examples: { match: [''], no_match: [''] },
    ...(p.validator !== undefined ? { validator: p.validator as ValidatorName } : {}),
  };
  return compileRule(spec, 'config');
}

/** Categories whose findings come from rules with a severity of their own (packs and user patterns). */
const RULE_CATEGORIES: ReadonlySet<Category> = new Set(['dlp', 'injection', 'tool-poisoning']);

/** Session-binding rules (see `ScanChain.#binding`): an `ask` for them blocks. */
const BLIND_RULES: ReadonlySet<string> = new Set(['hidden-tool', 'unlisted-tool']);

/** Parts of a result that can be taken out instead of failing the whole response. */
const FILTERABLE = /^result\.(?:(?:tools|prompts|resources|resourceTemplates)\[\d+\]|instructions)/;

/** Simple glob: `*` matches any run of characters. */
export function globMatch(glob: string, text: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

/**
 * The chain for one proxy session (it holds drift state).
 * @throws GuardError `RULES_INVALID` when a rule pack or user pattern cannot be compiled
 */
export class ScanChain {
  readonly #config: GuardConfig;
  readonly #scanners: Scanner[] = [];
  readonly #policy: ToolPolicy | undefined;
  /** guard_policy (src/policy): tool access, typed arguments, rate limits, session rules. Runs first. */
  readonly #engine: PolicyEngine | undefined;
  readonly #dlp: DlpScanner | undefined;
  readonly #envSecrets: EnvSecrets | undefined;
  readonly #pinStore: ChainOptions['pins'];
  readonly #fast: FastPath | undefined;
  /** Session binding: tools shown to the client, and tools hidden from it. */
  readonly #shown = new Set<string>();
  readonly #hidden = new Set<string>();
  #listed = false;
  readonly #requireList: boolean;
  /** Count of compiled rules (built-in and user), for logs and `assess`. */
  readonly ruleCount: number;

  constructor(options: ChainOptions) {
    const { config } = options;
    this.#config = config;
    this.#requireList = (options.requireList ?? false) && config.poisoning.requireList;
    const builtin = options.rules ?? loadBuiltinRules();
    const dlp = [
      ...(config.dlp.includeDefaults ? builtin.filter((r) => r.category === 'dlp') : []),
      ...config.dlp.patterns.map((p) => userRule(p, 'dlp')),
    ];
    const injection = [
      ...(config.injection.includeDefaults ? builtin.filter((r) => r.category === 'injection') : []),
      ...config.injection.patterns.map((p) => userRule(p, 'injection')),
    ];
    const poisoning = builtin.filter((r) => r.category === 'tool-poisoning');
    this.ruleCount = dlp.length + injection.length + poisoning.length;
    const stored = config.dlp.enabled ? (options.storedSecrets ?? {}) : {};
    const hasStored = Object.keys(stored).length > 0;
    if (config.dlp.scanEnv || hasStored) this.#envSecrets = new EnvSecrets(options.env ?? process.env, stored, config.dlp.scanEnv);
    if (config.dlp.enabled && dlp.length > 0) {
      this.#dlp = new DlpScanner(new RuleMatcher(dlp), this.#envSecrets ? { envSecrets: this.#envSecrets } : {});
      this.#scanners.push(this.#dlp);
    }
    if (config.toolPolicy.enabled && config.toolPolicy.rules.length > 0) this.#policy = new ToolPolicy(config.toolPolicy.rules);
    if (config.policy.enabled) {
      const env = options.env ?? process.env;
      this.#engine = new PolicyEngine(config.policy, { server: options.server, home: env['HOME'] || env['USERPROFILE'] || homedir(), cwd: options.cwd ?? process.cwd() });
    }
    // Responses: injection and credentials in one pass. Only high and critical DLP rules count there:
    // personal data such as IBANs or card numbers in a tool's answer is the user's own, not a leak;
    // so is a wallet's seed phrase (`in_responses: false`).
    const responseRules = [
      ...(config.injection.enabled ? injection : []),
      ...(config.dlp.enabled ? dlp.filter((r) => (r.severity === 'high' || r.severity === 'critical') && r.spec.in_responses !== false) : []),
    ];
    const models = options.models === undefined ? loadModels() : options.models;
    const injectionModel = models && config.injection.enabled ? new ModelCheck(models.injection, config.injection.model) : undefined;
    if (responseRules.length > 0 || injectionModel || hasStored) this.#scanners.push(new ResponseScanner(new RuleMatcher(responseRules), injectionModel, hasStored ? this.#envSecrets : undefined));
    const poisoningModel = models ? new ModelCheck(models['tool-poisoning'], config.poisoning.model) : undefined;
    // Injection rules marked `in_tools: false` are ordinary phrasing in a description written for the model.
    if (config.poisoning.enabled) this.#scanners.push(new PoisoningScanner(new RuleMatcher([...poisoning, ...injection.filter((r) => r.spec.in_tools !== false)]), poisoningModel));
    if (options.fastPath !== false) {
      const request = this.#dlp ? dlp : [];
      // A cleared response still goes to the injection scorer (ResponseScanner.scanCleared); with stored
      // secrets (checked in responses too, in every encoding) no response skips the full path.
      this.#fast = new FastPath({ request, response: responseRules, envForms: this.#envSecrets?.values() ?? [], responses: !hasStored });
    }
    if (config.drift.enabled) this.#scanners.push(new DriftScanner());
    if (config.pins.enabled && options.pins) this.#scanners.push(new PinScanner(options.pins.store, options.pins.server, options.pins.log));
    this.#pinStore = config.pins.enabled ? options.pins : undefined;
  }

  /**
   * Compile every scanner's regex sets now rather than on the first frame
   * (the proxy calls this right after spawning the server, while it boots).
   */
  warmUp(): void {
    for (const s of this.#scanners) s.warmUp?.();
    this.#fast?.warmUp();
    this.#engine?.warmUp();
  }

  /** True while a `tools/call` would be refused as `call-before-list` (strict binding, no list seen yet). */
  get needsList(): boolean {
    return this.#requireList && !this.#listed;
  }

  /** Secret values harvested from the environment, for masking free-form log text. */
  secretValues(): string[] {
    return this.#envSecrets?.values() ?? [];
  }

  /**
   * Run every scanner on one frame and decide, within the frame's work budget
   * (budget.ts): a frame that reaches a scan limit gets a `scan-limit-*` finding
   * and is blocked, or warned about when `limits.on_scan_limit` is `warn`, so a
   * hostile frame never buys itself a weaker scan. Other scanner exceptions
   * propagate (the relay fails closed).
   */
  evaluate(input: ScanInput): Verdict {
    beginFrame(this.#config.normalizeChars);
    try {
      return this.#evaluate(input);
    } catch (err) {
      if (!(err instanceof ScanLimitError)) throw err;
      const finding: Finding = { rule: err.rule, category: 'protocol', severity: 'high', path: '' };
      return { action: this.#config.onScanLimit === 'warn' || !this.#config.enforce ? 'warn' : 'block', findings: [finding], removeTools: [] };
    } finally {
      endFrame();
    }
  }

  /** The policy engine, for the relay's `roots/list` to the client (undefined when `guard_policy` is off). */
  get policy(): PolicyEngine | undefined {
    return this.#engine;
  }

  #evaluate(input: ScanInput): Verdict {
    // Policy first (before content scanning): a denied tool needs no session binding finding on top.
    const raw: Finding[] = this.#engine?.scan(input) ?? [];
    const toolDenied = raw.some((f) => f.rule === 'tool-denied');
    // A cleared frame cannot match any rule: only the protocol scanners (drift, pins) run, and the
    // learned scorer on the text the probe read (`scanCleared`).
    const cleared = this.#fast?.clearance(input);
    for (const s of this.#scanners) {
      if (cleared === undefined || s.name === 'drift') raw.push(...s.scan(input));
      else if (s.scanCleared) raw.push(...s.scanCleared(input, cleared));
    }
    if (this.#policy) raw.push(...this.#policy.scan(input));
    const tool = toolOf(input);
    if (tool !== undefined && input.direction === 'client-to-server' && !toolDenied) raw.push(...this.#binding(tool));
    const names = raw.length > 0 ? this.#secretNames(input, raw, tool) : [];
    // Most frames have no finding: skip the passes over none.
    const findings = raw.length === 0 ? raw : sortFindings(dedupe(this.#suppress(names.length > 0 ? raw.map((f) => maskPath(f, names)) : raw, tool)));
    const decided = this.#decide(input, findings);
    const verdict = names.length > 0 ? { ...decided, secretNames: names } : decided;
    // A list that asks is recorded as denied (its asked tools hidden) until settle() says otherwise.
    if (input.context?.method === 'tools/list' && input.direction === 'server-to-client') this.#recordList(input, verdict.action === 'ask' ? this.settle(input, verdict, new Set()) : verdict);
    // guard_policy: a call that is forwarded (or asked about) enters the session history.
    this.#engine?.commit(input, verdict.action, verdict.findings);
    return verdict;
  }

  /**
   * The final verdict of an `ask` verdict once a person (or the lack of one) has
   * answered: each finding of `verdict.asks` in `allowed` acts as `warn`, every
   * other asked finding as `block` (so a denied tool is filtered out of its list,
   * and a denied request is blocked). A `tools/list` result is recorded for
   * session binding with the outcome. A verdict that is not `ask` is returned as is.
   * @param input the frame the verdict was made for
   * @param allowed asked findings the person allowed (by identity, from `verdict.asks`)
   */
  settle(input: ScanInput, verdict: Verdict, allowed: ReadonlySet<Finding>): Verdict {
    if (verdict.action !== 'ask') return verdict;
    const asks = new Set(verdict.asks ?? []);
    const actions = verdict.findings.map((f): Action => (asks.has(f) ? (allowed.has(f) ? 'warn' : 'block') : this.actionFor(f, input.direction)));
    const settled = this.#decideActions(input, verdict.findings, actions);
    const final = verdict.secretNames !== undefined ? { ...settled, secretNames: verdict.secretNames } : settled;
    if (allowed.size > 0 && input.context?.method === 'tools/list' && input.direction === 'server-to-client') this.#recordList(input, final);
    return final;
  }

  /**
   * Names that are credentials themselves: the tool name, the method, a string
   * id, or the last key of a DLP finding's path, when the DLP rules match the
   * name on its own. Runs only for frames that already have findings.
   */
  #secretNames(input: ScanInput, findings: readonly Finding[], tool: string | undefined): string[] {
    if (this.#dlp === undefined || !findings.some((f) => f.category === 'dlp')) return [];
    const candidates = new Set<string>();
    if (tool !== undefined) candidates.add(tool);
    if (typeof input.message.method === 'string') candidates.add(input.message.method);
    if (typeof input.message.id === 'string') candidates.add(input.message.id);
    for (const f of findings) {
      const last = f.category === 'dlp' ? lastKey(f.path) : undefined;
      if (last !== undefined) candidates.add(last);
    }
    const names: string[] = [];
    for (const c of candidates) {
      if (c.length < 8) continue;
      const hits: Finding[] = [];
      this.#dlp.scanText(c, '', hits);
      if (hits.some((h) => h.documented !== true)) names.push(c);
    }
    return names;
  }

  /**
   * Session binding: a `tools/call` for a tool the client was never shown
   * (hidden as poisoned, drifted or new; or absent from the lists seen) is a finding.
   * Before any `tools/list`, a call is refused when `requireList` is set (its
   * definition was never scanned), else only tools pending in the pin store are.
   */
  #binding(tool: string): Finding[] {
    const at = { category: 'drift' as const, severity: 'high' as const, path: 'params.name' };
    if (this.#hidden.has(tool)) return [{ rule: 'hidden-tool', ...at }];
    if (this.#listed && !this.#shown.has(tool)) return [{ rule: 'unlisted-tool', ...at }];
    if (!this.#listed && this.#requireList) return [{ rule: 'call-before-list', ...at, category: 'protocol' }];
    if (!this.#listed && this.#pinStore) {
      const pins = this.#pinStore.store.server(this.#pinStore.server);
      if (pins && Object.hasOwn(pins.pending, tool)) return [{ rule: 'hidden-tool', ...at }];
    }
    return [];
  }

  #recordList(input: ScanInput, verdict: Verdict): void {
    const result = input.message.result;
    const tools = result !== null && typeof result === 'object' && !Array.isArray(result) ? result['tools'] : undefined;
    if (!Array.isArray(tools) || verdict.action === 'block') return;
    this.#listed = true;
    const removed = new Set(verdict.action === 'filter' ? verdict.removeTools : []);
    tools.forEach((t, i) => {
      const name = t !== null && typeof t === 'object' && !Array.isArray(t) ? t['name'] : undefined;
      if (typeof name !== 'string') return;
      if (removed.has(i)) {
        this.#hidden.add(name);
        this.#shown.delete(name);
      } else {
        this.#shown.add(name);
        this.#hidden.delete(name);
      }
    });
  }

  /**
   * The configured action for a finding in a frame going `direction`, before audit-mode downgrade.
   * A rule finding of severity `low` (a weak signal, such as a task-shaped question
   * in a document) only warns, unless `mode: strict` asks for every rule to act.
   */
  actionFor(f: Finding, direction: Direction): Action {
    if (f.advisory === true) return 'warn';
    // A policy rule's own action (guard_policy); `ask` asks the person like any other ask.
    if (f.action !== undefined) return f.action;
    // A documented example value (AKIAIOSFODNN7EXAMPLE) is no secret: say so, never block.
    if (f.category === 'dlp' && f.documented === true) return 'warn';
    const configured = this.#configuredAction(f, direction);
    // A call to a tool the client was never shown cannot be approved knowingly: the person never saw its definition.
    const action = configured === 'ask' && BLIND_RULES.has(f.rule) ? 'block' : configured;
    return f.severity === 'low' && (action === 'block' || action === 'ask') && this.#config.mode !== 'strict' && RULE_CATEGORIES.has(f.category) ? 'warn' : action;
  }

  #configuredAction(f: Finding, direction: Direction): Action {
    const map: Record<Category, Action> = {
      dlp: direction === 'server-to-client' ? this.#config.dlp.responseAction : this.#config.dlp.action,
      injection: this.#config.injection.action,
      'tool-poisoning': this.#config.poisoning.action,
      drift: f.rule === PIN_RULES.newTool ? this.#config.pins.newToolAction : this.#config.drift.action,
      policy: this.#policy?.actions.get(f.rule) ?? 'warn',
      protocol: 'block',
    };
    return map[f.category];
  }

  #suppress(findings: Finding[], tool: string | undefined): Finding[] {
    const rules = this.#config.suppress;
    if (rules.length === 0) return findings;
    return findings.filter(
      (f) =>
        !rules.some(
          (s) => s.rule === f.rule && (s.path === undefined || globMatch(s.path, f.path) || (tool !== undefined && globMatch(s.path, tool))),
        ),
    );
  }

  #decide(input: ScanInput, findings: Finding[]): Verdict {
    if (findings.length === 0) return { action: 'allow', findings, removeTools: [] };
    if (!this.#config.enforce) return { action: 'warn', findings, removeTools: [] };
    const actions = findings.map((f) => this.actionFor(f, input.direction));
    const asks = findings.filter((_, i) => actions[i] === 'ask');
    if (asks.length === 0) return this.#decideActions(input, findings, actions);
    // Blocked whatever the person answers: nothing to ask.
    const allowed = this.#decideActions(input, findings, actions.map((a) => (a === 'ask' ? 'warn' : a)));
    if (allowed.action === 'block') return allowed;
    return { action: 'ask', findings, removeTools: [], asks };
  }

  /** The verdict for findings whose actions are known (none is `ask`: {@link settle} resolves them first). */
  #decideActions(input: ScanInput, findings: readonly Finding[], actions: readonly Action[]): Verdict {
    // A redaction that cannot be done cleanly (decoded, joined or split match) falls back to block.
    // An `ask` left unresolved here (never expected) blocks: fail closed.
    const blocking = findings.filter((f, i) => actions[i] === 'block' || actions[i] === 'ask' || (actions[i] === 'redact' && f.span === undefined));
    const redactions = findings.filter((f, i) => actions[i] === 'redact' && f.span !== undefined);
    if (blocking.length === 0) {
      if (redactions.length === 0) return { action: 'warn', findings, removeTools: [] };
      return { action: 'redact', findings, removeTools: [], redactions };
    }
    // Poisoned or drifted definitions are taken out of their list; the rest passes.
    const remove = new Set<string>();
    let whole = false;
    for (const f of blocking) {
      const m = FILTERABLE.exec(f.path);
      if (m?.[0] !== undefined && f.category !== 'dlp' && f.category !== 'protocol') remove.add(m[0]);
      else whole = true;
    }
    if (!whole && input.direction === 'server-to-client' && input.message.result !== undefined) {
      const removeTools = [...remove].flatMap((p) => /^result\.tools\[(\d+)\]$/.exec(p)?.[1] ?? []).map(Number).sort((a, b) => a - b);
      return { action: 'filter', findings, removeTools, remove: [...remove] };
    }
    return { action: 'block', findings, removeTools: [] };
  }
}

/** The last object key of a JSON path (`a.b` → `b`, `a["x y"]` → `x y`), or undefined for an index. */
function lastKey(path: string): string | undefined {
  const quoted = /\[("(?:[^"\\]|\\.)*")\]$/.exec(path);
  if (quoted?.[1] !== undefined) {
    try {
      return JSON.parse(quoted[1]) as string;
    } catch {
      return undefined;
    }
  }
  return /(?:^|\.)([A-Za-z_$][\w$-]*)$/.exec(path)?.[1];
}

/** A finding with every secret name in its path replaced by its mask. */
function maskPath(f: Finding, names: readonly string[]): Finding {
  let path = f.path;
  for (const n of names) {
    const mask = maskSecret(n);
    path = path.split(JSON.stringify(n)).join(JSON.stringify(mask)).split(n).join(mask);
  }
  return path === f.path ? f : { ...f, path };
}

function toolOf(input: ScanInput): string | undefined {
  if (input.context?.tool !== undefined) return input.context.tool;
  const p = input.message.params;
  if (input.message.method === 'tools/call' && p !== null && typeof p === 'object' && !Array.isArray(p)) {
    const n = p['name'];
    return typeof n === 'string' ? n : undefined;
  }
  return undefined;
}

/**
 * Drop repeated findings with the same rule and path: findings with distinct
 * spans are all kept (for redaction); a finding without a span (a decoded view
 * of the same field) is dropped when a located one exists, else the first is kept.
 * An `unterminated` finding (a key block without END) is always kept: redacting
 * the whole keys next to it would leave its body in place.
 * A documented-example finding is dropped when a real one has the same rule and
 * path (a real key next to `AKIAIOSFODNN7EXAMPLE` still blocks).
 */
export function dedupe(findings: readonly Finding[]): Finding[] {
  const located = new Set(findings.filter((f) => f.span).map((f) => `${f.rule}\0${f.path}`));
  const real = new Set(findings.filter((f) => f.documented !== true).map((f) => `${f.rule}\0${f.path}`));
  const seen = new Set<string>();
  return findings.filter((f) => {
    const base = `${f.rule}\0${f.path}`;
    if (f.documented === true && real.has(base)) return false;
    if (!f.span && f.unterminated !== true && located.has(base)) return false;
    const key = `${base}\0${f.span ? f.span.start : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3 } as const;

/** Most severe first, then by path and rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.path.localeCompare(b.path) || a.rule.localeCompare(b.rule),
  );
}
