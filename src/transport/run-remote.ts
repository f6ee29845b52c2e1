/**
 * `mcp-guard proxy --upstream URL` and `mcp-guard proxy --listen ADDR (--upstream URL | -- COMMAND)`:
 * the relay and its chain as for a stdio child, with an HTTP transport under it.
 *
 * - `--upstream` alone: the agent speaks stdio to us; one {@link HttpUpstream} is the server.
 * - `--listen`: clients speak Streamable HTTP to us; every client session gets its own
 *   relay, chain (session binding, drift state), pending map and server: its own
 *   {@link HttpUpstream} session, or its own child process.
 */
import type { Readable, Writable } from 'node:stream';
import type { ProxyRunOptions } from '../proxy/run-proxy.js';
import { EXIT_AUDIT_FLUSH_MS, EXIT_PIN_FLUSH_MS } from '../proxy/run-proxy.js';
import { Relay } from '../proxy/relay.js';
import { ScanChain, type ChainOptions } from '../scan/chain.js';
import type { AuditLog } from '../log/audit.js';
import { openAuditLog } from '../log/open-audit.js';
import { spawnChild } from '../proxy/child-process.js';
import type { ChildEnv } from '../proxy/env.js';
import type { GuardConfig } from '../config/normalize.js';
import type { CompiledRule } from '../scan/rule-pack.js';
import type { PinStore } from '../pins/store.js';
import { serverIdentity } from '../pins/identity.js';
import { HttpUpstream, type UpstreamTransport } from './http-upstream.js';
import { headerSecrets, resolveHeaderSecrets, type UpstreamHeader } from './headers.js';
import { ListenServer, MCP_PATH, type SessionBackend } from './listen.js';
import type { ListenAddress } from './listen-guard.js';

/** The transport options of `proxy`, checked by the CLI. */
export interface RemoteOptions {
  readonly upstream?: { readonly url: URL; readonly headers: readonly UpstreamHeader[]; readonly transport: UpstreamTransport; readonly warnings: readonly string[] } | undefined;
  readonly listen?: { readonly address: ListenAddress; readonly token: string | undefined; readonly allowOrigins: readonly string[]; readonly warnings: readonly string[] } | undefined;
}

/** What `runProxy` has loaded and checked before the transport starts. */
export interface Prepared {
  readonly config: GuardConfig;
  readonly warnings: readonly string[];
  readonly source: { kind: string; path?: string };
  readonly rules: readonly CompiledRule[];
  readonly store: PinStore | undefined;
  readonly stateNote: string | undefined;
  readonly childEnv: ChildEnv;
  /** Values of `--env NAME=secret:…` / `env.secrets` (issue 16): masked like the chain masks them for a stdio child. */
  readonly storedSecrets: Readonly<Record<string, string>>;
  /** Where a child's stderr goes (masked when there are stored secrets). */
  readonly childStderr: NodeJS.WritableStream;
}

/** A session's server: an upstream HTTP session or a child process. */
interface Backend {
  readonly serverIn: Writable;
  readonly serverOut: Readable;
  readonly exited: Promise<{ status: number; reason: string }>;
  shutdown(): void;
  /** A child's output is read by the relay from now on (child-process.ts `attached`). */
  attached?(): void;
}

/**
 * Run `--upstream` over stdio, or `--listen`, to completion.
 * @returns the exit status: 0 when the client (or a signal, for `--listen`) ended it,
 *   1 when the upstream went away, a child's status in the stdio-child case
 * @throws GuardError `CONFIG_INVALID` (audit log), `SPAWN_FAILED` (listen with a command, at the first session)
 */
export async function runRemote(o: ProxyRunOptions, given: RemoteOptions, p: Prepared): Promise<number> {
  const { config, rules, store } = p;
  // Header values may name stored secrets (`secret:NAME`, as setup --move-secrets writes them).
  const r: RemoteOptions = given.upstream === undefined ? given : { ...given, upstream: { ...given.upstream, headers: await resolveHeaderSecrets(given.upstream.headers, o.env, config.secretStore) } };
  const identity = r.upstream !== undefined ? serverIdentity(o.name, 'upstream', [r.upstream.url.href], rules) : serverIdentity(o.name, o.command, o.args, rules);
  const server = identity.id;
  const secrets = new Set<string>(headerSecrets(r.upstream?.headers ?? []));
  if (r.listen?.token !== undefined) secrets.add(r.listen.token);
  const chains = new Set<ScanChain>();
  const log = openAuditLog(config, server, o.stderr, () => [...secrets, ...[...chains].flatMap((c) => c.secretValues())]);
  const late: { log?: AuditLog } = { log };
  const pins = store ? { store, server, log: (msg: string, level?: 'info' | 'warn') => (level === 'warn' ? late.log?.warn(msg) : late.log?.info(msg)) } : undefined;
  for (const v of Object.values(p.storedSecrets)) secrets.add(v);
  for (const w of [...p.warnings, ...(p.stateNote !== undefined ? [p.stateNote] : []), ...(r.upstream?.warnings ?? []), ...(r.listen?.warnings ?? [])]) log.warn(w);
  await log.ready(EXIT_AUDIT_FLUSH_MS); // syslog/OTLP exporters, when configured, as runProxy does

  /** One session: its own chain and relay over the given client streams. */
  const session = (clientIn: Readable, clientOut: Writable, backend: Backend): { relay: Relay; chain: ScanChain } => {
    const chain = sessionChain(o, server, config, rules, pins, p.storedSecrets);
    chains.add(chain);
    chain.warmUp();
    const relay = new Relay({
      clientIn,
      clientOut,
      serverIn: backend.serverIn,
      serverOut: backend.serverOut,
      chain,
      log,
      maxFrameBytes: config.maxFrameBytes,
      onParseError: config.input.onParseError,
      observer: o.observer,
      ask: config.ask,
    });
    backend.serverIn.on('error', () => {
      // EPIPE from a child that has gone; its exit is handled by the caller.
    });
    return { relay, chain };
  };

  const upstream = (): Backend => {
    const u = r.upstream as NonNullable<RemoteOptions['upstream']>;
    const h = new HttpUpstream({ url: u.url, headers: u.headers, transport: u.transport, maxFrameBytes: config.maxFrameBytes, log });
    return { serverIn: h.serverIn, serverOut: h.serverOut, exited: h.exited, shutdown: () => void h.shutdown() };
  };
  const started = { config: p.source.kind === 'file' ? p.source.path : 'built-in defaults', rules: rules.length, enforce: config.enforce, pins: store?.path ?? 'off' };

  if (r.listen === undefined) {
    const backend = upstream();
    const { relay, chain } = session(o.stdin, o.stdout, backend);
    log.info('proxy started', { ...started, upstream: server, rules: chain.ruleCount });
    void relay.start().then(() => backend.shutdown());
    // A signal ends the upstream session properly (DELETE) instead of killing the proxy mid-way.
    const stop = (): void => backend.shutdown();
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    if (o.forwardSignals ?? true) for (const sig of signals) process.on(sig, stop);
    const exit = await backend.exited;
    if (o.forwardSignals ?? true) for (const sig of signals) process.off(sig, stop);
    relay.serverExited();
    await store?.flush(EXIT_PIN_FLUSH_MS);
    (exit.status === 0 ? log.info.bind(log) : log.warn.bind(log))(`upstream session ended: ${exit.reason}`);
    await log.close(EXIT_AUDIT_FLUSH_MS);
    o.stdin.pause();
    o.stdin.destroy();
    return exit.status;
  }

  const listener = new ListenServer({
    address: r.listen.address,
    token: r.listen.token,
    allowOrigins: r.listen.allowOrigins,
    maxFrameBytes: config.maxFrameBytes,
    log,
    openSession: ({ id, clientIn, clientOut }): SessionBackend => {
      let backend: Backend | undefined;
      let chain: ScanChain | undefined;
      const closed = (async (): Promise<void> => {
        backend = r.upstream !== undefined ? upstream() : await childBackend(o, p.childEnv, p.childStderr, log, id);
        const s = session(clientIn, clientOut, backend);
        chain = s.chain;
        void s.relay.start().then(() => backend?.shutdown());
        backend.attached?.();
        const exit = await backend.exited;
        s.relay.serverExited();
        log.info(`session ${id}: ${exit.reason}`, { session: id });
      })()
        .catch((err: Error) => log.warn(`session ${id} could not start: ${err.message}`, { session: id }))
        .finally(() => {
          if (chain !== undefined) chains.delete(chain);
        });
      return { closed, close: () => backend?.shutdown() };
    },
  });
  const address = await listener.start();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info(`listening on http://${host}:${address.port}${MCP_PATH}`, { ...started, listen: `${host}:${address.port}`, auth: r.listen.token !== undefined ? 'bearer' : 'none', backend: r.upstream !== undefined ? server : 'child per session' });
  await new Promise<void>((ok) => {
    const stop = (): void => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, stop);
      ok();
    };
    if (o.forwardSignals ?? true) for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, stop);
  });
  log.info('listen: stopping');
  await listener.close();
  await store?.flush(EXIT_PIN_FLUSH_MS);
  await log.close(EXIT_AUDIT_FLUSH_MS);
  return 0;
}

/** A child process per `--listen` session (`-- COMMAND`). */
async function childBackend(o: ProxyRunOptions, env: ChildEnv, stderr: NodeJS.WritableStream, log: AuditLog, session: string): Promise<Backend> {
  const child = await spawnChild(o.command, o.args, env.env, { stderr, cwd: o.cwd });
  log.info('server started', { session, pid: child.process.pid });
  return {
    serverIn: child.process.stdin as Writable,
    serverOut: child.stdout,
    exited: child.exited.then((e) => ({ status: e.status, reason: `server exited with status ${e.status}` })),
    shutdown: () => child.shutdown(),
    attached: () => child.attached(),
  };
}

/*
 * The two helpers below build a session's chain and the audit log exactly as runProxy
 * (run-proxy.ts) does for a stdio child; keep them in step with it.
 */

/**
 * The scanner chain of one session (it holds drift state and the session binding).
 * @throws GuardError `RULES_INVALID` when a user pattern cannot be compiled
 */
function sessionChain(o: ProxyRunOptions, server: string, config: GuardConfig, rules: readonly CompiledRule[], pins: ChainOptions['pins'], storedSecrets: Readonly<Record<string, string>>): ScanChain {
  // The same options as runProxy's chain: `server` and `cwd` feed guard_policy (per-server lists, relative paths).
  return new ScanChain({ config, env: o.env, rules, requireList: true, storedSecrets, server, cwd: o.cwd, ...(pins ? { pins } : {}) });
}

