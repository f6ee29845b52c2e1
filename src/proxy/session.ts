/**
 * The stateful part of the chain that both the live proxy and `mcp-guard scan`
 * use: it pairs responses with their requests by id (so a response is scanned
 * knowing which method it answers) and runs the chain, failing closed.
 */
import { checkStructure, classify, idKey, type FrameKind, type JsonRpcId, rawIdText } from './jsonrpc.js';
import type { ScanChain, Verdict } from '../scan/chain.js';
import type { Direction, Finding, JsonRpcMessage, RequestContext } from '../scan/types.js';

/** A request awaiting its response. */
export interface PendingRequest extends RequestContext {
  readonly id: JsonRpcId;
  /** The id's text exactly as the client wrote it, for answers the proxy writes itself. */
  readonly rawId?: string | undefined;
  /** The proxy sent this request itself (see {@link GuardSession.ownRequest}); its answer is never forwarded. */
  readonly own?: boolean;
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
  /**
   * The id's raw text (see `rawIdText`) to answer with: for a request, its own id;
   * for a response, the id of the request it answers, as that side wrote it.
   */
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

/** Requests in flight per direction, at most; past it a new request is blocked (`too-many-pending`). */
export const MAX_PENDING = 65_536;

/**
 * Pairs requests and responses and runs the chain. One per proxied session.
 *
 * Pairing is strict, because a response is scanned by the method it answers:
 * - ids are matched the way clients match them ({@link idKey}: `1`, `"1"` and `"0x1"` are one id);
 * - a response that answers nothing pending (never asked, already answered, or
 *   sent before its request) is blocked (`unpaired-response`), never forwarded on a weaker check;
 * - a frame without `"jsonrpc":"2.0"` is invalid and never uses up a pending entry;
 * - a request whose id is already in flight is blocked (`duplicate-id`), so it cannot
 *   change the method an earlier request's answer is scanned as.
 * The same holds for requests the server sends (sampling, elicitation, roots) and the client's answers.
 */
export class GuardSession {
  readonly #chain: ScanChain;
  /** Client → server requests awaiting the server's response. */
  readonly #pending = new Map<string, PendingRequest>();
  /** Server → client requests awaiting the client's response. */
  readonly #serverPending = new Map<string, PendingRequest>();
  /** Called when the chain throws; the frame is blocked regardless. */
  onInternalError: ((err: Error) => void) | undefined;

  constructor(chain: ScanChain) {
    this.#chain = chain;
  }

  /** Requests from the client that the server has not answered. */
  get pending(): ReadonlyMap<string, PendingRequest> {
    return this.#pending;
  }

  /**
   * Record a request the proxy itself sends to the server (e.g. the `tools/list`
   * it makes before a client's first `tools/call`). Its response pairs like any
   * other, and is scanned by its method, but {@link PendingRequest.own} tells the
   * relay to keep it from the client.
   * @param id a reserved id the client cannot predict (`mcp-guard:<uuid>:<n>`)
   */
  ownRequest(id: string, method: string): void {
    this.#pending.set(idKey(id), { id, rawId: JSON.stringify(id), method, own: true });
  }

  /** Forget every pending request and return the client's ones (server exited). */
  drainPending(): PendingRequest[] {
    const all = [...this.#pending.values()].filter((p) => p.own !== true);
    this.#pending.clear();
    this.#serverPending.clear();
    return all;
  }

  /** True when a client request for `method` awaits the server's answer. */
  awaiting(method: string): boolean {
    for (const p of this.#pending.values()) if (p.method === method && p.own !== true) return true;
    return false;
  }

  /** Forget one pending client request (answered out of band, e.g. oversized response). */
  forget(id: JsonRpcId): boolean {
    return id !== null && this.#pending.delete(idKey(id));
  }

  /** Forget one pending server request (ask: a held one that was denied, so never reached the client). */
  forgetServerRequest(id: JsonRpcId): boolean {
    return id !== null && this.#serverPending.delete(idKey(id));
  }

  /**
   * Decide on a frame from the client. An allowed (or warned) request is
   * recorded as pending so its response can be paired; a response must answer
   * a pending server request.
   * @param value the parsed frame
   * @param raw the frame's text as received, when known: a key that appears
   *   twice in one object blocks the frame (`duplicate-key`, in every mode),
   *   because the server's parser may read the copy the scanners never saw;
   *   so does nesting deeper than `MAX_FRAME_DEPTH` (`frame-too-deep`)
   */
  fromClient(value: unknown, raw?: string): SessionDecision {
    return this.#decide('client-to-server', value, raw, this.#pending, this.#serverPending);
  }

  /**
   * Decide on a frame from the server; a response consumes its pending request.
   * @param raw the frame's text, when known (duplicate keys and depth, as for {@link fromClient})
   */
  fromServer(value: unknown, raw?: string): SessionDecision {
    return this.#decide('server-to-client', value, raw, this.#serverPending, this.#pending);
  }

  /**
   * @param mine requests this side sent (a request from this side is recorded here)
   * @param theirs requests the other side sent (a response from this side answers one of them)
   */
  #decide(
    direction: Direction,
    value: unknown,
    raw: string | undefined,
    mine: Map<string, PendingRequest>,
    theirs: Map<string, PendingRequest>,
  ): SessionDecision {
    const kind = classify(value);
    if (kind === 'invalid') return { kind, verdict: allow(), context: undefined, tool: undefined, scanUs: 0 };
    const msg = value as JsonRpcMessage;
    const tool = kind === 'request' ? toolName(msg) : undefined;
    // Only a request's own raw id is kept (a response's decision carries its request's): one pass fewer per response.
    const rawId = kind === 'request' && raw !== undefined ? rawIdText(raw) : undefined;
    let context: PendingRequest | undefined;
    let problem: Finding | undefined;
    if (kind === 'response') {
      const key = idKey(msg.id as JsonRpcId);
      context = theirs.get(key);
      theirs.delete(key);
      if (context === undefined) problem = protocol('unpaired-response', 'id');
    } else if (kind === 'request') {
      const key = idKey(msg.id as JsonRpcId);
      if (mine.has(key)) problem = protocol('duplicate-id', 'id');
      else if (mine.size >= MAX_PENDING) problem = protocol('too-many-pending', 'id');
    }
    const structure = problem === undefined && raw !== undefined ? checkStructure(raw) : undefined;
    if (structure !== undefined) problem = protocol(structure.rule, structure.path);
    const [verdict, scanUs] =
      problem !== undefined ? [blocked(problem), 0] : this.#run(direction, msg, context, raw);
    if (kind === 'request' && verdict.action !== 'block' && verdict.action !== 'filter') {
      const id = msg.id as JsonRpcId;
      mine.set(idKey(id), { id, rawId, method: msg.method as string, ...(tool !== undefined ? { tool } : {}) });
    }
    return { kind, verdict, context, tool: tool ?? context?.tool, scanUs, rawId: kind === 'request' ? rawId : context?.rawId };
  }

  #run(direction: Direction, message: JsonRpcMessage, context: RequestContext | undefined, raw: string | undefined): [Verdict, number] {
    const t0 = process.hrtime.bigint();
    let verdict: Verdict;
    try {
      verdict = this.#chain.evaluate({ direction, message, ...(context ? { context } : {}), ...(raw !== undefined ? { raw } : {}) });
    } catch (err) {
      this.onInternalError?.(err as Error);
      verdict = { action: 'block', findings: [INTERNAL_ERROR], removeTools: [] };
    }
    return [verdict, Number(process.hrtime.bigint() - t0) / 1000];
  }
}

function protocol(rule: string, path: string): Finding {
  return { rule, category: 'protocol', severity: 'high', path };
}

function blocked(finding: Finding): Verdict {
  return { action: 'block', findings: [finding], removeTools: [] };
}

function allow(): Verdict {
  return { action: 'allow', findings: [], removeTools: [] };
}
