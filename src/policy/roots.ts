/**
 * MCP roots for the path sandbox: when the client declares the `roots`
 * capability in `initialize`, the proxy sends the client its own `roots/list`
 * request after `notifications/initialized`, and again after every
 * `notifications/roots/list_changed` (MCP spec, "Client features: Roots").
 * The request uses a reserved id (`<prefix>roots:<n>`, the prefix holding a
 * random UUID) the client's own ids cannot collide with, and the client's
 * answer is consumed here: it never reaches the server.
 */
import type { JsonRpcMessage } from '../scan/types.js';

/** The client's answer to one of our `roots/list` requests. */
export type RootsAnswer = { readonly uris: string[] } | { readonly error: string };

/** Roots requested at most per session (a client flooding list_changed gets no more). */
const MAX_REQUESTS = 1000;

/** State of the proxy's own `roots/list` requests in one session. */
export class RootsRequester {
  readonly #prefix: string;
  #declared = false;
  #sent = 0;
  /** Ids of requests not answered yet. */
  readonly #open = new Set<string>();

  /** @param prefix the relay's reserved id prefix (`mcp-guard:<uuid>:`) */
  constructor(prefix: string) {
    this.#prefix = `${prefix}roots:`;
  }

  /** True while an answer is awaited: tools/call frames wait for it, so they are checked against the roots. */
  get waiting(): boolean {
    return this.#open.size > 0;
  }

  /**
   * Look at a client frame that is being forwarded.
   * @returns the text of a `roots/list` request to send to the client now, or undefined
   */
  afterClientFrame(msg: JsonRpcMessage): string | undefined {
    if (msg.method === 'initialize' && msg.id !== undefined) {
      const params = msg.params;
      const caps = params !== null && typeof params === 'object' && !Array.isArray(params) ? params['capabilities'] : undefined;
      this.#declared = caps !== null && typeof caps === 'object' && !Array.isArray(caps) && caps['roots'] !== undefined && caps['roots'] !== null;
      return undefined;
    }
    if (!this.#declared || msg.id !== undefined) return undefined;
    if (msg.method !== 'notifications/initialized' && msg.method !== 'notifications/roots/list_changed') return undefined;
    if (this.#sent >= MAX_REQUESTS) return undefined;
    const id = `${this.#prefix}${++this.#sent}`;
    this.#open.add(id);
    return JSON.stringify({ jsonrpc: '2.0', id, method: 'roots/list' });
  }

  /**
   * If `text` is the client's answer to one of our requests, read it.
   * @returns the roots' URIs, an error, or undefined when the frame is not ours (it is then relayed as usual)
   */
  answer(text: string): RootsAnswer | undefined {
    // Hot path (every client line): with no request open, no line can be an answer (see the #open check below).
    if (this.#open.size === 0 || !text.includes(this.#prefix)) return undefined;
    let msg: JsonRpcMessage;
    try {
      msg = JSON.parse(text) as JsonRpcMessage;
    } catch {
      return undefined;
    }
    if (typeof msg.id !== 'string' || !this.#open.has(msg.id) || msg.method !== undefined) return undefined;
    this.#open.delete(msg.id);
    if (msg.error !== undefined) return { error: typeof msg.error.message === 'string' ? msg.error.message.slice(0, 200) : 'error' };
    const result = msg.result;
    const roots = result !== null && typeof result === 'object' && !Array.isArray(result) ? result['roots'] : undefined;
    if (!Array.isArray(roots)) return { error: 'the client answered roots/list without a roots array' };
    const uris: string[] = [];
    for (const r of roots) {
      const uri = r !== null && typeof r === 'object' && !Array.isArray(r) ? r['uri'] : undefined;
      if (typeof uri === 'string') uris.push(uri);
    }
    return { uris };
  }

  /** Stop waiting (the client did not answer in time). */
  giveUp(): void {
    this.#open.clear();
  }
}
