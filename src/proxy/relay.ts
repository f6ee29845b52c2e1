/**
 * The relay: frames both directions, runs the scanner chain on each frame and
 * forwards allowed frames byte for byte, in order. Each direction has its own
 * framer and backpressure (the source is paused while its destination drains),
 * so one direction never blocks the other.
 *
 * Streams are injected, so tests can drive a relay in-process.
 */
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { LineFramer, type OversizedLine, type RawLine } from './framer.js';
import { BLOCKED, INVALID_REQUEST, PARSE_ERROR, SERVER_EXITED, blockData, blockMessage, errorLine, publicFindings, sniffId } from './jsonrpc.js';
import { GuardSession } from './session.js';
import { applyRedactions, parsePath } from './redact.js';
import type { ScanChain, Verdict } from '../scan/chain.js';
import { RootsRequester, type RootsAnswer } from '../policy/roots.js';
import { maskAll } from '../scan/mask.js';
import type { AuditLog } from '../log/audit.js';
import type { Direction, Finding, JsonRpcMessage } from '../scan/types.js';
import { Asker } from './ask.js';
import type { AskConfig } from '../config/ask-schema.js';
import type { SessionDecision } from './session.js';

/** Called with the line text of every frame that parsed as JSON, before a decision (for `--record`). */
export type FrameObserver = (from: 'client' | 'server', line: string) => void;

/** Relay wiring. */
export interface RelayOptions {
  /** Agent → proxy (normally process.stdin). */
  readonly clientIn: Readable;
  /** Proxy → agent (normally process.stdout). */
  readonly clientOut: Writable;
  /** Proxy → server (the child's stdin). */
  readonly serverIn: Writable;
  /** Server → proxy (the child's stdout). */
  readonly serverOut: Readable;
  readonly chain: ScanChain;
  readonly log: AuditLog;
  /** Largest frame in bytes. */
  readonly maxFrameBytes: number;
  /** Non-JSON client lines: `block` answers -32700, `forward` passes them on. */
  readonly onParseError: 'block' | 'forward';
  readonly observer?: FrameObserver | undefined;
  /** The `ask` action's timeout and cap (`approvals`); defaults: 60 s, 8. */
  readonly ask?: AskConfig | undefined;
}

const EMPTY = /^\s*$/;
/** How long a call held for the proxy's own `tools/list` waits for the server, ms. */
const PREFLIGHT_TIMEOUT_MS = 30_000;
/** Pages of its own `tools/list` the proxy follows, at most. */
const MAX_OWN_PAGES = 100;
/** How long a tools/call waits for the client's answer to the proxy's own `roots/list` (guard_policy), ms. */
const ROOTS_TIMEOUT_MS = 5_000;

function isToolCall(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as JsonRpcMessage).method === 'tools/call' && 'id' in value;
}

/** A running relay. */
export class Relay {
  readonly #o: RelayOptions;
  readonly #session: GuardSession;
  #serverGone = false;
  readonly #waiting = new Set<Writable>();
  /**
   * Client lines held while the proxy lists the tools itself (see {@link Relay.#preflight});
   * undefined when nothing is held.
   */
  #held: RawLine[] | undefined;
  /** Why lines are held: the proxy's own tools/list (`list`) or its roots/list to the client (`roots`). */
  #heldFor: 'list' | 'roots' | undefined;
  /** guard_policy: the proxy's own `roots/list` to the client (src/policy/roots.ts); undefined when not wanted. */
  readonly #roots: RootsRequester | undefined;
  /** The proxy's own `tools/list` pages: reserved id prefix, pages sent, and whether it ran. */
  readonly #ownPrefix = `mcp-guard:${randomUUID()}:`;
  #ownPages = 0;
  #preflightDone = false;
  #preflightTimer: NodeJS.Timeout | undefined;
  /** Resolves `start()` once the client's input ended and nothing is held. */
  #clientEnded: (() => void) | undefined;
  /** ask: frames whose verdict is `ask` wait here for the person's answer (ask.ts). */
  readonly #ask: Asker;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#session = new GuardSession(options.chain);
    this.#roots = options.chain.policy?.wantsClientRoots === true ? new RootsRequester(this.#ownPrefix) : undefined;
    this.#session.onInternalError = (err) => options.log.error(`scanner failed, frame blocked: ${err.message}`);
    this.#ask = new Asker({ config: options.ask ?? { timeoutMs: 60_000, maxWaiting: 8 }, chain: options.chain, log: options.log, send: (b) => this.#toClient(b) });
  }

  /**
   * Start relaying. Resolves when the client's input ends (EOF); the caller
   * then shuts the server down.
   */
  start(): Promise<void> {
    const { clientIn, serverOut, maxFrameBytes } = this.#o;
    const up = new LineFramer({ line: (l) => this.#fromClient(l), oversized: (i) => this.#oversized('client-to-server', i) }, maxFrameBytes);
    const down = new LineFramer({ line: (l) => this.#fromServer(l), oversized: (i) => this.#oversized('server-to-client', i) }, maxFrameBytes);
    serverOut.on('data', (chunk: Buffer) => down.push(chunk));
    serverOut.on('end', () => {
      const rest = down.end();
      if (rest > 0) this.#o.log.warn(`server output ended inside a frame; ${rest} bytes dropped`, { direction: 'server-to-client' });
    });
    return new Promise((done) => {
      clientIn.on('data', (chunk: Buffer) => up.push(chunk));
      clientIn.on('end', () => {
        const rest = up.end();
        if (rest > 0) this.#o.log.warn(`client input ended inside a frame; ${rest} bytes dropped`, { direction: 'client-to-server' });
        // ask: nobody can answer any more; every frame waiting for an answer is denied.
        this.#ask.closeAll('the client disconnected');
        // Held lines are still the client's: finish them before the server is shut down.
        if (this.#held === undefined) done();
        else this.#clientEnded = done;
      });
      clientIn.on('error', () => done());
    });
  }

  /**
   * The server has exited: answer every pending request with -32000 so the
   * client never hangs, and stop forwarding to the server.
   */
  serverExited(): void {
    this.#serverGone = true;
    // ask: held client requests are answered -32000 below; held server frames are denied.
    this.#ask.closeAll('the server exited', true);
    for (const p of this.#session.drainPending()) {
      this.#toClient(errorLine(p.id, SERVER_EXITED, 'mcp-guard: server exited', undefined, p.rawId));
    }
    this.#release();
  }

  /**
   * A `tools/call` came before any `tools/list`: its tool's definition was never
   * scanned, so the proxy lists the tools itself (every page, under a reserved
   * id the client never sees), scans the list like a client's, and only then
   * decides on the call. Client lines that arrive meanwhile are held, in order.
   * Runs once per session; if the list fails, the call is refused (`call-before-list`).
   */
  #preflight(line: RawLine): void {
    this.#preflightDone = true;
    this.#hold(line);
    this.#o.log.info('tools/call before any tools/list: listing the tools first');
    this.#ownList(undefined);
  }

  /**
   * Hold client lines from `line` on until {@link Relay.#release} (at most {@link PREFLIGHT_TIMEOUT_MS}).
   * For `roots` the client's input keeps flowing (its answer to our roots/list is in it); later lines queue.
   */
  #hold(line: RawLine, reason: 'list' | 'roots' = 'list'): void {
    this.#held = [line];
    this.#heldFor = reason;
    if (reason === 'list') this.#o.clientIn.pause();
    this.#preflightTimer = setTimeout(() => {
      if (reason === 'roots') {
        this.#roots?.giveUp();
        this.#o.log.warn('the client did not answer roots/list in time; path arguments are checked against the deny globs only');
      } else this.#o.log.warn('no tools/list answer in time; the held tools/call is decided without it');
      this.#release();
    }, reason === 'roots' ? ROOTS_TIMEOUT_MS : PREFLIGHT_TIMEOUT_MS);
    this.#preflightTimer.unref();
  }

  /** Send one page request of the proxy's own `tools/list`. */
  #ownList(cursor: string | undefined): void {
    const id = `${this.#ownPrefix}${++this.#ownPages}`;
    this.#session.ownRequest(id, 'tools/list');
    const text = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: cursor === undefined ? {} : { cursor } });
    this.#o.observer?.('client', text);
    this.#toServer(Buffer.from(`${text}\n`));
  }

  /** The answer to one of the proxy's own requests: next page, or release the held lines. */
  #ownAnswer(msg: JsonRpcMessage, verdict: Verdict): void {
    const result = msg.result;
    const cursor = result !== null && typeof result === 'object' && !Array.isArray(result) ? result['nextCursor'] : undefined;
    if (verdict.action !== 'block' && typeof cursor === 'string' && this.#ownPages < MAX_OWN_PAGES && !this.#serverGone) {
      this.#ownList(cursor);
      return;
    }
    this.#release();
  }

  /** Decide on the held client lines, in order, now that the list is known (or will never be). */
  #release(): void {
    const held = this.#held;
    if (held === undefined) return;
    clearTimeout(this.#preflightTimer);
    this.#held = undefined;
    this.#heldFor = undefined;
    for (const l of held) this.#fromClient(l);
    if (this.#held === undefined) {
      this.#o.clientIn.resume();
      const ended = this.#clientEnded;
      this.#clientEnded = undefined;
      ended?.();
    } else if (this.#heldFor === 'roots') this.#o.clientIn.resume(); // the client's roots answer must still be read
  }

  /** Write one frame (one or more buffers, sent together); pause `source` until `dest` drains. */
  #write(dest: Writable, source: Readable, ...data: Buffer[]): void {
    if (!dest.writable) return;
    let ok = true;
    if (data.length > 1) dest.cork();
    for (const d of data) ok = dest.write(d) && ok;
    if (data.length > 1) dest.uncork();
    if (!ok && !this.#waiting.has(dest)) {
      // One drain listener per pause, however many frames wait for it.
      this.#waiting.add(dest);
      source.pause();
      dest.once('drain', () => {
        this.#waiting.delete(dest);
        source.resume();
      });
    }
  }

  #toClient(...data: Buffer[]): void {
    this.#write(this.#o.clientOut, this.#o.serverOut, ...data);
  }

  #toServer(...data: Buffer[]): void {
    if (this.#serverGone) return;
    this.#write(this.#o.serverIn, this.#o.clientIn, ...data);
  }

  /** guard_policy: the client's roots are the path sandbox; held tools/calls are decided now. */
  #rootsAnswer(a: RootsAnswer): void {
    if ('error' in a) this.#o.log.warn(`the client's roots/list failed (${a.error}); path arguments are checked against the deny globs only`);
    else {
      this.#o.chain.policy?.setClientRoots(a.uris);
      this.#o.log.info('client roots received: they are the sandbox for path arguments', { roots: a.uris.length });
    }
    if (this.#heldFor === 'roots' && this.#roots?.waiting !== true) this.#release();
  }

  #fromClient(line: RawLine): void {
    // ask: the client's answer to the proxy's own question is consumed here, never forwarded.
    if (this.#ask.intercept(line.text)) return;
    // guard_policy: the client's answer to the proxy's own roots/list is consumed here, never forwarded.
    const roots = this.#roots?.answer(line.text);
    if (roots !== undefined) {
      this.#rootsAnswer(roots);
      return;
    }
    if (this.#held !== undefined) {
      this.#held.push(line);
      return;
    }
    if (EMPTY.test(line.text)) return;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      if (this.#o.onParseError === 'forward') {
        this.#toServer(line.wire);
        return;
      }
      this.#o.log.warn(`client sent a line that is not JSON (${line.bytes.length} bytes); answered -32700`, { direction: 'client-to-server' });
      this.#toClient(errorLine(null, PARSE_ERROR, 'mcp-guard: parse error: the line is not valid JSON'));
      return;
    }
    if (!this.#preflightDone && !this.#serverGone && isToolCall(value) && this.#o.chain.needsList) {
      // The client's own tools/list in flight: decide on the call once its answer is in; else list first.
      if (this.#session.awaiting('tools/list')) this.#hold(line);
      else this.#preflight(line);
      return;
    }
    // guard_policy: a tools/call or resources/read waits for the client's roots, so its paths are checked against them.
    if (this.#roots?.waiting === true && (isToolCall(value) || (value as JsonRpcMessage | null)?.method === 'resources/read')) {
      this.#hold(line, 'roots');
      return;
    }
    this.#o.observer?.('client', line.text);
    this.#ask.observeClient(value);
    const d = this.#session.fromClient(value, line.text);
    // ask: held until the person answers; decided then by #clientDecided with the final verdict.
    if (d.verdict.action === 'ask') {
      this.#askAbout('client-to-server', line, value, d);
      return;
    }
    this.#clientDecided(line, value, d);
  }

  /**
   * ask: hold a frame whose verdict is `ask` (see ask.ts); its final verdict goes
   * through the same path as any other frame's. A held request stays pending in
   * the session (its id cannot be reused meanwhile) and is forgotten when denied.
   */
  #askAbout(direction: Direction, line: RawLine, value: unknown, d: SessionDecision): void {
    const msg = value as JsonRpcMessage;
    // A held request is pending in the session although it may end up blocked: forgotten then.
    const asked = d.kind === 'request';
    this.#ask.hold({
      input: { direction, message: msg, ...(d.context !== undefined ? { context: d.context } : {}) },
      kind: d.kind,
      verdict: d.verdict,
      tool: d.tool,
      release: (verdict, note) => {
        if (direction === 'client-to-server') this.#clientDecided(line, value, { ...d, verdict }, note, asked);
        else this.#serverDecided(line, value, { ...d, verdict }, note, asked);
      },
      drop: () => {
        if (asked && direction === 'client-to-server') this.#session.forget(msg.id ?? null);
        else if (asked) this.#session.forgetServerRequest(msg.id ?? null);
      },
    });
  }

  /**
   * Act on the verdict for a client frame: log it, then forward, rewrite or answer it.
   * @param note why an asked frame was not allowed (appended to the block message)
   * @param pending the request was recorded as pending although blocked (an asked one)
   */
  #clientDecided(line: RawLine, value: unknown, d: SessionDecision, note?: string, pending = false): void {
    if (d.kind === 'invalid') {
      const batch = Array.isArray(value);
      const rawId = !batch && value !== null && typeof value === 'object' ? (value as JsonRpcMessage).id : null;
      const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
      this.#o.log.warn(`client sent an invalid JSON-RPC ${batch ? 'batch (arrays are not supported by MCP)' : 'message'}; answered -32600`);
      this.#toClient(errorLine(id, INVALID_REQUEST, batch ? 'mcp-guard: invalid request: JSON-RPC batches are not supported' : 'mcp-guard: invalid request'));
      return;
    }
    const msg = value as JsonRpcMessage;
    const names = d.verdict.secretNames;
    const tool = shown(d.tool, names);
    const event = {
      direction: 'client-to-server' as const,
      method: shown(msg.method ?? d.context?.method, names),
      id: typeof msg.id === 'string' ? shown(msg.id, names) : msg.id,
      tool,
      findings: d.verdict.findings,
      scanUs: d.scanUs,
    };
    const redacted = d.verdict.action === 'redact' ? redactedLine(value, d.verdict) : undefined;
    const blocked = d.verdict.action === 'block' || d.verdict.action === 'filter' || (d.verdict.action === 'redact' && redacted === undefined);
    if (blocked) {
      const reason = d.verdict.action === 'redact' ? { reason: 'redaction not possible' } : note !== undefined ? { reason: note } : {};
      const also = note !== undefined ? `; ${note}` : '';
      if (d.kind === 'request') {
        // Only a redact verdict (or an asked one) recorded the request as pending; a blocked one (e.g. duplicate-id) never did, and its id may be another request's.
        if (d.verdict.action === 'redact' || pending) this.#session.forget(msg.id ?? null);
        this.#o.log.decision({ ...event, action: 'block', ...reason });
        const what = `${event.method ?? 'request'} request${tool ? ` to tool "${tool}"` : ''}`;
        // blockData: the findings, plus `retryAfter` when a guard_policy rate limit blocked the call.
        this.#toClient(errorLine(msg.id ?? null, BLOCKED, blockMessage(what, d.verdict.findings) + also, blockData(d.verdict.findings), d.rawId));
      } else if (d.kind === 'response' && d.context !== undefined) {
        // The client's answer to a server request (sampling, elicitation) is withheld; the server gets an error so it does not wait forever.
        this.#o.log.decision({ ...event, action: 'block', ...reason });
        const what = `the client's response to ${d.context.method}`;
        this.#toServer(errorLine(d.context.id, BLOCKED, blockMessage(what, d.verdict.findings) + also, { findings: publicFindings(d.verdict.findings) }, d.rawId));
      } else {
        this.#o.log.decision({ ...event, action: 'drop', ...reason });
      }
      return;
    }
    // Hot path: an allowed frame that is not logged builds no event (AuditLog.logs).
    if (this.#o.log.logs(d.verdict.action)) this.#o.log.decision({ ...event, action: d.verdict.action });
    if (d.kind === 'request' && this.#serverGone) {
      this.#session.forget(msg.id ?? null);
      this.#toClient(errorLine(msg.id ?? null, SERVER_EXITED, 'mcp-guard: server exited', undefined, d.rawId));
      return;
    }
    if (redacted) this.#toServer(redacted);
    else this.#toServer(line.wire);
    // guard_policy: after `initialized` / `roots/list_changed`, ask a client with the roots capability for its roots.
    const ask = this.#roots?.afterClientFrame(msg);
    if (ask !== undefined) this.#toClient(Buffer.from(`${ask}\n`));
  }

  #fromServer(line: RawLine): void {
    if (EMPTY.test(line.text)) return;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      this.#o.log.warn(`server wrote a line that is not JSON (${line.bytes.length} bytes); not forwarded`, { direction: 'server-to-client' });
      return;
    }
    this.#o.observer?.('server', line.text);
    const d = this.#session.fromServer(value, line.text);
    if (d.kind === 'invalid') {
      this.#o.log.warn('server sent an invalid JSON-RPC message; not forwarded', { direction: 'server-to-client' });
      return;
    }
    const msg = value as JsonRpcMessage;
    const { verdict, context } = d;
    if (context?.own === true) {
      this.#o.log.decision({ direction: 'server-to-client', method: context.method, id: msg.id, action: verdict.action === 'block' ? 'block' : verdict.action, findings: verdict.findings, scanUs: d.scanUs, reason: 'answer to the proxy\'s own request (not forwarded)' });
      this.#ownAnswer(msg, verdict);
      return;
    }
    if (verdict.action === 'ask') {
      // ask: held until the person answers (the chain meanwhile treats the asked tools as hidden).
      this.#askAbout('server-to-client', line, value, d);
      // A call held for this list would wait with the client's input paused, where the answer can never arrive: decide it now.
      if (this.#held !== undefined && context?.method === 'tools/list' && !this.#preflightDone && !this.#session.awaiting('tools/list')) queueMicrotask(() => this.#release());
      return;
    }
    this.#serverDecided(line, value, d);
  }

  /**
   * Act on the verdict for a server frame: log it, then forward, rewrite or answer it.
   * @param note why an asked frame was not allowed (appended to the block message)
   * @param pending the request was recorded as pending although blocked (an asked one)
   */
  #serverDecided(line: RawLine, value: unknown, d: SessionDecision, note?: string, pending = false): void {
    const msg = value as JsonRpcMessage;
    const { verdict, context } = d;
    const event = {
      direction: 'server-to-client' as const,
      method: shown(msg.method ?? context?.method, verdict.secretNames),
      id: typeof msg.id === 'string' ? shown(msg.id, verdict.secretNames) : msg.id,
      tool: shown(d.tool, verdict.secretNames),
      findings: verdict.findings,
      scanUs: d.scanUs,
    };
    const rewritten =
      verdict.action === 'redact'
        ? redactedLine(value, verdict)
        : verdict.action === 'filter'
          ? filterResult(value, verdict.remove ?? verdict.removeTools.map((i) => `result.tools[${i}]`))
          : undefined;
    const blocked = verdict.action === 'block' || ((verdict.action === 'redact' || verdict.action === 'filter') && rewritten === undefined);
    const reason = blocked && verdict.action !== 'block' ? { reason: `${verdict.action} not possible` } : note !== undefined ? { reason: note } : {};
    const also = note !== undefined ? `; ${note}` : '';
    const action = d.kind !== 'response' && blocked ? 'drop' : blocked ? 'block' : verdict.action;
    // Hot path: an allowed frame that is not logged builds no event (AuditLog.logs).
    if (this.#o.log.logs(action)) this.#o.log.decision({ ...event, action, ...reason });
    if (blocked) {
      if (this.#heldFor === 'list' && context?.method === 'tools/list' && !this.#preflightDone && !this.#session.awaiting('tools/list')) {
        queueMicrotask(() => this.#release());
      }
      if (d.kind === 'response' && context !== undefined) {
        const what = `${context.method} response${event.tool ? ` from tool "${event.tool}"` : ''}`;
        this.#toClient(errorLine(context.id, BLOCKED, blockMessage(what, verdict.findings) + also, { findings: publicFindings(verdict.findings) }, context.rawId));
      } else if (d.kind === 'request') {
        if (pending) this.#session.forgetServerRequest(msg.id ?? null);
        // A blocked server → client request (sampling, elicitation) is answered on the client's behalf, so the server does not wait forever.
        this.#toServer(errorLine(msg.id ?? null, BLOCKED, blockMessage(`${event.method ?? ''} request from the server`, verdict.findings) + also, { findings: publicFindings(verdict.findings) }, d.rawId));
      }
      // An unpaired response answers nothing the client asked: dropped (logged above), never answered.
      return;
    }
    if (rewritten) this.#toClient(rewritten);
    else this.#toClient(line.wire);
    // Held for the client's own listing: wait for every page it asked for (a tool may sit on a later one).
    if (this.#heldFor === 'list' && context?.method === 'tools/list' && !this.#preflightDone && !this.#session.awaiting('tools/list')) this.#release();
  }

  #oversized(direction: Direction, info: OversizedLine): void {
    const id = sniffId(info.head.toString('utf8'));
    const finding: Finding = { rule: 'frame-too-large', category: 'protocol', severity: 'medium', path: '' };
    const reason = `frame of ${info.size} bytes exceeds the ${this.#o.maxFrameBytes}-byte limit`;
    this.#o.log.decision({ direction, id, action: 'block', findings: [finding], scanUs: 0, reason });
    const message = `mcp-guard: blocked ${direction === 'client-to-server' ? 'request' : 'response'}: ${reason}`;
    if (id === undefined) return;
    if (direction === 'server-to-client' && !this.#session.forget(id)) return;
    this.#toClient(errorLine(id, BLOCKED, message, { findings: publicFindings([finding]) }));
  }
}

/** `text` with every secret name masked (see `Verdict.secretNames`). */
function shown(text: string | undefined, names: readonly string[] | undefined): string | undefined {
  return text === undefined || names === undefined ? text : maskAll(text, names);
}

/** Re-serialise a message with its redactions applied, or undefined when they cannot be applied (the frame is then blocked). */
function redactedLine(value: unknown, verdict: Verdict): Buffer | undefined {
  try {
    if (!applyRedactions(value, verdict.redactions ?? [])) return undefined;
    return serialize(value);
  } catch {
    return undefined;
  }
}

/** One line of JSON text, or undefined when the value cannot be serialised (the caller fails closed). */
function serialize(value: unknown): Buffer | undefined {
  try {
    return Buffer.from(`${JSON.stringify(value)}\n`);
  } catch {
    return undefined;
  }
}

/**
 * Re-serialise a response without the removed parts: array elements
 * (`result.tools[3]`) are taken out of their array, object members deleted.
 * @returns the line, or undefined when it cannot be built (the caller fails closed)
 */
function filterResult(value: unknown, remove: readonly string[]): Buffer | undefined {
  try {
    return filtered(value, remove);
  } catch {
    return undefined;
  }
}

function filtered(value: unknown, remove: readonly string[]): Buffer | undefined {
  const targets = remove
    .map((p) => parsePath(p))
    .sort((a, b) => Number(b[b.length - 1] ?? 0) - Number(a[a.length - 1] ?? 0));
  for (const keys of targets) {
    const last = keys.pop();
    let parent: unknown = value;
    for (const k of keys) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[k] : undefined;
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else if (parent !== null && typeof parent === 'object' && last !== undefined) delete (parent as Record<string | number, unknown>)[last];
  }
  return serialize(value);
}
