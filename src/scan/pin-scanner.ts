/**
 * Rug-pull detection across sessions: trust on first use, persisted in the pin
 * store (src/pins). The first time a server identity is seen, its tools,
 * `instructions`, prompt descriptions and resource-template descriptions are
 * pinned. Later, a changed definition is a `drift` finding and a tool that was
 * not pinned is a `new-tool` finding; the change is recorded as *pending* (for
 * `mcp-guard pins diff`) and never promoted into the pin until a person runs
 * `mcp-guard pins approve`. Removed tools are logged.
 *
 * The store is re-read on every list, so an approval made while the proxy runs
 * takes effect at the next `tools/list`.
 *
 * Servers may list some tools only to clients that declare a capability (see
 * `src/pins/capabilities.ts`). Each session's declared capability set is stored
 * with the server's pins; a session whose client declares a capability that no
 * earlier session declared pins the items not pinned yet, as first use does, and
 * logs a warning naming them. A changed definition of a pinned item is drift
 * whatever the client declares, and an unpinned item under capabilities already
 * seen is `new-tool`.
 */
import { joinPath } from './json-walk.js';
import { MAX_CAPABILITY_SETS, capabilityNames, capabilitySetKey, newCapabilities } from '../pins/capabilities.js';
import {
  INSTRUCTIONS_KEY, PROMPT_PREFIX, TEMPLATE_PREFIX, ServerBudget, emptyRecord, emptyServerPins, pinHash, promptPinDefinition,
  templatePinDefinition, toolPinDefinition, type PendingReason, type PinFile, type PinStore, type ServerPins, type StoreCap,
} from '../pins/store.js';
import { TOOL_TOO_DEEP, toolTooDeep } from './tool-text.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/** One definition seen in a list, with where it sits. */
interface Seen {
  readonly key: string;
  readonly name: string;
  readonly path: string;
  readonly definition: unknown;
  readonly hash: string;
}

type Kind = 'tools' | 'prompts' | 'templates';

/** Rule ids of pin findings. */
export const PIN_RULES = {
  changed: 'tool-definition-changed',
  newTool: 'new-tool',
  instructions: 'instructions-changed',
  prompt: 'prompt-description-changed',
  template: 'template-description-changed',
  reservedName: 'reserved-tool-name',
  /** The server has `STORE_CAPS.pendingPerServer` pending changes: this one is not recorded, and stays hidden. */
  pendingCap: 'pin-pending-cap',
  /** The definition, or the server's entry with it, is over a size cap of the store: not stored, and hidden. */
  sizeCap: 'pin-size-cap',
} as const;

/** Most removed tool names one log line names. */
const MAX_GONE_NAMED = 20;

/** Receives a note for the log; `warn` for what a person should look at. */
export type PinLog = (msg: string, level?: 'info' | 'warn') => void;

/** A session's capability decision: the set key to record (if any) and the capabilities new to the server. */
interface CapabilityDecision {
  readonly key: string | undefined;
  readonly fresh: readonly string[];
}

/** Scans `initialize`, `tools/list`, `prompts/list` and `resources/templates/list` results against the pins. */
export class PinScanner implements Scanner {
  readonly name = 'drift' as const;
  readonly #store: PinStore;
  readonly #server: string;
  readonly #log: PinLog;
  /** Kinds with nothing pinned when the session started: everything this session shows is pinned (all pages). */
  readonly #firstUse = new Set<Kind>();
  /** Names of the capabilities the client declared in `initialize`; undefined until seen, or when not keyable. */
  #capabilities: string[] | undefined;
  #initializeSeen = false;
  /** Made at the session's first store change and then kept, as the store may replay a mutation. */
  #capDecision: CapabilityDecision | undefined;

  /**
   * @param store the pin store (already loaded once at start, so a corrupt store fails before spawn)
   * @param server the server identity (see src/pins/identity.ts)
   * @param log receives notes such as removed tools
   */
  constructor(store: PinStore, server: string, log: PinLog = () => undefined) {
    this.#store = store;
    this.#server = server;
    this.#log = log;
    const pins = store.server(server);
    for (const kind of ['tools', 'prompts', 'templates'] as const) {
      if (pins === undefined || (Object.keys(pins[kind]).length === 0 && !Object.keys(pins.pending).some((k) => keyKind(k) === kind))) {
        this.#firstUse.add(kind);
      }
    }
  }

  scan(input: ScanInput): Finding[] {
    if (input.direction === 'client-to-server') {
      this.#initializeRequest(input);
      return [];
    }
    const result = input.message.result;
    if (result === null || typeof result !== 'object' || Array.isArray(result)) return [];
    switch (input.context?.method) {
      case 'initialize':
        return this.#instructions(result['instructions']);
      case 'tools/list':
        return this.#list('tools', result['tools'], 'result.tools', (t) => toolPinDefinition(t), !('nextCursor' in result));
      case 'prompts/list':
        return this.#list('prompts', result['prompts'], 'result.prompts', (p) => promptPinDefinition(p), false);
      case 'resources/templates/list':
        return this.#list('templates', result['resourceTemplates'], 'result.resourceTemplates', (t) => templatePinDefinition(t), false);
      default:
        return [];
    }
  }

  /** The client's first `initialize` request: note the capabilities it declares (MCP spec, "Lifecycle"). */
  #initializeRequest(input: ScanInput): void {
    const m = input.message;
    if (m.method !== 'initialize' || m.id === undefined || this.#initializeSeen) return;
    this.#initializeSeen = true;
    const params = m.params;
    this.#capabilities = params !== null && typeof params === 'object' && !Array.isArray(params) ? capabilityNames(params['capabilities']) : undefined;
  }

  /**
   * At the session's first store change, decide whether the client's capability set is
   * new for this server: when it has capabilities that no stored set has, first-use
   * admission is open for this session. No stored sets at all (first use, or a store
   * from before capability keying) admits nothing this way. Then (and on every replay
   * of a mutation) record the set.
   * @returns whether `pins` changed
   */
  #capabilityStep(pins: ServerPins): boolean {
    if (this.#capDecision === undefined) {
      const names = this.#capabilities;
      let key = names === undefined ? undefined : capabilitySetKey(names);
      let fresh: string[] = [];
      const sets = pins.capabilitySets;
      if (key !== undefined && names !== undefined && sets !== undefined && !Object.hasOwn(sets, key)) {
        // A client cannot grow the store without limit by declaring ever new names.
        if (Object.keys(sets).length >= MAX_CAPABILITY_SETS) key = undefined;
        else fresh = newCapabilities(Object.keys(sets), names);
      }
      this.#capDecision = { key, fresh };
    }
    const key = this.#capDecision.key;
    if (key === undefined) return false;
    pins.capabilitySets ??= emptyRecord();
    if (Object.hasOwn(pins.capabilitySets, key)) return false;
    pins.capabilitySets[key] = now();
    return true;
  }

  // The store may run a mutation again (a save deferred by a busy lock): each run starts its findings afresh.
  #instructions(value: unknown): Finding[] {
    if (typeof value !== 'string') return [];
    const hash = pinHash(value);
    const path = 'result.instructions';
    let findings: Finding[] = [];
    this.#store.record((file) => {
      const out: Finding[] = (findings = []);
      const pins = serverPins(file, this.#server);
      const recorded = this.#capabilityStep(pins);
      const budget = new ServerBudget(pins);
      if (pins.instructions === undefined) {
        const cap = budget.admit('instructions', INSTRUCTIONS_KEY, value);
        if (cap !== undefined) {
          out.push(capFinding(cap, path));
          return recorded;
        }
        pins.instructions = { hash, definition: value, pinnedAt: now() };
        return true;
      }
      if (pins.instructions.hash === hash) {
        if (!Object.hasOwn(pins.pending, INSTRUCTIONS_KEY)) return recorded;
        delete pins.pending[INSTRUCTIONS_KEY];
        return true;
      }
      // Changed instructions are drift whatever the client declares.
      out.push({ rule: PIN_RULES.instructions, category: 'drift', severity: 'high', path });
      return recordPending(pins, budget, out, { key: INSTRUCTIONS_KEY, name: INSTRUCTIONS_KEY, path, definition: value, hash }, 'instructions-changed') || recorded;
    }, this.#log);
    return findings;
  }

  #admittedMessage(kind: Kind, names: readonly string[]): string {
    return admittedText(this.#server, kind, names, this.#capDecision?.fresh ?? []);
  }

  #list(kind: Kind, items: unknown, base: string, define: (x: unknown) => unknown, complete: boolean): Finding[] {
    if (!Array.isArray(items)) return [];
    const seen: Seen[] = [];
    const tooDeep: Finding[] = [];
    items.forEach((item: unknown, i) => {
      if (item === null || typeof item !== 'object') return;
      // Too deep to read (or store) whole: never pinned, never shown (see tool-text.ts).
      if (kind === 'tools' && toolTooDeep(item)) {
        tooDeep.push({ rule: TOOL_TOO_DEEP, category: 'drift', severity: 'high', path: joinPath(base, i) });
        return;
      }
      const o = item as Record<string, unknown>;
      const name = kind === 'templates' ? o['uriTemplate'] : o['name'];
      if (typeof name !== 'string') return;
      const definition = define(item);
      const prefix = kind === 'prompts' ? PROMPT_PREFIX : kind === 'templates' ? TEMPLATE_PREFIX : '';
      seen.push({ key: prefix + name, name, path: joinPath(base, i), definition, hash: pinHash(definition) });
    });
    let findings: Finding[] = [...tooDeep];
    let byCapability: string[] = [];
    this.#store.record((file) => {
      const out: Finding[] = (findings = [...tooDeep]);
      const admitted: string[] = (byCapability = []);
      const pins = serverPins(file, this.#server);
      let changed = this.#capabilityStep(pins);
      const fresh = (this.#capDecision?.fresh.length ?? 0) > 0;
      const budget = new ServerBudget(pins);
      const pinned = pins[kind];
      for (const s of seen) {
        const pin = pinned[s.name];
        if (kind === 'tools' && (s.name.startsWith(PROMPT_PREFIX) || s.name.startsWith(TEMPLATE_PREFIX) || s.name === INSTRUCTIONS_KEY)) {
          // Such a name would collide with the store's keys for prompts, templates or instructions.
          out.push({ rule: PIN_RULES.reservedName, category: 'drift', severity: 'high', path: s.path });
          continue;
        }
        if (pin?.hash === s.hash) {
          // Back to the pinned definition: a pending change is stale and must not be approvable.
          if (Object.hasOwn(pins.pending, s.key)) {
            delete pins.pending[s.key];
            changed = true;
          }
          continue;
        }
        const first = this.#firstUse.has(kind);
        // New capabilities: what the server lists for them is pinned as on first use, except what already waits for approval.
        if (pin === undefined && (first || (fresh && !Object.hasOwn(pins.pending, s.key)))) {
          // First use: pin what the server shows, on every page of this session, up to the caps.
          const cap = budget.admit(kind, s.name, s.definition);
          if (cap === undefined) {
            pinned[s.name] = { hash: s.hash, definition: s.definition, pinnedAt: now() };
            if (!first) admitted.push(s.name);
            changed = true;
            continue;
          }
          if (cap === 'size') {
            out.push(capFinding(cap, s.path));
            continue;
          }
          // Past the pin count cap: new, and pending like any tool added after the pin.
        }
        const rule = pin === undefined ? (kind === 'tools' ? PIN_RULES.newTool : ruleFor(kind)) : ruleFor(kind);
        out.push({ rule, category: 'drift', severity: 'high', path: s.path });
        const reason: PendingReason = pin === undefined ? 'new-tool' : kind === 'tools' ? 'drift' : 'description-changed';
        changed = recordPending(pins, budget, out, s, reason) || changed;
      }
      return changed;
    }, this.#log);
    if (byCapability.length > 0) this.#log(this.#admittedMessage(kind, byCapability), 'warn');
    if (complete && kind === 'tools') {
      const names = new Set(seen.map((s) => s.name));
      const gone = Object.keys(this.#store.server(this.#server)?.tools ?? {}).filter((n) => !names.has(n));
      if (gone.length > 0) {
        const more = gone.length > MAX_GONE_NAMED ? ` and ${gone.length - MAX_GONE_NAMED} more` : '';
        this.#log(`server ${this.#server}: pinned tools no longer listed: ${gone.slice(0, MAX_GONE_NAMED).join(', ')}${more}`);
      }
    }
    return findings;
  }
}

/** The warning for items pinned because the client declared capabilities new to the server. */
function admittedText(server: string, kind: Kind, names: readonly string[], fresh: readonly string[]): string {
  const label = kind === 'tools' ? 'tools' : kind === 'prompts' ? 'prompts' : 'resource templates';
  const more = names.length > MAX_GONE_NAMED ? ` and ${names.length - MAX_GONE_NAMED} more` : '';
  return (
    `server ${server}: the client declares capabilities no earlier session declared (${fresh.join(', ')}); ` +
    `pinned ${names.length} ${label} first listed with them: ${names.slice(0, MAX_GONE_NAMED).join(', ')}${more}. ` +
    `Review them with \`mcp-guard pins list ${server}\`; a changed definition of a pinned item is still withheld as drift`
  );
}

/** The finding for an item the store has no room for (it is hidden: drift findings filter their item). */
function capFinding(cap: StoreCap, path: string): Finding {
  return { rule: cap === 'pending' ? PIN_RULES.pendingCap : PIN_RULES.sizeCap, category: 'drift', severity: 'high', path };
}

function ruleFor(kind: Kind): string {
  return kind === 'tools' ? PIN_RULES.changed : kind === 'prompts' ? PIN_RULES.prompt : PIN_RULES.template;
}

function keyKind(key: string): Kind {
  return key.startsWith(PROMPT_PREFIX) ? 'prompts' : key.startsWith(TEMPLATE_PREFIX) ? 'templates' : 'tools';
}

function now(): string {
  return new Date().toISOString();
}

function serverPins(file: PinFile, server: string): ServerPins {
  if (!Object.hasOwn(file.servers, server)) file.servers[server] = emptyServerPins(now());
  const pins = file.servers[server] as ServerPins;
  pins.updated = now();
  return pins;
}

/**
 * Record a blocked change, if the store has room (else a cap finding goes to `out` and
 * nothing is stored: the item stays hidden all the same). Returns whether the file changed.
 */
function recordPending(pins: ServerPins, budget: ServerBudget, out: Finding[], s: Seen, reason: PendingReason): boolean {
  const prior = pins.pending[s.key];
  if (prior?.hash === s.hash) return false;
  const cap = budget.admit('pending', s.key, s.definition);
  if (cap !== undefined) {
    out.push(capFinding(cap, s.path));
    return false;
  }
  pins.pending[s.key] = { hash: s.hash, definition: s.definition, seenAt: now(), reason };
  return true;
}
