/**
 * The relay: frames both directions, runs the scanner chain on each frame and
 * forwards allowed frames byte for byte, in order. Each direction has its own
 * framer and backpressure (the source is paused while its destination drains),
 * so one direction never blocks the other.
 *
 * Streams are injected, so tests can drive a relay in-process.
 */
import type { Readable, Writable } from 'node:stream';
import { LineFramer, NEWLINE, type OversizedLine, type RawLine } from './framer.js';
import { BLOCKED, INVALID_REQUEST, PARSE_ERROR, SERVER_EXITED, blockMessage, errorLine, publicFindings, sniffId } from './jsonrpc.js';
import { GuardSession } from './session.js';
import { applyRedactions, parsePath } from './redact.js';
import type { ScanChain, Verdict } from '../scan/chain.js';
import type { AuditLog } from '../log/audit.js';
import type { Direction, Finding, JsonRpcMessage } from '../scan/types.js';

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
}

const EMPTY = /^\s*$/;

/** A running relay. */
export class Relay {
  readonly #o: RelayOptions;
  readonly #session: GuardSession;
  #serverGone = false;
  readonly #waiting = new Set<Writable>();

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#session = new GuardSession(options.chain);
    this.#session.onInternalError = (err) => options.log.error(`scanner failed, frame blocked: ${err.message}`);
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
        done();
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
    for (const p of this.#session.drainPending()) {
      this.#toClient(errorLine(p.id, SERVER_EXITED, 'mcp-guard: server exited', undefined, p.rawId));
    }
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

  #fromClient(line: RawLine): void {
    if (EMPTY.test(line.text)) return;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      if (this.#o.onParseError === 'forward') {
        this.#toServer(line.bytes, NEWLINE);
        return;
      }
      this.#o.log.warn(`client sent a line that is not JSON (${line.bytes.length} bytes); answered -32700`, { direction: 'client-to-server' });
      this.#toClient(errorLine(null, PARSE_ERROR, 'mcp-guard: parse error: the line is not valid JSON'));
      return;
    }
    this.#o.observer?.('client', line.text);
    const d = this.#session.fromClient(value, line.text);
    if (d.kind === 'invalid') {
      const batch = Array.isArray(value);
      const rawId = !batch && value !== null && typeof value === 'object' ? (value as JsonRpcMessage).id : null;
      const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
      this.#o.log.warn(`client sent an invalid JSON-RPC ${batch ? 'batch (arrays are not supported by MCP)' : 'message'}; answered -32600`);
      this.#toClient(errorLine(id, INVALID_REQUEST, batch ? 'mcp-guard: invalid request: JSON-RPC batches are not supported' : 'mcp-guard: invalid request'));
      return;
    }
    const msg = value as JsonRpcMessage;
    const event = { direction: 'client-to-server' as const, method: msg.method, id: msg.id, tool: d.tool, findings: d.verdict.findings, scanUs: d.scanUs };
    if (d.verdict.action === 'block' || d.verdict.action === 'filter') {
      if (d.kind === 'request') {
        this.#o.log.decision({ ...event, action: 'block' });
        const what = `${msg.method ?? 'request'} request${d.tool ? ` to tool "${d.tool}"` : ''}`;
        this.#toClient(errorLine(msg.id ?? null, BLOCKED, blockMessage(what, d.verdict.findings), { findings: publicFindings(d.verdict.findings) }, d.rawId));
      } else {
        this.#o.log.decision({ ...event, action: 'drop' });
      }
      return;
    }
    const redacted = d.verdict.action === 'redact' ? redactedLine(value, d.verdict) : undefined;
    if (d.verdict.action === 'redact' && redacted === undefined) {
      this.#session.forget(msg.id ?? null);
      this.#o.log.decision({ ...event, action: 'block', reason: 'redaction not possible' });
      if (d.kind === 'request') this.#toClient(errorLine(msg.id ?? null, BLOCKED, blockMessage(`${msg.method ?? 'request'} request`, d.verdict.findings), { findings: publicFindings(d.verdict.findings) }, d.rawId));
      return;
    }
    this.#o.log.decision({ ...event, action: d.verdict.action });
    if (d.kind === 'request' && this.#serverGone) {
      this.#session.forget(msg.id ?? null);
      this.#toClient(errorLine(msg.id ?? null, SERVER_EXITED, 'mcp-guard: server exited', undefined, d.rawId));
      return;
    }
    if (redacted) this.#toServer(redacted);
    else this.#toServer(line.bytes, NEWLINE);
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
    const d = this.#session.fromServer(value);
    if (d.kind === 'invalid') {
      this.#o.log.warn('server sent an invalid JSON-RPC message; not forwarded', { direction: 'server-to-client' });
      return;
    }
    const msg = value as JsonRpcMessage;
    const { verdict, context } = d;
    const event = {
      direction: 'server-to-client' as const,
      method: msg.method ?? context?.method,
      id: msg.id,
      tool: d.tool,
      findings: verdict.findings,
      scanUs: d.scanUs,
    };
    const redacted = verdict.action === 'redact' ? redactedLine(value, verdict) : undefined;
    const blocked = verdict.action === 'block' || (verdict.action === 'redact' && redacted === undefined);
    this.#o.log.decision({ ...event, action: d.kind !== 'response' && blocked ? 'drop' : blocked ? 'block' : verdict.action });
    if (blocked) {
      if (d.kind === 'response') {
        const what = `${context?.method ?? 'the'} response${d.tool ? ` from tool "${d.tool}"` : ''}`;
        this.#toClient(errorLine(msg.id ?? null, BLOCKED, blockMessage(what, verdict.findings), { findings: publicFindings(verdict.findings) }, context?.rawId));
      } else if (d.kind === 'request') {
        // A blocked server → client request (sampling, elicitation) is answered on the client's behalf, so the server does not wait forever.
        this.#toServer(errorLine(msg.id ?? null, BLOCKED, blockMessage(`${msg.method ?? ''} request from the server`, verdict.findings), { findings: publicFindings(verdict.findings) }));
      }
      return;
    }
    if (verdict.action === 'filter') {
      this.#toClient(filterResult(value, verdict.remove ?? verdict.removeTools.map((i) => `result.tools[${i}]`)));
      return;
    }
    if (redacted) this.#toClient(redacted);
    else this.#toClient(line.bytes, NEWLINE);
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

/** Re-serialise a message with its redactions applied, or undefined when they cannot be applied. */
function redactedLine(value: unknown, verdict: Verdict): Buffer | undefined {
  if (!applyRedactions(value, verdict.redactions ?? [])) return undefined;
  return Buffer.from(`${JSON.stringify(value)}\n`);
}

/**
 * Re-serialise a response without the removed parts: array elements
 * (`result.tools[3]`) are taken out of their array, object members deleted.
 */
function filterResult(value: unknown, remove: readonly string[]): Buffer {
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
  return Buffer.from(`${JSON.stringify(value)}\n`);
}
