/**
 * The `ask` action: a frame whose verdict is `ask` is held while the proxy asks
 * the person, in the agent's own window, through MCP elicitation
 * (`elicitation/create`, MCP spec 2025-06-18, "Client Features › Elicitation").
 * The proxy is the requester here, speaking to the client as the server would:
 *
 * - the question carries a short message (which tool, what was found, masked
 *   previews only) and a `requestedSchema` with one enum field, `decision`:
 *   `allow_once`, `allow_session` or `deny`;
 * - its id has a reserved prefix (`mcp-guard-ask:<uuid>:<n>`) that neither side
 *   can predict, is never recorded in the session's pending maps, and the
 *   client's answer is consumed here ({@link Asker.intercept}): it never reaches the server;
 * - every other frame keeps flowing while a frame waits; answers come in any order.
 *
 * Fail closed: a client that did not declare the `elicitation` capability (form
 * mode) in `initialize`, a decline, a cancel, an error, a malformed answer, no
 * answer within `approvals.ask_timeout`, the client disconnecting, or more than
 * `approvals.max_waiting` frames waiting: the frame gets its denied verdict (a
 * request is blocked, a tool is filtered out of its list).
 *
 * "Allow for this session" covers the same direction, the same tool (or method)
 * and the same rule, in this process only; for a definition in a list (a drifted
 * or new tool) also the same definition (its fingerprint), so a second change is
 * asked about again. It is never written to the pin store: approving a drifted
 * definition for good stays `mcp-guard pins approve`.
 */
import { randomUUID } from 'node:crypto';
import type { AskConfig } from '../config/ask-schema.js';
import type { ApprovalEvent, AuditLog } from '../log/audit.js';
import type { ScanChain, Verdict } from '../scan/chain.js';
import { toolFingerprint } from '../scan/drift.js';
import { maskAll } from '../scan/mask.js';
import type { Finding, JsonRpcMessage, ScanInput } from '../scan/types.js';
import { listItem, methodOf, questionText } from './ask-question.js';

import { idKey, type FrameKind } from './jsonrpc.js';

/** What a person answered, or what happened instead. Audit `outcome`s, with `asked`. */
export type AskOutcome = 'allowed-once' | 'allowed-session' | 'denied' | 'timed-out';

/** The choices of the question's `decision` field (its `enum`). */
export const ASK_CHOICES = ['allow_once', 'allow_session', 'deny'] as const;
const CHOICE_TITLES = ['Allow once', 'Allow for this session', 'Deny'];

/** One frame to hold until the person answers. */
export interface HeldFrame {
  /** The frame as the chain saw it (direction, message, and the request it answers). */
  readonly input: ScanInput;
  readonly kind: FrameKind;
  /** The frame's `ask` verdict. */
  readonly verdict: Verdict;
  /** The tool of a `tools/call` request or response. */
  readonly tool: string | undefined;
  /**
   * Called exactly once with the frame's final verdict (never `ask`), and a note
   * for the block message and the audit line when the frame was not allowed
   * because nobody could answer.
   */
  readonly release: (final: Verdict, note: string | undefined) => void;
  /** Called instead of `release` when the frame is dropped unanswered (its request was cancelled, or answered already). */
  readonly drop: () => void;
}

/** Wiring of the asker. */
export interface AskerOptions {
  readonly config: AskConfig;
  readonly chain: ScanChain;
  readonly log: AuditLog;
  /** Write one line to the client (the relay's own writer, with backpressure). */
  readonly send: (line: Buffer) => void;
}

/** A question in flight. */
interface Question {
  readonly id: string;
  readonly frame: HeldFrame;
  /** Asked findings not yet allowed for the session, with their session keys. */
  readonly open: ReadonlyMap<Finding, string>;
  /** Asked findings already allowed for the session (they pass whatever the answer). */
  readonly earlier: ReadonlySet<Finding>;
  readonly timer: NodeJS.Timeout;
}


/** Holds frames whose verdict is `ask` and asks the person about them. One per relay. */
export class Asker {
  readonly #o: AskerOptions;
  /** Reserved prefix of the proxy's own elicitation ids. */
  readonly #prefix = `mcp-guard-ask:${randomUUID()}:`;
  #asked = 0;
  /** Questions in flight, by id. */
  readonly #questions = new Map<string, Question>();
  /** Session approvals: keys from {@link Asker.#key}. */
  readonly #session = new Set<string>();
  /** The client declared form-mode elicitation in its `initialize`; undefined until that is seen. */
  #canAsk: boolean | undefined;
  #closed: string | undefined;

  constructor(options: AskerOptions) {
    this.#o = options;
  }

  /** Frames waiting for an answer. */
  get waiting(): number {
    return this.#questions.size;
  }

  /**
   * Note what the client declares, from each of its frames before they are decided:
   * the `elicitation` capability of its first `initialize` (MCP spec 2025-06-18,
   * "Lifecycle"; since 2025-11-25 an `elicitation` object with only `url` has no
   * form mode, and `{}` means form), and `notifications/cancelled` for a held request
   * (that question is withdrawn and the request is never sent, nor answered).
   */
  observeClient(value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const m = value as JsonRpcMessage;
    const params = m.params !== null && typeof m.params === 'object' && !Array.isArray(m.params) ? m.params : undefined;
    if (m.method === 'initialize' && 'id' in m && this.#canAsk === undefined) {
      const caps = params?.['capabilities'];
      const e = caps !== null && typeof caps === 'object' && !Array.isArray(caps) ? caps['elicitation'] : undefined;
      this.#canAsk = e !== null && typeof e === 'object' && !Array.isArray(e) && (Object.hasOwn(e, 'form') || !Object.hasOwn(e, 'url'));
      return;
    }
    if (m.method === 'notifications/cancelled' && this.#questions.size > 0) {
      const rid = params?.['requestId'];
      if (typeof rid !== 'string' && typeof rid !== 'number') return;
      for (const q of this.#questions.values()) {
        const held = q.frame.input;
        if (held.direction === 'client-to-server' && q.frame.kind === 'request' && held.message.id !== undefined && held.message.id !== null && idKey(held.message.id) === idKey(rid)) {
          this.#withdraw(q, 'the client cancelled the request');
          this.#o.log.approval(this.#event(q, 'denied', 'the client cancelled the held request'));
          // A cancelled request is never answered (MCP spec, "Cancellation"); it was never sent either.
          q.frame.drop();
        }
      }
    }
  }

  /**
   * Consume the client's answer to one of the proxy's questions.
   * @param text a client line, before anything else looks at it
   * @returns true when the line was such an answer (or claimed the reserved prefix): it is not forwarded
   */
  intercept(text: string): boolean {
    // Hot path (every client line): before the first question the random prefix was never sent, so no line can carry it.
    if (this.#asked === 0 || !text.includes(this.#prefix)) return false;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const m = value as JsonRpcMessage;
    if (typeof m.id !== 'string' || !m.id.startsWith(this.#prefix) || typeof m.method === 'string') return false;
    const q = this.#questions.get(m.id);
    if (q === undefined) {
      this.#o.log.warn('the client answered a question that is not waiting (answered already, or timed out); ignored', { direction: 'client-to-server' });
      return true;
    }
    this.#answer(q, m);
    return true;
  }

  /**
   * Hold a frame whose verdict is `ask` and ask about it; or decide it now: allowed
   * when every asked finding was allowed for the session, denied when nobody can
   * be asked (no capability, the client gone, too many waiting).
   */
  hold(frame: HeldFrame): void {
    const asks = frame.verdict.asks ?? [];
    if (asks.length === 0) {
      // Nothing named to ask about: the chain's settle blocks what asks.
      this.#settle(frame, new Set(), 'not allowed: the verdict named nothing to ask about');
      return;
    }
    const open = new Map<Finding, string>();
    const earlier = new Set<Finding>();
    for (const f of asks) {
      const key = this.#key(frame, f);
      if (this.#session.has(key)) earlier.add(f);
      else open.set(f, key);
    }
    if (open.size === 0) {
      this.#o.log.approval(event(frame, undefined, [...earlier], 'allowed-session', 'allowed for this session by an earlier answer'));
      this.#settle(frame, earlier, undefined);
      return;
    }
    const refuse = this.#closed ??
      (this.#canAsk !== true
        ? 'not asked: the client did not declare the elicitation capability in initialize, so nobody can approve it (ask blocks)'
        : this.#questions.size >= this.#o.config.maxWaiting
          ? `not asked: ${this.#questions.size} frames already wait for an answer (approvals.max_waiting)`
          : undefined);
    if (refuse !== undefined) {
      this.#settle(frame, earlier, refuse);
      return;
    }
    const id = `${this.#prefix}${++this.#asked}`;
    const timer = setTimeout(() => this.#timedOut(id), this.#o.config.timeoutMs);
    timer.unref();
    const q: Question = { id, frame, open, earlier, timer };
    this.#questions.set(id, q);
    const request = {
      jsonrpc: '2.0',
      id,
      method: 'elicitation/create',
      params: {
        message: questionText(frame, [...open.keys()]),
        requestedSchema: {
          type: 'object',
          properties: {
            decision: {
              type: 'string',
              title: 'Decision',
              description: 'Allow for this session: the same tool and rule, until this proxy exits (never saved).',
              enum: [...ASK_CHOICES],
              enumNames: CHOICE_TITLES,
              default: 'deny',
            },
          },
          required: ['decision'],
        },
      },
    };
    this.#o.log.approval(this.#event(q, 'asked'));
    this.#o.send(Buffer.from(`${JSON.stringify(request)}\n`));
  }

  /**
   * No answer can come any more: every held frame gets its denied verdict (a held
   * client request is dropped instead when `dropRequests`, because it was answered already).
   * @param reason for the log and block messages, e.g. `the client disconnected`
   */
  closeAll(reason: string, dropRequests = false): void {
    this.#closed = `not allowed: ${reason} before the answer`;
    for (const q of [...this.#questions.values()]) {
      clearTimeout(q.timer);
      this.#questions.delete(q.id);
      this.#o.log.approval(this.#event(q, 'denied', reason));
      if (dropRequests && q.frame.input.direction === 'client-to-server' && q.frame.kind === 'request') {
        q.frame.drop();
        continue;
      }
      this.#settle(q.frame, q.earlier, this.#closed);
    }
  }

  #answer(q: Question, m: JsonRpcMessage): void {
    clearTimeout(q.timer);
    this.#questions.delete(q.id);
    const result = m.result;
    const r = result !== null && typeof result === 'object' && !Array.isArray(result) ? result : undefined;
    const content = r?.['content'];
    const decision = content !== null && typeof content === 'object' && !Array.isArray(content) ? content['decision'] : undefined;
    if (r?.['action'] === 'accept' && (decision === 'allow_once' || decision === 'allow_session')) {
      if (decision === 'allow_session') for (const key of q.open.values()) this.#session.add(key);
      this.#o.log.approval(this.#event(q, decision === 'allow_once' ? 'allowed-once' : 'allowed-session'));
      this.#settle(q.frame, new Set([...q.earlier, ...q.open.keys()]), undefined);
      return;
    }
    const why =
      m.error !== undefined ? 'the client answered with an error'
        : r?.['action'] === 'decline' ? 'declined'
          : r?.['action'] === 'cancel' ? 'cancelled'
            : r?.['action'] === 'accept' && decision === 'deny' ? 'denied'
              : 'no valid choice in the answer';
    this.#o.log.approval(this.#event(q, 'denied', why));
    this.#settle(q.frame, q.earlier, `the person was asked: ${why}`);
  }

  #timedOut(id: string): void {
    const q = this.#questions.get(id);
    if (q === undefined) return;
    this.#withdraw(q, 'timed out');
    const seconds = this.#o.config.timeoutMs / 1000;
    this.#o.log.approval(this.#event(q, 'timed-out', `no answer within ${seconds} s (approvals.ask_timeout)`));
    this.#settle(q.frame, q.earlier, `not allowed: no answer within ${seconds} s (approvals.ask_timeout)`);
  }

  /** Take a question back: the client is told to close it (MCP spec, "Cancellation"). */
  #withdraw(q: Question, reason: string): void {
    clearTimeout(q.timer);
    this.#questions.delete(q.id);
    this.#o.send(Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: q.id, reason: `mcp-guard: ${reason}` } })}\n`));
  }

  #settle(frame: HeldFrame, allowed: ReadonlySet<Finding>, note: string | undefined): void {
    frame.release(this.#o.chain.settle(frame.input, frame.verdict, allowed), note);
  }

  /**
   * The session-approval key of an asked finding: direction, the item's name and
   * fingerprint for a definition in a list (`result.tools[2]`), else the tool (or
   * the method), and the rule.
   */
  #key(frame: HeldFrame, f: Finding): string {
    const item = listItem(frame.input.message, f.path);
    const what = item !== undefined ? [item.kind, item.name, toolFingerprint(item.value)] : [frame.tool ?? `method:${methodOf(frame) ?? ''}`];
    return JSON.stringify([frame.input.direction, ...what, f.rule]);
  }

  #event(q: Question, outcome: AskOutcome | 'asked', reason?: string): ApprovalEvent {
    return event(q.frame, q.id, [...q.open.keys(), ...q.earlier], outcome, reason);
  }
}

/** The audit event for one step of a question (names that are secrets masked). */
function event(frame: HeldFrame, question: string | undefined, findings: readonly Finding[], outcome: ApprovalEvent['outcome'], reason?: string): ApprovalEvent {
  const names = frame.verdict.secretNames ?? [];
  const id = frame.input.message.id;
  return {
    outcome,
    question,
    direction: frame.input.direction,
    method: methodOf(frame),
    id: typeof id === 'string' ? maskAll(id, names) : id,
    tool: frame.tool === undefined ? undefined : maskAll(frame.tool, names),
    findings,
    ...(reason !== undefined ? { reason } : {}),
  };
}
