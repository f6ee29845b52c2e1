/**
 * The `guard_policy` config section (mcp-guard's own; Pipelock has no such key,
 * so a Pipelock file keeps working unchanged) and its normalised shape.
 * Every key is documented with its default in `pipelock.example.yaml`.
 */
import type * as Zod from 'zod';

/** What a policy rule does: `ask` asks the person (src/proxy/ask.ts); `off` disables the check. */
export type PolicyAction = 'block' | 'warn' | 'ask' | 'off';

/** Argument types the policy knows. `string` only gets `enum`/`pattern`/`max_length`. */
export type ArgType = 'path' | 'url' | 'command' | 'string';

/**
 * The zod builder for `guard_policy` (added with one line to src/config/schema.ts).
 * @param z zod, loaded lazily by the caller
 */
export function policySchema(z: typeof Zod) {
  // `.describe()` texts reach `mcp-guard config schema`, for editors; the JSDoc and pipelock.example.yaml say more.
  const action = z.enum(['block', 'warn', 'ask', 'off']).describe('block | warn | ask (the person approves, see approvals) | off');
  const globs = z.array(z.string().min(1));
  const access = z.strictObject({
    /** Tools matched by neither list: `allow` or `deny`. @default "allow" */
    default: z.enum(['allow', 'deny']).optional(),
    /** Tool names or globs (`*`, `?`, `{a,b}`) always allowed (deny wins over allow). @default [] */
    allow: globs.optional(),
    /** Tool names or globs denied: removed from every `tools/list` page, calls blocked. @default [] */
    deny: globs.optional(),
  });
  const rate = z.strictObject({
    /** Sustained calls per minute. */
    per_minute: z.number().positive(),
    /** Calls allowed at once above the sustained rate (bucket size). @default per_minute */
    burst: z.number().int().min(1).optional(),
  });
  const sessionRule = z.strictObject({
    /** Rule name, shown in findings; a name of a built-in rule replaces it. */
    name: z.string().min(1),
    description: z.string().optional(),
    /** `sequence` (event `first`, then event `then` within `within` calls), `same-path` (as sequence, on the same path) or `burst` (`count` events `event` within `window_seconds`). */
    kind: z.enum(['sequence', 'same-path', 'burst']),
    /** For sequence and same-path: the first event (sensitive-read, write, network-send, execute, shell). */
    first: z.enum(['sensitive-read', 'write', 'network-send', 'execute', 'shell']).optional(),
    /** For sequence and same-path: the event that completes the pattern. */
    then: z.enum(['sensitive-read', 'write', 'network-send', 'execute', 'shell']).optional(),
    /** For sequence and same-path: the pattern counts when `then` comes at most this many calls after `first`. @default 5 */
    within: z.number().int().min(1).max(256).optional(),
    /** For burst: the event counted. */
    event: z.enum(['sensitive-read', 'write', 'network-send', 'execute', 'shell']).optional(),
    /** For burst: how many events. */
    count: z.number().int().min(2).max(1000).optional(),
    /** For burst: within how many seconds. */
    window_seconds: z.number().positive().optional(),
    /** @default "block" */
    action: action.optional(),
  });
  return z.strictObject({
    /** The policy engine (tool access, argument rules, rate limits, session rules). @default true */
    enabled: z.boolean().optional(),
    /** Which tools an agent may see and call. */
    tools: access
      .extend({
        /** Per server identity (`proxy --name`): lists added to the ones above; `default` replaces it. @default {} */
        servers: z.record(z.string(), access).optional().describe('per server identity (proxy --name): lists added, default replaced'),
      })
      .optional()
      .describe('which tools an agent may see and call'),
    /** Argument rules per tool. */
    arguments: z
      .strictObject({
        /** Infer argument types from the tool's inputSchema `format` and the argument's name. @default true */
        infer_types: z.boolean().optional(),
        /** @default [] */
        rules: z
          .array(
            z.strictObject({
              /** Tool name glob. @default "*" */
              tool: z.string().min(1).optional(),
              /** Server identity glob (`proxy --name`). @default every server */
              server: z.string().min(1).optional(),
              /** Argument name glob (the last key of its path; array items use the array's name). */
              arg: z.string().min(1),
              /** The argument's type; omitted = inferred (or only the checks below). */
              type: z.enum(['path', 'url', 'command', 'string']).optional(),
              /** Allowed values (exact). */
              enum: z.array(z.string()).optional(),
              /** RE2 regex the value must match (anchor it yourself). */
              pattern: z.string().min(1).optional(),
              /** Longest value, in characters (UTF-16 units). */
              max_length: z.number().int().min(0).optional(),
              /** What a violation of enum / pattern / max_length does. @default "block" */
              action: action.optional(),
            }),
          )
          .optional()
      .describe('argument rules per tool, and type inference'),
      })
      .optional(),
    /** `path` arguments. */
    paths: z
      .strictObject({
        /** Allowed prefixes (`~` allowed). Empty: the client's MCP roots when it has them, else only `deny` applies. @default [] */
        roots: globs.optional(),
        /** Ask a client that declares the `roots` capability for `roots/list`, and use its roots when `roots` is empty. @default true */
        client_roots: z.boolean().optional(),
        /** Include the built-in deny globs (~/.ssh/**, **\/.env, ~/.aws/**, the agents' MCP configs). @default true */
        default_deny: z.boolean().optional(),
        /** Extra deny globs. @default [] */
        deny: globs.optional(),
        /** Extra globs of sensitive files: reading one is allowed but starts the exfiltration-chain rule. @default [] */
        sensitive: globs.optional(),
        /** @default "block" */
        action: action.optional(),
      })
      .optional()
      .describe('path arguments: roots (sandbox), deny and sensitive globs'),
    /** `url` arguments (SSRF). */
    urls: z
      .strictObject({
        /** Refuse private, loopback, link-local, CGNAT, multicast, reserved and metadata addresses. @default true */
        block_private: z.boolean().optional(),
        /** Hosts (exact, or `*.example.com`) always allowed, private or not; when non-empty, every other host is refused. @default [] */
        allow_hosts: globs.optional(),
        /** Hosts refused. @default [] */
        deny_hosts: globs.optional(),
        /** @default "block" */
        action: action.optional(),
      })
      .optional()
      .describe('url arguments: private and metadata addresses, host lists (SSRF)'),
    /** `command` arguments (shell command strings). */
    commands: z
      .strictObject({
        /** When non-empty, only these programs may run. @default [] */
        allow_programs: globs.optional(),
        /** Programs refused. @default [] */
        deny_programs: globs.optional(),
        /** Data piped into a network tool (`| nc`, `| curl`), or a redirect to /dev/tcp. @default "block" */
        network_pipe: action.optional(),
        /** Download and execute (`curl … | sh`, `sh -c "$(wget …)"`, `bash <(curl …)`). @default "block" */
        download_exec: action.optional(),
        /** Command substitution, IFS tricks, brace expansion, $'\x..' escapes, quote splitting, fullwidth letters, decode-and-execute. @default "warn" */
        obfuscation: action.optional(),
        /** A command the shell parser cannot parse. @default "warn" */
        unparsable: action.optional(),
        /** A program in `deny_programs` or outside `allow_programs`. @default "block" */
        program: action.optional(),
      })
      .optional()
      .describe('command arguments: pipes to network tools, download and execute, obfuscation, program lists'),
    /** Rate limits, in memory per proxy process. @default none */
    rate_limits: z
      .strictObject({
        /** Every tools/call of the session. */
        session: rate.optional(),
        /** Per tool (glob). @default [] */
        tools: z.array(rate.extend({ tool: z.string().min(1) })).optional(),
      })
      .optional()
      .describe('rate limits per tool and per session (token buckets, in memory)'),
    /** Behaviour rules over the sequence of calls in one session. */
    session_rules: z
      .strictObject({
        /** Load the built-in rules (rules/policy/session.yaml). @default true */
        include_defaults: z.boolean().optional(),
        /** @default [] */
        rules: z.array(sessionRule).optional(),
      })
      .optional()
      .describe('behaviour rules over the calls of one session (rules/policy/session.yaml)'),
  });
}

/** `guard_policy` as written. */
export type RawPolicy = Zod.infer<ReturnType<typeof policySchema>>;

/** Tool access lists. */
export interface ToolAccess {
  readonly default: 'allow' | 'deny';
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** One argument rule. */
export interface ArgRule {
  readonly tool: string;
  readonly server?: string;
  readonly arg: string;
  readonly type?: ArgType;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly action: PolicyAction;
}

/** A rate: `perMinute` sustained, `burst` at once. */
export interface Rate {
  readonly perMinute: number;
  readonly burst: number;
}

/** Session event kinds. */
export type SessionEvent = 'sensitive-read' | 'write' | 'network-send' | 'execute' | 'shell';

/** One session behaviour rule (see rules/policy/session.yaml). */
export interface SessionRule {
  readonly name: string;
  readonly description?: string;
  readonly kind: 'sequence' | 'same-path' | 'burst';
  readonly first?: SessionEvent;
  readonly then?: SessionEvent;
  readonly within: number;
  readonly event?: SessionEvent;
  readonly count?: number;
  readonly windowSeconds?: number;
  readonly action: PolicyAction;
}

/** The normalised policy, every default applied. */
export interface PolicyConfig {
  readonly enabled: boolean;
  readonly tools: ToolAccess & { readonly servers: Readonly<Record<string, Partial<ToolAccess>>> };
  readonly inferTypes: boolean;
  readonly argRules: readonly ArgRule[];
  readonly paths: {
    readonly roots: readonly string[];
    readonly clientRoots: boolean;
    readonly defaultDeny: boolean;
    readonly deny: readonly string[];
    readonly sensitive: readonly string[];
    readonly action: PolicyAction;
  };
  readonly urls: { readonly blockPrivate: boolean; readonly allowHosts: readonly string[]; readonly denyHosts: readonly string[]; readonly action: PolicyAction };
  readonly commands: {
    readonly allowPrograms: readonly string[];
    readonly denyPrograms: readonly string[];
    readonly networkPipe: PolicyAction;
    readonly downloadExec: PolicyAction;
    readonly obfuscation: PolicyAction;
    readonly unparsable: PolicyAction;
    readonly program: PolicyAction;
  };
  readonly rateLimits: { readonly session?: Rate; readonly tools: ReadonlyArray<Rate & { readonly tool: string }> };
  readonly includeDefaultSessionRules: boolean;
  readonly sessionRules: readonly SessionRule[];
}

type RawRate = { per_minute: number; burst?: number | undefined };
const rate = (r: RawRate): Rate => ({ perMinute: r.per_minute, burst: r.burst ?? Math.max(1, Math.ceil(r.per_minute)) });

/** Normalise one raw session rule (config or rules/policy/session.yaml). */
export function sessionRule(r: NonNullable<NonNullable<RawPolicy['session_rules']>['rules']>[number]): SessionRule {
  return {
    name: r.name,
    ...(r.description !== undefined ? { description: r.description } : {}),
    kind: r.kind,
    ...(r.first !== undefined ? { first: r.first } : {}),
    ...(r.then !== undefined ? { then: r.then } : {}),
    within: r.within ?? 5,
    ...(r.event !== undefined ? { event: r.event } : {}),
    ...(r.count !== undefined ? { count: r.count } : {}),
    ...(r.window_seconds !== undefined ? { windowSeconds: r.window_seconds } : {}),
    action: r.action ?? 'block',
  };
}

/** Apply defaults to a validated `guard_policy` (undefined = the default policy). */
export function normalizePolicy(raw: RawPolicy | undefined): PolicyConfig {
  const t = raw?.tools;
  const p = raw?.paths;
  const u = raw?.urls;
  const c = raw?.commands;
  const servers: Record<string, Partial<ToolAccess>> = {};
  for (const [name, s] of Object.entries(t?.servers ?? {})) {
    servers[name] = { ...(s.default !== undefined ? { default: s.default } : {}), ...(s.allow ? { allow: s.allow } : {}), ...(s.deny ? { deny: s.deny } : {}) };
  }
  const session = raw?.rate_limits?.session;
  return {
    enabled: raw?.enabled ?? true,
    tools: { default: t?.default ?? 'allow', allow: t?.allow ?? [], deny: t?.deny ?? [], servers },
    inferTypes: raw?.arguments?.infer_types ?? true,
    argRules: (raw?.arguments?.rules ?? []).map((r) => ({
      tool: r.tool ?? '*',
      ...(r.server !== undefined ? { server: r.server } : {}),
      arg: r.arg,
      ...(r.type !== undefined ? { type: r.type } : {}),
      ...(r.enum !== undefined ? { enum: r.enum } : {}),
      ...(r.pattern !== undefined ? { pattern: r.pattern } : {}),
      ...(r.max_length !== undefined ? { maxLength: r.max_length } : {}),
      action: r.action ?? 'block',
    })),
    paths: {
      roots: p?.roots ?? [],
      clientRoots: p?.client_roots ?? true,
      defaultDeny: p?.default_deny ?? true,
      deny: p?.deny ?? [],
      sensitive: p?.sensitive ?? [],
      action: p?.action ?? 'block',
    },
    urls: { blockPrivate: u?.block_private ?? true, allowHosts: u?.allow_hosts ?? [], denyHosts: u?.deny_hosts ?? [], action: u?.action ?? 'block' },
    commands: {
      allowPrograms: c?.allow_programs ?? [],
      denyPrograms: c?.deny_programs ?? [],
      networkPipe: c?.network_pipe ?? 'block',
      downloadExec: c?.download_exec ?? 'block',
      obfuscation: c?.obfuscation ?? 'warn',
      unparsable: c?.unparsable ?? 'warn',
      program: c?.program ?? 'block',
    },
    rateLimits: { ...(session ? { session: rate(session) } : {}), tools: (raw?.rate_limits?.tools ?? []).map((r) => ({ tool: r.tool, ...rate(r) })) },
    includeDefaultSessionRules: raw?.session_rules?.include_defaults ?? true,
    sessionRules: (raw?.session_rules?.rules ?? []).map(sessionRule),
  };
}
