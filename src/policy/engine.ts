/**
 * The policy engine: may this agent see and call this tool, with these
 * arguments, at this rate, at this point of the session? It runs in the
 * scanner chain before content scanning, on `tools/list` results (denied tools
 * are taken out) and on `tools/call` requests, and returns findings of
 * category `policy`, each with its rule's own `action` and a `reason`.
 */
import { fileURLToPath } from 'node:url';
import type RE2 from 're2';
import type { ArgType, ArgRule, PolicyAction, PolicyConfig, SessionEvent, ToolAccess } from './config.js';
import { typeFromName, typesFromSchema, wordsOf } from './arg-types.js';
import { DEFAULT_DENY, DEFAULT_SENSITIVE, checkPath, globSet, normalizeRoot, posixDir, type GlobSet, type PathContext } from './paths.js';
import { checkUrl } from './urls.js';
import { analyzeCommand, type CommandCheck } from './commands.js';
import { RateLimiter } from './rate-limit.js';
import { SessionRules, loadDefaultSessionRules, type CallEvents } from './session-rules.js';
import { WALK_LIMITS, joinPath } from '../scan/json-walk.js';
import { compileRegex } from '../scan/rule-pack.js';
import type { Finding, Json, ScanInput } from '../scan/types.js';

/** Where the engine runs. */
export interface EngineContext extends PathContext {
  /** Server identity (`proxy --name`, or derived); undefined in evaluation. */
  readonly server?: string | undefined;
  /** The clock, ms (tests and replays may pass their own). */
  readonly now?: () => number;
}

/** Tools whose schemas are remembered, at most. */
const MAX_TOOLS = 2048;
/** Calls whose request id is remembered for tainting by their answer, at most. */
const MAX_INFLIGHT = 1024;
/** String leaves of one call's arguments that are walked, at most; past it the call is blocked (the DLP scan stops there too). */
const MAX_LEAVES = 100_000;
/** Typed values (path, url) and commands one call may carry; past it the call is blocked (each costs µs to ms). */
const MAX_TYPED = 1_000;
const MAX_COMMANDS = 64;

/** Words in a tool's name that make it a write, an execute, or an outbound send (`write_file`, `runCommand`, `send_email`). */
const WRITE_WORDS = new Set(['write', 'edit', 'create', 'save', 'append', 'upload', 'move', 'rename', 'copy', 'patch', 'insert', 'replace', 'mkdir', 'touch']);
const EXEC_WORDS = new Set(['run', 'exec', 'execute', 'spawn', 'launch', 'shell', 'bash', 'terminal', 'eval']);
const SEND_WORDS = new Set(['fetch', 'http', 'request', 'post', 'send', 'upload', 'webhook', 'email', 'mail', 'publish', 'notify', 'slack', 'tweet', 'curl', 'browse', 'navigate']);
const hasWord = (tool: string, words: ReadonlySet<string>): boolean => wordsOf(tool).some((w) => words.has(w));
/** A value that is a path and nothing else: `/…`, `~/…`, `C:\…`, `file://…`, `../…`, with no spaces. */
const LOOKS_LIKE_PATH = /^(?:~|\$HOME|\.\.?|[a-zA-Z]:|file:\/\/)?[/\\][^\s]*$/;
const DATA_FLAGS = /^(?:-d|--data\S*|-F|--form\S*|-T|--upload-file|--post-\S+|-X|--request|--json)$/;

function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
const globTest = (glob: string, text: string): boolean => globRe(glob).test(text);

/** A policy finding; undefined when the check's action is `off`. */
function policy(rule: string, path: string, action: PolicyAction, reason: string, extra: Partial<Finding> = {}): Finding | undefined {
  return action === 'off' ? undefined : { rule, category: 'policy', severity: 'high', path, action, reason, ...extra };
}

function push(findings: Finding[], f: Finding | undefined): void {
  if (f !== undefined) findings.push(f);
}

function obj(v: Json | undefined): Record<string, Json> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/**
 * Every string value in the arguments with its JSON path and argument name (the last object key;
 * array items take the array's), depth first.
 * A value nested past {@link WALK_LIMITS}.maxDepth is one leaf, its JSON text (as the DLP scan reads it).
 * @returns undefined past {@link MAX_LEAVES} leaves (the caller blocks)
 */
function stringLeaves(args: Json): Array<{ path: string; value: string; arg: string }> | undefined {
  const out: Array<{ path: string; value: string; arg: string }> = [];
  const walk = (v: Json, path: string, arg: string, depth: number): boolean => {
    if (typeof v === 'string') {
      out.push({ path, value: v, arg });
      return out.length <= MAX_LEAVES;
    }
    if (v === null || typeof v !== 'object') return true;
    // Deeper than the scanners walk: its JSON text is one leaf, as the DLP scan reads it (json-walk.ts).
    if (depth >= WALK_LIMITS.maxDepth) return walk(JSON.stringify(v), path, arg, depth);
    if (Array.isArray(v)) return v.every((x, i) => walk(x, joinPath(path, i), arg, depth + 1));
    return Object.entries(v).every(([k, x]) => walk(x, joinPath(path, k), k, depth + 1));
  };
  return walk(args, 'params.arguments', '', 0) ? out : undefined;
}

/** One session's policy engine. */
export class PolicyEngine {
  readonly #c: PolicyConfig;
  readonly #ctx: EngineContext;
  readonly #now: () => number;
  readonly #access: ToolAccess;
  readonly #deny: GlobSet;
  readonly #sensitive: GlobSet;
  readonly #configRoots: string[];
  #clientRoots: string[] = [];
  readonly #argRules: ReadonlyArray<ArgRule & { readonly re?: RE2 }>;
  readonly #schemaTypes = new Map<string, Map<string, ArgType>>();
  readonly #rates: RateLimiter;
  readonly #session: SessionRules;
  /** The events of the call being decided (scan → commit in one evaluate). */
  #pending: { readonly id: unknown; readonly call: CallEvents } | undefined;
  readonly #inflight = new Map<string, number>();

  /** @throws GuardError `RULES_INVALID` for a bad `pattern` regex or a bad rules/policy/session.yaml */
  constructor(config: PolicyConfig, ctx: EngineContext) {
    this.#c = config;
    // On Windows the home and working directories are read the way Windows path arguments are (`/c:/Users/me`).
    this.#ctx = { ...ctx, home: posixDir(ctx.home), cwd: posixDir(ctx.cwd) };
    this.#now = ctx.now ?? Date.now;
    const s = ctx.server !== undefined ? config.tools.servers[ctx.server] : undefined;
    this.#access = {
      default: s?.default ?? config.tools.default,
      allow: [...config.tools.allow, ...(s?.allow ?? [])],
      deny: [...config.tools.deny, ...(s?.deny ?? [])],
    };
    this.#deny = globSet([...(config.paths.defaultDeny ? DEFAULT_DENY : []), ...config.paths.deny], this.#ctx);
    this.#sensitive = globSet([...DEFAULT_SENSITIVE, ...config.paths.sensitive], this.#ctx);
    this.#configRoots = config.paths.roots.map((r) => normalizeRoot(r, this.#ctx));
    this.#argRules = config.argRules
      .filter((r) => r.server === undefined || (ctx.server !== undefined && globTest(r.server, ctx.server)))
      .map((r, i) => (r.pattern !== undefined ? { ...r, re: compileRegex(`guard_policy.arguments.rules[${i}]`, r.pattern, 'u') } : r));
    this.#rates = new RateLimiter(config.rateLimits, this.#now());
    this.#session = new SessionRules(config.includeDefaultSessionRules ? loadDefaultSessionRules() : [], config.sessionRules);
  }

  /**
   * Load the lazily loaded libraries (the shell parser takes tens of ms) on the next turn of the
   * event loop: after the proxy has started relaying and installed its signal handlers, while the
   * server boots, and before its first tools/call in practice.
   */
  warmUp(): void {
    setImmediate(() => {
      analyzeCommand('true', this.#c.commands);
      checkUrl('http://127.0.0.1/', this.#c.urls);
      this.#deny('/');
    }).unref();
  }

  /** True when the proxy should ask the client for its MCP roots (no roots configured, `client_roots` on). */
  get wantsClientRoots(): boolean {
    return this.#c.paths.clientRoots && this.#configRoots.length === 0;
  }

  /**
   * The client's MCP roots (`roots/list` result, MCP spec "Roots"): `file://` URIs become
   * the sandbox when no roots are configured. Other schemes are ignored.
   */
  setClientRoots(uris: readonly string[]): void {
    const roots: string[] = [];
    for (const u of uris) {
      try {
        if (/^file:/i.test(u)) roots.push(normalizeRoot(fileURLToPath(u), this.#ctx));
      } catch {
        // A root that is not a valid file URI grants nothing.
      }
    }
    this.#clientRoots = roots;
  }

  /** The sandbox in force: configured roots, else the client's. */
  get roots(): readonly string[] {
    return this.#configRoots.length > 0 ? this.#configRoots : this.#clientRoots;
  }

  /** Policy findings for one frame. */
  scan(input: ScanInput): Finding[] {
    this.#pending = undefined;
    const m = input.message;
    if (input.direction === 'server-to-client' && input.context?.method === 'tools/list') return this.#list(m.result);
    if (input.direction !== 'client-to-server') return [];
    if (m.method === 'resources/read') return this.#resourceRead(obj(m.params)?.['uri']);
    if (m.method !== 'tools/call') return [];
    const params = obj(m.params);
    const tool = params?.['name'];
    if (typeof tool !== 'string') return [];
    const denied = this.#denied(tool);
    if (denied !== undefined) return [policy('tool-denied', 'params.name', 'block', denied) as Finding];
    const findings: Finding[] = [];
    const limited = this.#rates.active ? this.#rates.take(tool, this.#now()) : undefined;
    if (limited) {
      push(findings, policy('rate-limit', 'params.name', 'block', `the ${limited.limit === 'tool' ? 'tool' : 'session'}'s call rate limit is reached; retry in ${limited.retryAfter} s`, { retryAfter: limited.retryAfter }));
    }
    const call = this.#arguments(tool, params?.['arguments'], findings);
    for (const hit of this.#session.check(call, this.#now())) push(findings, policy(hit.rule.name, 'params.name', hit.rule.action, `${hit.rule.description ?? hit.rule.name}: ${hit.reason}`));
    this.#pending = { id: m.id, call };
    return findings;
  }

  /**
   * After the chain decided: a forwarded call enters the session history; the answer
   * to a call that carried a credential (DLP finding, even redacted) marks that call a sensitive read.
   */
  commit(input: ScanInput, action: string, findings: readonly Finding[]): void {
    const m = input.message;
    if (input.direction === 'client-to-server' && this.#pending !== undefined && m.method === 'tools/call') {
      if (action !== 'block') {
        const index = this.#session.record(this.#pending.call, this.#now());
        if (typeof m.id === 'string' || typeof m.id === 'number') {
          if (this.#inflight.size >= MAX_INFLIGHT) this.#inflight.delete(this.#inflight.keys().next().value as string);
          this.#inflight.set(String(m.id), index);
        }
      }
      this.#pending = undefined;
      return;
    }
    if (input.direction === 'server-to-client' && input.context?.method === 'tools/call' && (typeof m.id === 'string' || typeof m.id === 'number')) {
      const index = this.#inflight.get(String(m.id));
      this.#inflight.delete(String(m.id));
      if (index !== undefined && findings.some((f) => f.category === 'dlp')) this.#session.taint(index);
    }
  }

  /** `resources/read`: a `file:` URI is a path (deny globs and roots), an http(s) one a URL. */
  #resourceRead(uri: Json | undefined): Finding[] {
    if (typeof uri !== 'string') return [];
    const findings: Finding[] = [];
    const u = checkUrl(uri, this.#c.urls);
    for (const q of u.problems) push(findings, policy(q.rule, 'params.uri', this.#c.urls.action, q.reason));
    if (u.filePath !== undefined) this.#path(u.filePath, 'params.uri', findings, true);
    return findings;
  }

  /** Why `tool` is denied, or undefined when it is allowed. Deny wins over allow. */
  #denied(tool: string): string | undefined {
    const d = this.#access.deny.find((g) => globTest(g, tool));
    if (d !== undefined) return `tool ${tool} is denied by guard_policy.tools.deny (${d})`;
    if (this.#access.default === 'deny' && !this.#access.allow.some((g) => globTest(g, tool))) return `tool ${tool} is not in guard_policy.tools.allow (default: deny)`;
    return undefined;
  }

  /** A `tools/list` page: take out denied tools, remember argument types from the schemas. */
  #list(result: Json | undefined): Finding[] {
    const tools = obj(result)?.['tools'];
    if (!Array.isArray(tools)) return [];
    const findings: Finding[] = [];
    tools.forEach((t, i) => {
      const name = obj(t)?.['name'];
      if (typeof name !== 'string') return;
      const denied = this.#denied(name);
      if (denied !== undefined) push(findings, policy('tool-denied', `result.tools[${i}]`, 'block', denied));
      if (this.#schemaTypes.size >= MAX_TOOLS && !this.#schemaTypes.has(name)) return;
      this.#schemaTypes.set(name, typesFromSchema(obj(t)?.['inputSchema']));
    });
    return findings;
  }

  #typeOf(tool: string, arg: string, rule: ArgRule | undefined): ArgType | undefined {
    if (rule?.type !== undefined) return rule.type;
    if (!this.#c.inferTypes) return undefined;
    return this.#schemaTypes.get(tool)?.get(arg) ?? typeFromName(arg);
  }

  /** Check every string argument; returns the call's session events. */
  #arguments(tool: string, args: Json | undefined, findings: Finding[]): CallEvents {
    const events = new Set<SessionEvent>();
    const paths: string[] = [];
    let dataArgs = false;
    let urlData = false;
    let urlCount = 0;
    let pathCount = 0;
    const leaves = stringLeaves(args ?? {});
    if (leaves === undefined) {
      // The same fail-closed finding the DLP scan gives past its leaf cap (one finding when both stop).
      findings.push({ rule: 'scan-limit-leaves', category: 'protocol', severity: 'high', path: '' });
      return { events, paths };
    }
    let typed = 0;
    let commands = 0;
    const write = hasWord(tool, WRITE_WORDS);
    const exec = hasWord(tool, EXEC_WORDS);
    for (const leaf of leaves) {
      const arg = leaf.arg;
      const rules = this.#argRules.filter((r) => globTest(r.tool, tool) && globTest(r.arg, arg));
      for (const r of rules) this.#valueRules(r, leaf.value, leaf.path, findings);
      const type = this.#typeOf(tool, arg, rules.find((r) => r.type !== undefined));
      const untypedPath = type === undefined && LOOKS_LIKE_PATH.test(leaf.value);
      if (((untypedPath || (type !== undefined && type !== 'string')) && ++typed > MAX_TYPED) || (type === 'command' && ++commands > MAX_COMMANDS)) {
        push(findings, policy('policy-limit', 'params.arguments', 'block', `the call has more typed arguments than the policy checks (${MAX_TYPED} paths and URLs, ${MAX_COMMANDS} commands)`));
        break;
      }
      if (type === 'path') {
        pathCount++;
        // A path argument holding a network URL is checked as a URL too: some servers fetch whatever they get.
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(leaf.value) && !/^file:/i.test(leaf.value)) {
          for (const q of checkUrl(leaf.value, this.#c.urls).problems) push(findings, policy(q.rule, leaf.path, this.#c.urls.action, q.reason));
        }
        const p = this.#path(leaf.value, leaf.path, findings, true);
        if (p.sensitive && !write) events.add('sensitive-read');
        if (write || exec) paths.push(p.normalised);
      } else if (type === 'url') {
        const u = checkUrl(leaf.value, this.#c.urls);
        for (const q of u.problems) push(findings, policy(q.rule, leaf.path, this.#c.urls.action, q.reason));
        // A url argument holding a bare path (`/etc/shadow`, `~/.ssh/id_rsa`) meets the deny globs.
        if (LOOKS_LIKE_PATH.test(leaf.value) && !/^file:/i.test(leaf.value)) this.#path(leaf.value, leaf.path, findings, false, true);
        if (u.filePath !== undefined) {
          const p = this.#path(u.filePath, leaf.path, findings, true);
          if (p.sensitive) events.add('sensitive-read');
        } else if (u.network) {
          urlCount++;
          if (u.carriesData) urlData = true;
        }
      } else if (type === 'command') {
        events.add('shell').add('execute');
        const a = analyzeCommand(leaf.value, this.#c.commands);
        for (const q of a.problems) push(findings, policy(q.rule, leaf.path, this.#commandAction(q.check), q.reason));
        for (const w of a.paths) {
          const p = this.#path(w, leaf.path, findings, false);
          if (p.sensitive) events.add('sensitive-read');
          paths.push(p.normalised);
        }
        if (a.network && (a.problems.some((q) => q.check === 'network-pipe') || leaf.value.split(/\s+/).some((t) => DATA_FLAGS.test(t)))) events.add('network-send');
      } else {
        // An argument of no known type whose whole value is a path still meets the deny globs (not the roots).
        if (untypedPath) {
          const p = this.#path(leaf.value, leaf.path, findings, false, true);
          if (p.sensitive && !write) events.add('sensitive-read');
        }
        if (leaf.value.length > 16) dataArgs = true;
      }
    }
    if (write && pathCount > 0) events.add('write');
    if (!write && exec && paths.length > 0) events.add('execute');
    if ((urlCount > 0 || hasWord(tool, SEND_WORDS)) && (urlData || dataArgs)) events.add('network-send');
    return { events, paths: [...new Set(paths)] };
  }

  /**
   * Path checks; findings go on `at`.
   * @param sandbox apply the roots too (false for path-like words inside a command: `ls /usr/bin` is fine)
   */
  #path(raw: string, at: string, findings: Finding[], sandbox: boolean, denyOnly = false): { sensitive: boolean; normalised: string } {
    const check = checkPath(raw, this.#ctx, sandbox ? this.roots : [], this.#deny, this.#sensitive);
    for (const q of check.problems) if (!denyOnly || q.rule === 'path-denied') push(findings, policy(q.rule, at, this.#c.paths.action, q.reason));
    return check;
  }

  #commandAction(check: CommandCheck): PolicyAction {
    const c = this.#c.commands;
    const map: Record<CommandCheck, PolicyAction> = { 'network-pipe': c.networkPipe, 'download-exec': c.downloadExec, obfuscation: c.obfuscation, unparsable: c.unparsable, program: c.program };
    return map[check];
  }

  /** `enum`, `pattern`, `max_length` of one argument rule. */
  #valueRules(r: ArgRule & { readonly re?: RE2 }, value: string, at: string, findings: Finding[]): void {
    if (r.action === 'off') return;
    if (r.enum !== undefined && !r.enum.includes(value)) push(findings, policy('arg-enum', at, r.action, `the value is not one of the ${r.enum.length} allowed values`));
    if (r.re !== undefined && !r.re.test(value.isWellFormed() ? value : value.toWellFormed())) push(findings, policy('arg-pattern', at, r.action, 'the value does not match the configured pattern'));
    if (r.maxLength !== undefined && value.length > r.maxLength) push(findings, policy('arg-max-length', at, r.action, `the value is ${value.length} characters, over the limit of ${r.maxLength}`));
  }
}
