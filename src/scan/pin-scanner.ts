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
 */
import { joinPath } from './json-walk.js';
import {
  INSTRUCTIONS_KEY, PROMPT_PREFIX, TEMPLATE_PREFIX, emptyServerPins, pinHash, promptPinDefinition,
  templatePinDefinition, toolPinDefinition, type PendingReason, type PinFile, type PinStore, type ServerPins,
} from '../pins/store.js';
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
} as const;

/** Scans `initialize`, `tools/list`, `prompts/list` and `resources/templates/list` results against the pins. */
export class PinScanner implements Scanner {
  readonly name = 'drift' as const;
  readonly #store: PinStore;
  readonly #server: string;
  readonly #log: (msg: string) => void;
  /** Kinds with nothing pinned when the session started: everything this session shows is pinned (all pages). */
  readonly #firstUse = new Set<Kind>();

  /**
   * @param store the pin store (already loaded once at start, so a corrupt store fails before spawn)
   * @param server the server identity (see src/pins/identity.ts)
   * @param log receives notes such as removed tools
   */
  constructor(store: PinStore, server: string, log: (msg: string) => void = () => undefined) {
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
    if (input.direction !== 'server-to-client') return [];
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

  #instructions(value: unknown): Finding[] {
    if (typeof value !== 'string') return [];
    const hash = pinHash(value);
    const findings: Finding[] = [];
    this.#store.update((file) => {
      const pins = serverPins(file, this.#server);
      if (pins.instructions === undefined) {
        pins.instructions = { hash, definition: value, pinnedAt: now() };
        return true;
      }
      if (pins.instructions.hash === hash) {
        if (!Object.hasOwn(pins.pending, INSTRUCTIONS_KEY)) return false;
        delete pins.pending[INSTRUCTIONS_KEY];
        return true;
      }
      findings.push({ rule: PIN_RULES.instructions, category: 'drift', severity: 'high', path: 'result.instructions' });
      return recordPending(pins, INSTRUCTIONS_KEY, hash, value, 'instructions-changed');
    });
    return findings;
  }

  #list(kind: Kind, items: unknown, base: string, define: (x: unknown) => unknown, complete: boolean): Finding[] {
    if (!Array.isArray(items)) return [];
    const seen: Seen[] = [];
    items.forEach((item: unknown, i) => {
      if (item === null || typeof item !== 'object') return;
      const o = item as Record<string, unknown>;
      const name = kind === 'templates' ? o['uriTemplate'] : o['name'];
      if (typeof name !== 'string') return;
      const definition = define(item);
      const prefix = kind === 'prompts' ? PROMPT_PREFIX : kind === 'templates' ? TEMPLATE_PREFIX : '';
      seen.push({ key: prefix + name, name, path: joinPath(base, i), definition, hash: pinHash(definition) });
    });
    const findings: Finding[] = [];
    this.#store.update((file) => {
      const pins = serverPins(file, this.#server);
      const pinned = pins[kind];
      let changed = false;
      for (const s of seen) {
        const pin = pinned[s.name];
        if (kind === 'tools' && (s.name.startsWith(PROMPT_PREFIX) || s.name.startsWith(TEMPLATE_PREFIX) || s.name === INSTRUCTIONS_KEY)) {
          // Such a name would collide with the store's keys for prompts, templates or instructions.
          findings.push({ rule: PIN_RULES.reservedName, category: 'drift', severity: 'high', path: s.path });
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
        if (pin === undefined && this.#firstUse.has(kind)) {
          // First use: pin what the server shows, on every page of this session.
          pinned[s.name] = { hash: s.hash, definition: s.definition, pinnedAt: now() };
          changed = true;
          continue;
        }
        const rule = pin === undefined ? (kind === 'tools' ? PIN_RULES.newTool : ruleFor(kind)) : ruleFor(kind);
        findings.push({ rule, category: 'drift', severity: 'high', path: s.path });
        const reason: PendingReason = pin === undefined ? 'new-tool' : kind === 'tools' ? 'drift' : 'description-changed';
        changed = recordPending(pins, s.key, s.hash, s.definition, reason) || changed;
      }
      if (complete && kind === 'tools') {
        const names = new Set(seen.map((s) => s.name));
        const gone = Object.keys(pinned).filter((n) => !names.has(n));
        if (gone.length > 0) this.#log(`server ${this.#server}: pinned tools no longer listed: ${gone.join(', ')}`);
      }
      return changed;
    });
    return findings;
  }
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

/** Record a blocked change; returns whether the file changed. */
function recordPending(pins: ServerPins, key: string, hash: string, definition: unknown, reason: PendingReason): boolean {
  const prior = pins.pending[key];
  if (prior?.hash === hash) return false;
  pins.pending[key] = { hash, definition, seenAt: now(), reason };
  return true;
}
