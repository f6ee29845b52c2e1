/**
 * Pins keyed by client capabilities. @modelcontextprotocol/server-everything lists
 * get-roots-list, trigger-elicitation-request and trigger-sampling-request only to
 * clients that declare roots, elicitation or sampling. Real SDK Clients with
 * different capabilities share one state dir through the built CLI: the first
 * declares none and pins 13 tools; a later one that declares them gets the three
 * (pinned, with a warning), while rug-pull detection stays as it was: a changed
 * pinned definition is drift under new capabilities, and a tool that appears under
 * capabilities already seen is `new-tool`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { MAX_CAPABILITY_SETS, capabilityNames, capabilitySetKey, newCapabilities } from '../../src/pins/capabilities.js';
import { PinStore, emptyServerPins, toolPinDefinition } from '../../src/pins/store.js';
import { PinScanner } from '../../src/scan/pin-scanner.js';
import type { Finding } from '../../src/scan/types.js';
import { BIN, EVERYTHING, tempDir } from '../helpers.js';
import { ADD, ECHO, SPY, T0, pinned } from './helpers.js';

const CONDITIONAL = ['get-roots-list', 'trigger-elicitation-request', 'trigger-sampling-request'];
const FULL: ClientCapabilities = { roots: {}, sampling: {}, elicitation: {} };

interface Session {
  readonly tools: string[];
  /** Everything the proxy and the server wrote on stderr. */
  readonly stderr: string;
}

/** One agent session through `mcp-guard proxy --name everything` that declares `capabilities` and lists the tools. */
async function run(state: string, capabilities: ClientCapabilities): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', '--name', 'everything', '--', process.execPath, EVERYTHING, 'stdio'],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: state },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const client = new Client({ name: 'mcp-guard-test', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  let tools: string[];
  try {
    tools = (await client.listTools()).tools.map((t) => t.name);
  } finally {
    await client.close();
  }
  return { tools, stderr };
}

interface StoredServer {
  tools: Record<string, { hash: string; definition: unknown }>;
  pending: Record<string, { reason: string }>;
  capabilitySets?: Record<string, string>;
}

const storePath = (state: string): string => join(state, 'mcp-guard', 'pins.json');
function readStore(state: string): { servers: Record<string, StoredServer> } {
  return JSON.parse(readFileSync(storePath(state), 'utf8')) as { servers: Record<string, StoredServer> };
}
function editServer(state: string, edit: (s: StoredServer) => void): void {
  const file = readStore(state);
  edit(file.servers['everything'] as StoredServer);
  writeFileSync(storePath(state), JSON.stringify(file, null, 2));
}

/** The proxy's findings on `tools/list` frames, as `rule@path`. */
function listFindings(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"decision"')) continue;
    const e = JSON.parse(line) as { method?: string; findings?: Array<{ rule: string; path: string }> };
    if (e.method !== 'tools/list') continue;
    for (const f of e.findings ?? []) out.push(`${f.rule}@${f.path}`);
  }
  return out;
}

describe('pins keyed by client capabilities (server-everything, two clients, one state dir)', () => {
  it('admits the tools a new capability set brings, and still withholds drift and new tools', async () => {
    const state = tempDir();
    const first = await run(state, {});
    expect(first.tools).toHaveLength(13);
    for (const t of CONDITIONAL) expect(first.tools).not.toContain(t);

    // A rug pull on a pinned tool between the sessions.
    editServer(state, (s) => {
      (s.tools['echo'] as { hash: string }).hash = '0'.repeat(64);
    });

    const second = await run(state, FULL);
    for (const t of CONDITIONAL) expect(second.tools).toContain(t);
    expect(second.tools).not.toContain('echo'); // drift under new capabilities is still drift
    expect(second.tools).toHaveLength(15);
    const warning = second.stderr.split('\n').find((l) => l.includes('no earlier session declared'));
    expect(warning).toBeDefined();
    const w = JSON.parse(warning as string) as { level: number; msg: string };
    expect(w.level).toBe(40);
    expect(w.msg).toContain('(elicitation, roots, sampling)');
    expect(w.msg).toContain('pinned 3 tools first listed with them: get-roots-list, trigger-elicitation-request, trigger-sampling-request');
    expect(listFindings(second.stderr).filter((f) => f.startsWith('new-tool'))).toEqual([]);
    expect(listFindings(second.stderr).some((f) => f.startsWith('tool-definition-changed'))).toBe(true);
    const after = readStore(state).servers['everything'] as StoredServer;
    for (const t of CONDITIONAL) expect(after.tools[t]).toBeDefined();
    expect(Object.keys(after.pending)).toEqual(['echo']);
    expect(Object.keys(after.capabilitySets ?? {}).sort()).toEqual(['', 'elicitation,roots,sampling']);

    // A tool that is not pinned, under a capability set already seen: new-tool, withheld.
    editServer(state, (s) => {
      delete s.tools['get-sum'];
    });
    for (const caps of [FULL, {}, { roots: {} }]) {
      const again = await run(state, caps);
      expect(again.tools).not.toContain('get-sum');
      expect(again.tools).not.toContain('echo');
      expect(listFindings(again.stderr).some((f) => f.startsWith('new-tool'))).toBe(true);
      expect(again.stderr).not.toContain('no earlier session declared');
    }
    expect((readStore(state).servers['everything'] as StoredServer).pending['get-sum']?.reason).toBe('new-tool');

    // A sub-capability counts: elicitation.url brings trigger-url-elicitation; the pending get-sum stays withheld.
    const url = await run(state, { ...FULL, elicitation: { url: {} } });
    expect(url.tools).toContain('trigger-url-elicitation');
    expect(url.tools).not.toContain('get-sum');
    expect(url.stderr).toContain('(elicitation.url)');
  }, 60_000);
});

describe('capability names', () => {
  it('takes top-level keys and one level of sub-keys, sorted', () => {
    expect(capabilityNames({})).toEqual([]);
    expect(capabilityNames({ sampling: {}, roots: { listChanged: true }, elicitation: { form: {}, url: {} } })).toEqual([
      'elicitation', 'elicitation.form', 'elicitation.url', 'roots', 'roots.listChanged', 'sampling',
    ]);
    expect(capabilitySetKey(['sampling', 'roots'])).toBe('roots,sampling');
    expect(capabilitySetKey([])).toBe('');
  });

  it('refuses what it cannot key', () => {
    expect(capabilityNames(undefined)).toBeUndefined();
    expect(capabilityNames([])).toBeUndefined();
    expect(capabilityNames({ experimental: { 'a,b': {} } })).toBeUndefined();
    expect(capabilityNames({ ['x'.repeat(65)]: {} })).toBeUndefined();
    expect(capabilityNames(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, true])))).toBeUndefined();
  });

  it('new capabilities are those no stored set has', () => {
    expect(newCapabilities(['', 'roots'], ['roots', 'sampling'])).toEqual(['sampling']);
    expect(newCapabilities(['roots', 'sampling'], ['roots', 'sampling'])).toEqual([]);
  });
});

describe('capability admission in-process (PinScanner)', () => {
  const init = (capabilities: unknown): Parameters<PinScanner['scan']>[0] => ({
    direction: 'client-to-server',
    message: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 't', version: '1' } } as never },
  });
  const list = (tools: unknown[]): Parameters<PinScanner['scan']>[0] => ({
    direction: 'server-to-client',
    message: { jsonrpc: '2.0', id: 2, result: { tools } as never },
    context: { method: 'tools/list' },
  });
  /** A store with ADD and ECHO pinned and `sets` recorded (undefined: a store from before capability keying). */
  function seeded(sets: Record<string, string> | undefined): PinStore {
    const store = new PinStore(join(tempDir(), 'pins.json'));
    store.update((file) => {
      const pins = emptyServerPins(T0);
      pins.tools['add'] = pinned(toolPinDefinition(ADD));
      pins.tools['echo'] = pinned(toolPinDefinition(ECHO));
      if (sets !== undefined) pins.capabilitySets = sets;
      file.servers['s'] = pins;
    });
    return store;
  }
  const session = (store: PinStore, capabilities: unknown): { findings: Finding[]; log: string[] } => {
    const log: string[] = [];
    const scanner = new PinScanner(store, 's', (msg, level) => log.push(`${level ?? 'info'} ${msg}`));
    scanner.scan(init(capabilities));
    return { findings: scanner.scan(list([ADD, ECHO, SPY])), log };
  };

  it('admits a tool listed with a new capability, with a warning', () => {
    const store = seeded({ '': T0 });
    const { findings, log } = session(store, { sampling: {} });
    expect(findings).toEqual([]);
    expect(log.filter((l) => l.startsWith('warn'))).toEqual([expect.stringContaining('(sampling); pinned 1 tools first listed with them: spy')]);
    expect(store.load().servers['s']?.tools['spy']).toBeDefined();
  });

  it('a store from before capability keying admits nothing: the set is recorded and the tool is new', () => {
    const store = seeded(undefined);
    expect(session(store, { sampling: {} }).findings.map((f) => f.rule)).toEqual(['new-tool']);
    expect(Object.keys(store.load().servers['s']?.capabilitySets ?? {})).toEqual(['sampling']);
  });

  it('a client without initialize, or with capabilities it cannot key, admits nothing', () => {
    const store = seeded({ '': T0 });
    const scanner = new PinScanner(store, 's');
    expect(scanner.scan(list([ADD, ECHO, SPY])).map((f) => f.rule)).toEqual(['new-tool']);
    expect(session(store, { experimental: { 'x,y': {} } }).findings.map((f) => f.rule)).toEqual(['new-tool']);
  });

  it(`stores at most ${MAX_CAPABILITY_SETS} sets; past that a new set admits nothing`, () => {
    const sets = Object.fromEntries(Array.from({ length: MAX_CAPABILITY_SETS }, (_, i) => [`c${i}`, T0]));
    const store = seeded(sets);
    expect(session(store, { sampling: {} }).findings.map((f) => f.rule)).toEqual(['new-tool']);
    expect(Object.keys(store.load().servers['s']?.capabilitySets ?? {})).toHaveLength(MAX_CAPABILITY_SETS);
  });
});
