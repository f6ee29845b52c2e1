/**
 * `mcp-guard proxy`: load config, build the scanner chain, spawn the server,
 * relay until the client's input ends or the server exits, and report the
 * server's exit status.
 */
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import type { ScanChain } from '../scan/chain.js';
import { loadBuiltinRules } from '../scan/rule-pack.js';
import type { AuditLog } from '../log/audit.js';
import { MAX_SETTINGS_NAMED, buildChildEnv, parseEnvSpecs, withheldSettings } from './env.js';
import { EXIT_OUTPUT_GRACE_MS, spawnChild } from './child-process.js';
import { Relay, type FrameObserver } from './relay.js';
import { PinStore, defaultPinStorePath } from '../pins/store.js';
import type { serverIdentity as ServerIdentity } from '../pins/identity.js';
import { secureStateDir } from '../private-fs.js';
import { resolveSecretSpecs } from '../secrets/resolve.js';
import type { RemoteOptions } from '../transport/run-remote.js';

/** The masking stderr for a server given stored secrets (loaded only then). */
async function maskedStderr(out: NodeJS.WritableStream, stored: Readonly<Record<string, string>>): Promise<{ write(c: Buffer | string): boolean; flush(): void }> {
  const [{ MaskingWriter }, { EnvSecrets }] = await Promise.all([import('../secrets/stderr-mask.js'), import('../scan/env-secrets.js')]);
  return new MaskingWriter(out, new EnvSecrets({}, stored, false).storedValues());
}

/** A non-zero exit this soon after start (ms) triggers the withheld-variables hint. */
export const EARLY_EXIT_MS = 5000;
/** At exit, how long pins whose saving a busy lock deferred may still wait for it (ms). */
export const EXIT_PIN_FLUSH_MS = 1000;
/** At exit, how long the audit exporters (syslog, OTLP) may take to hand over what they hold (ms). */
export const EXIT_AUDIT_FLUSH_MS = 1500;

/** Options of `mcp-guard proxy`. */
export interface ProxyRunOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly configPath?: string | undefined;
  readonly name?: string | undefined;
  /** `--env NAME[=VALUE]` values. */
  readonly envSpecs: readonly string[];
  readonly inheritEnv: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: NodeJS.WritableStream;
  /** Forward these process signals to the child (default: true, uses `process`). */
  readonly forwardSignals?: boolean;
  readonly observer?: FrameObserver | undefined;
  /** `--upstream` / `--listen` (src/transport/run-remote.ts); `command` is '' when there is no child. */
  readonly remote?: RemoteOptions | undefined;
}

/**
 * Run the proxy to completion.
 * @returns the exit status: the child's, or 128 + signal
 * @throws GuardError `CONFIG_*` / `RULES_INVALID` / `ENV_REFUSED` / `USAGE` before
 *   anything is spawned, and `SPAWN_FAILED` when the command cannot start
 */
export async function runProxy(o: ProxyRunOptions): Promise<number> {
  // Everything that can be wrong with the setup is checked before the server is spawned:
  // --env, the config (including user regexes), the rule packs and the pin store.
  const specs = parseEnvSpecs(o.envSpecs);
  const { config, warnings, source } = loadConfig({ path: o.configPath, env: o.env, cwd: o.cwd });
  const rules = loadBuiltinRules();
  const store = config.pins.enabled ? new PinStore(config.pins.store ?? defaultPinStorePath(o.env)) : undefined;
  // The default store's directory is mcp-guard's own: narrow a loose one (a chosen pins.store's folder is the user's).
  const stateNote = store !== undefined && config.pins.store === undefined ? secureStateDir(dirname(store.path)) : undefined;
  store?.load(); // an unreadable or corrupt store is a startup error
  // `--env NAME=secret:…` and env.secrets: read from the store now, so a missing one stops us before the spawn.
  const secrets = await resolveSecretSpecs(specs, config.envSecrets, { env: o.env, configStore: config.secretStore });
  const childEnv = buildChildEnv(o.env, { specs: secrets.specs, passthrough: config.envPassthrough, inheritAll: o.inheritEnv });
  // A server must not write a stored secret into the agent's logs either: its stderr is masked then.
  const stderrMask = Object.keys(secrets.stored).length > 0 ? await maskedStderr(o.stderr, secrets.stored) : undefined;
  // --upstream / --listen (src/transport): the same chain and log, another transport under the relay.
  if (o.remote !== undefined) {
    const childStderr = (stderrMask as NodeJS.WritableStream | undefined) ?? o.stderr;
    return (await import('../transport/run-remote.js')).runRemote(o, o.remote, { config, warnings, source, rules, store, stateNote, childEnv, storedSecrets: secrets.stored, childStderr });
  }
  const child = await spawnChild(o.command, o.args, childEnv.env, { stderr: (stderrMask as NodeJS.WritableStream | undefined) ?? o.stderr, cwd: o.cwd });
  // ms from our process start until the child was spawned (the start-up cost).
  const startupMs = Math.round(performance.now() * 10) / 10;
  // Forwarded from the moment the server exists: a SIGTERM while the chain still loads must
  // reach the server (its own process group), not kill us and leave it running.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (sig: NodeJS.Signals): void => child.signal(sig);
  if (o.forwardSignals ?? true) for (const s of signals) process.on(s, forward);

  // The rest is built while the server boots; its output waits in the pipe until the relay
  // starts (the child's exit grace period waits for `child.attached()`). The chain's modules
  // (decoders, scorers, fast path) load only now, after the spawn: the agent starts the proxy
  // on every launch, and the server's own start-up overlaps this.
  let chain: ScanChain;
  let log: AuditLog;
  let identity: ReturnType<typeof ServerIdentity>;
  try {
    const [{ ScanChain }, { openAuditLog }, { serverIdentity }] = await Promise.all([
      import('../scan/chain.js'),
      import('../log/open-audit.js'),
      import('../pins/identity.js'),
    ]);
    identity = serverIdentity(o.name, o.command, o.args, rules);
    const server = identity.id;
    const late: { log?: AuditLog } = {};
    const pins = store ? { store, server, log: (msg: string, level?: 'info' | 'warn') => (level === 'warn' ? late.log?.warn(msg) : late.log?.info(msg)) } : undefined;
    chain = new ScanChain({ config, env: o.env, rules, requireList: true, storedSecrets: secrets.stored, server, cwd: o.cwd, ...(pins ? { pins } : {}) });
    log = openAuditLog(config, server, o.stderr, () => chain.secretValues());
    late.log = log;
  } catch (err) {
    child.signal('SIGKILL');
    child.stdout.resume();
    child.attached();
    await child.exited;
    if (o.forwardSignals ?? true) for (const s of signals) process.off(s, forward);
    throw err;
  }
  for (const w of stateNote !== undefined ? [...warnings, stateNote] : warnings) log.warn(w);
  log.info('proxy started', {
    pid: child.process.pid,
    startup_ms: startupMs,
    config: source.kind === 'file' ? source.path : 'built-in defaults',
    rules: chain.ruleCount,
    enforce: config.enforce,
    identity: identity.derived ? 'derived from the command' : '--name',
    pins: store?.path ?? 'off',
    ...(secrets.store !== undefined ? { stored_secrets: Object.keys(secrets.stored), secret_store: secrets.store } : {}),
  });
  // A withheld setting makes a server fall back silently (server-memory then writes into npx's cache): say so now, not only on a crash.
  const settings = withheldSettings(childEnv.withheld);
  if (settings.length > 0) {
    const named = settings.slice(0, MAX_SETTINGS_NAMED);
    const more = settings.length > named.length ? ` and ${settings.length - named.length} more` : '';
    log.warn(
      `withheld from the server (names only): ${named.join(', ')}${more}. They look like settings (*_PATH, *_DIR, *_FILE, *_URL); if the server needs one, pass it with --env ${named[0] as string} or config env.passthrough`,
      { withheld_settings: named },
    );
  }

  chain.warmUp();
  await log.ready(EXIT_AUDIT_FLUSH_MS); // syslog/OTLP exporters, when configured: loaded while the server boots, not mid-session
  const relay = new Relay({
    clientIn: o.stdin,
    clientOut: o.stdout,
    serverIn: child.process.stdin as Writable,
    serverOut: child.stdout,
    chain,
    log,
    maxFrameBytes: config.maxFrameBytes,
    onParseError: config.input.onParseError,
    observer: o.observer,
    ask: config.ask,
  });
  child.process.stdin?.on('error', () => {
    // EPIPE when the server has gone; its exit is handled below.
  });

  void relay.start().then(() => child.shutdown());
  child.attached();
  const exit = await child.exited;
  stderrMask?.flush();
  relay.serverExited();
  if (o.forwardSignals ?? true) for (const s of signals) process.off(s, forward);
  await store?.flush(EXIT_PIN_FLUSH_MS);

  const fields = { code: exit.code, signal: exit.signal, uptime_ms: exit.uptimeMs };
  if (exit.outputHeld) {
    log.warn(
      `server exited, but a process outside its process group (started with setsid or detached) still holds its output; stopped waiting after ${EXIT_OUTPUT_GRACE_MS} ms and closed the pipes`,
      fields,
    );
  }
  if (exit.status !== 0 && exit.uptimeMs < EARLY_EXIT_MS && childEnv.withheld.length > 0 && !o.inheritEnv) {
    log.warn(
      `server exited with status ${exit.status} shortly after start. If it needs environment variables, pass them with --env NAME or env.passthrough. Withheld: ${childEnv.withheld.join(', ')}`,
      fields,
    );
  } else {
    log.info('server exited', fields);
  }
  await log.close(EXIT_AUDIT_FLUSH_MS);
  // Nothing more is read from the client. Pausing alone does not always stop a socket
  // stdin from reading (Node stops it a tick later, and only if nothing resumed it),
  // and a handle still reading keeps the process alive after the server has exited.
  o.stdin.pause();
  o.stdin.destroy();
  return exit.status;
}
