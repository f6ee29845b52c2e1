/**
 * The stateful part of the chain that both the live proxy and `mcp-guard scan`
 * use: it pairs responses with their requests by id (so a response is scanned
 * knowing which method it answers) and runs the chain, failing closed.
 */
import { classify, findDuplicateKey, idKey, type FrameKind, type JsonRpcId, rawIdText } from './jsonrpc.js';
import type { ScanChain, Verdict } from '../scan/chain.js';
import type { Direction, Finding, JsonRpcMessage, RequestContext } from '../scan/types.js';

/** A request awaiting its response. */
export interface PendingRequest extends RequestContext {
  readonly id: JsonRpcId;
  /** The id's text exactly as the client wrote it, for answers the proxy writes itself. */
  readonly rawId?: string | undefined;
}

/** The outcome for one parsed frame. */
export interface SessionDecision {
  readonly kind: FrameKind;
  readonly verdict: Verdict;
  /** For responses: the request answered (undefined when unknown). */
  readonly context: PendingRequest | undefined;
  /** For `tools/call` requests and their responses. */
  readonly tool: string | undefined;
  /** Time spent in the chain, µs. */
  readonly scanUs: number;
  /** For client frames read from a line: the id's raw text (see `rawIdText`). */
  readonly rawId?: string | undefined;
}

const INTERNAL_ERROR: Finding = { rule: 'internal-error', category: 'protocol', severity: 'high', path: '' };

/** Tool name of a `tools/call` request. */
export function toolName(msg: JsonRpcMessage): string | undefined {
  if (msg.method !== 'tools/call') return undefined;
  const p = msg.params;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return undefined;
  return typeof p['name'] === 'string' ? p['name'] : undefined;
}

/** Pairs requests and responses and runs the chain. One per proxied session. */
export class GuardSession {
  readonly #chain: ScanChain;
  readonly #pending = new Map<string, PendingRequest>();
  /** Called when the chain throws; the frame is blocked regardless. */
  onInternalError: ((err: Error) => void) | undefined;

  constructor(chain: ScanChain) {
    this.#chain = chain;
  }

  /** Requests from the client that the server has not answered. */
  get pending(): ReadonlyMap<string, PendingRequest> {
    return this.#pending;
  }

  /** Forget every pending request and return them (server exited). */
  drainPending(): PendingRequest[] {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    return all;
  }

  /** Forget one pending request (answered out of band, e.g. oversized response). */
  forget(id: JsonRpcId): boolean {
    return id !== null && this.#pending.delete(idKey(id));
  }

  /**
   * Decide on a frame from the client. An allowed (or warned) request is
   * recorded as pending so its response can be paired.
   * @param value the parsed frame
   * @param raw the frame's text as received, when known: a key that appears
   *   twice in one object blocks the frame (`duplicate-key`, in every mode),
   *   because the server's parser may read the copy the scanners never saw
   */
  fromClient(value: unknown, raw?: string): SessionDecision {
    const kind = classify(value);
    const msg = value as JsonRpcMessage;
    const tool = kind === 'request' ? toolName(msg) : undefined;
    const duplicate = kind === 'invalid' || raw === undefined ? undefined : findDuplicateKey(raw);
    const [verdict, scanUs] =
      kind === 'invalid'
        ? [allow(), 0]
        : duplicate !== undefined
          ? [duplicateKey(duplicate), 0]
          : this.#run('client-to-server', msg, undefined);
    const rawId = kind === 'request' && raw !== undefined ? rawIdText(raw) : undefined;
    if (kind === 'request' && (verdict.action === 'allow' || verdict.action === 'warn' || verdict.action === 'redact')) {
      const id = msg.id as JsonRpcId;
      this.#pending.set(idKey(id), { id, rawId, method: msg.method as string, ...(tool !== undefined ? { tool } : {}) });
    }
    return { kind, verdict, context: undefined, tool, scanUs, rawId };
  }

  /** Decide on a frame from the server; a response consumes its pending request. */
  fromServer(value: unknown): SessionDecision {
    const kind = classify(value);
    const msg = value as JsonRpcMessage;
    let context: PendingRequest | undefined;
    if (kind === 'response' && (typeof msg.id === 'string' || typeof msg.id === 'number')) {
      const key = idKey(msg.id);
      context = this.#pending.get(key);
      this.#pending.delete(key);
    }
    const [verdict, scanUs] = kind === 'invalid' ? [allow(), 0] : this.#run('server-to-client', msg, context);
    return { kind, verdict, context, tool: context?.tool, scanUs };
  }

  #run(direction: Direction, message: JsonRpcMessage, context: RequestContext | undefined): [Verdict, number] {
    const t0 = process.hrtime.bigint();
    let verdict: Verdict;
    try {
      verdict = this.#chain.evaluate({ direction, message, ...(context ? { context } : {}) });
    } catch (err) {
      this.onInternalError?.(err as Error);
      verdict = { action: 'block', findings: [INTERNAL_ERROR], removeTools: [] };
    }
    return [verdict, Number(process.hrtime.bigint() - t0) / 1000];
  }
}

/** The verdict for a frame with a duplicate key at `path`. */
function duplicateKey(path: string): Verdict {
  return { action: 'block', findings: [{ rule: 'duplicate-key', category: 'protocol', severity: 'high', path }], removeTools: [] };
}

function allow(): Verdict {
  return { action: 'allow', findings: [], removeTools: [] };
}
