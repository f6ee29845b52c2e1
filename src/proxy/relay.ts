/**
 * The relay: frames both directions, runs the scanner chain on each frame and
 * forwards allowed frames byte for byte, in order. Each direction has its own
 * framer and backpressure (the source is paused while its destination drains),
 * so one direction never blocks the other.
 *
 * Streams are injected, so tests can drive a relay in-process.
 */
import type { Readable, Writable } from 'node:stream';
import { LineFramer, lineToWire, type OversizedLine, type RawLine } from './framer.js';
import {
  BLOCKED, INVALID_REQUEST, PARSE_ERROR, SERVER_EXITED,
  blockMessage, classify, errorLine, idKey, publicFindings, sniffId, type JsonRpcId,
} from './jsonrpc.js';
import type { ScanChain, Verdict } from '../scan/chain.js';
import type { AuditLog } from '../log/audit.js';
import type { Direction, Finding, JsonRpcMessage, RequestContext } from '../scan/types.js';

/** Called for every frame seen, before a decision (for `--record`). */
export type FrameObserver = (from: 'client' | 'server', message: unknown) => void;

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

interface Pending extends RequestContext {
  readonly id: JsonRpcId;
}

const EMPTY = /^\s*$/;

/** A running relay. */
export class Relay {
  readonly #o: RelayOptions;
  readonly #pending = new Map<string, Pending>();
  #serverGone = false;

  constructor(options: RelayOptions) {
    this.#o = options;
  }

  /** Number of client requests awaiting a server response. */
  get pendingCount(): number {
    return this.#pending.size;
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
    for (const p of this.#pending.values()) {
      this.#toClient(errorLine(p.id, SERVER_EXITED, 'mcp-guard: server exited'));
    }
    this.#pending.clear();
  }

  #write(dest: Writable, source: Readable, data: Buffer): void {
    if (!dest.writable) return;
    if (!dest.write(data)) {
      source.pause();
      dest.once('drain', () => source.resume());
    }
  }

  #toClient(data: Buffer): void {
    this.#write(this.#o.clientOut, this.#o.serverOut, data);
  }

  #toServer(data: Buffer): void {
    if (this.#serverGone) return;
    this.#write(this.#o.serverIn, this.#o.clientIn, data);
  }

  /** Run the chain; an exception blocks the frame (fail closed). */
  #evaluate(direction: Direction, message: JsonRpcMessage, context: RequestContext | undefined): [Verdict, number] {
    const t0 = process.hrtime.bigint();
    let verdict: Verdict;
    try {
      verdict = this.#o.chain.evaluate({ direction, message, ...(context ? { context } : {}) });
    } catch (err) {
      this.#o.log.error(`scanner failed, frame blocked: ${(err as Error).message}`);
      const f: Finding = { rule: 'internal-error', category: 'protocol', severity: 'high', path: '' };
      verdict = { action: 'block', findings: [f], removeTools: [] };
    }
    return [verdict, Number(process.hrtime.bigint() - t0) / 1000];
  }

  #fromClient(line: RawLine): void {
    if (EMPTY.test(line.text)) return;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      if (this.#o.onParseError === 'forward') {
        this.#toServer(lineToWire(line));
        return;
      }
      this.#o.log.warn(`client sent a line that is not JSON (${line.bytes.length} bytes); answered -32700`, { direction: 'client-to-server' });
      this.#toClient(errorLine(null, PARSE_ERROR, 'mcp-guard: parse error: the line is not valid JSON'));
      return;
    }
    this.#o.observer?.('client', value);
    const kind = classify(value);
    if (kind === 'invalid') {
      const batch = Array.isArray(value);
      const id = !batch && value !== null && typeof value === 'object' ? ((value as JsonRpcMessage).id ?? null) : null;
      this.#o.log.warn(`client sent an invalid JSON-RPC ${batch ? 'batch (arrays are not supported by MCP)' : 'message'}; answered -32600`);
      this.#toClient(errorLine(typeof id === 'object' ? null : id, INVALID_REQUEST, batch ? 'mcp-guard: invalid request: JSON-RPC batches are not supported' : 'mcp-guard: invalid request'));
      return;
    }
    const msg = value as JsonRpcMessage;
    const [verdict, us] = this.#evaluate('client-to-server', msg, undefined);
    const tool = toolName(msg);
    const event = { direction: 'client-to-server' as const, method: msg.method, id: msg.id, tool, findings: verdict.findings, scanUs: us };
    if (verdict.action === 'block' || verdict.action === 'filter') {
      if (kind === 'request') {
        this.#o.log.decision({ ...event, action: 'block' });
        const what = `${msg.method ?? 'request'} request${tool ? ` to tool "${tool}"` : ''}`;
        this.#toClient(errorLine(msg.id ?? null, BLOCKED, blockMessage(what, verdict.findings), { findings: publicFindings(verdict.findings) }));
      } else {
        this.#o.log.decision({ ...event, action: 'drop' });
      }
      return;
    }
    this.#o.log.decision({ ...event, action: verdict.action });
    if (kind === 'request') {
      if (this.#serverGone) {
        this.#toClient(errorLine(msg.id ?? null, SERVER_EXITED, 'mcp-guard: server exited'));
        return;
      }
      const id = msg.id as JsonRpcId;
      this.#pending.set(idKey(id), { id, method: msg.method as string, ...(tool !== undefined ? { tool } : {}) });
    }
    this.#toServer(lineToWire(line));
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
    this.#o.observer?.('server', value);
    const kind = classify(value);
    if (kind === 'invalid') {
      this.#o.log.warn('server sent an invalid JSON-RPC message; not forwarded', { direction: 'server-to-client' });
      return;
    }
    const msg = value as JsonRpcMessage;
    let context: Pending | undefined;
    if (kind === 'response' && (typeof msg.id === 'string' || typeof msg.id === 'number')) {
      const key = idKey(msg.id);
      context = this.#pending.get(key);
      this.#pending.delete(key);
    }
    const [verdict, us] = this.#evaluate('server-to-client', msg, context);
    const event = {
      direction: 'server-to-client' as const,
      method: msg.method ?? context?.method,
      id: msg.id,
      tool: context?.tool,
      findings: verdict.findings,
      scanUs: us,
    };
    this.#o.log.decision({ ...event, action: kind !== 'response' && verdict.action === 'block' ? 'drop' : verdict.action });
    if (verdict.action === 'block') {
      if (kind === 'response') {
        const what = `${context?.method ?? 'the'} response${context?.tool ? ` from tool "${context.tool}"` : ''}`;
        this.#toClient(errorLine(msg.id ?? null, BLOCKED, blockMessage(what, verdict.findings), { findings: publicFindings(verdict.findings) }));
      }
      return;
    }
    if (verdict.action === 'filter') {
      this.#toClient(filterTools(msg, verdict.removeTools));
      return;
    }
    this.#toClient(lineToWire(line));
  }

  #oversized(direction: Direction, info: OversizedLine): void {
    const id = sniffId(info.head.toString('utf8'));
    const finding: Finding = { rule: 'frame-too-large', category: 'protocol', severity: 'medium', path: '' };
    const reason = `frame of ${info.size} bytes exceeds the ${this.#o.maxFrameBytes}-byte limit`;
    this.#o.log.decision({ direction, id, action: 'block', findings: [finding], scanUs: 0, reason });
    const message = `mcp-guard: blocked ${direction === 'client-to-server' ? 'request' : 'response'}: ${reason}`;
    if (id === undefined) return;
    if (direction === 'server-to-client') {
      if (id === null || !this.#pending.delete(idKey(id))) return;
    }
    this.#toClient(errorLine(id, BLOCKED, message, { findings: publicFindings([finding]) }));
  }
}

function toolName(msg: JsonRpcMessage): string | undefined {
  if (msg.method !== 'tools/call') return undefined;
  const p = msg.params;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return undefined;
  return typeof p['name'] === 'string' ? p['name'] : undefined;
}

/** Re-serialise a `tools/list` response without the removed tools. */
function filterTools(msg: JsonRpcMessage, remove: readonly number[]): Buffer {
  const result = msg.result as { tools: unknown[] };
  const drop = new Set(remove);
  const tools = result.tools.filter((_t, i) => !drop.has(i));
  return Buffer.from(`${JSON.stringify({ ...msg, result: { ...result, tools } })}\n`);
}
