/**
 * The upstream side of `proxy --upstream URL`: a remote MCP server spoken to
 * over Streamable HTTP (MCP spec 2025-06-18, Transports § Streamable HTTP, and
 * later revisions), with the fallback to the legacy HTTP+SSE transport
 * (2024-11-05) that the spec's § Backwards Compatibility describes.
 *
 * It looks like a stdio child to the relay: {@link HttpUpstream.serverIn} takes
 * the newline-delimited frames the relay sends, {@link HttpUpstream.serverOut}
 * gives the frames the server sent, one per line. A frame's JSON text is passed
 * on as the server wrote it (line breaks, which JSON allows only as whitespace
 * between tokens, become spaces so the frame fits on one line); nothing is
 * parsed and re-serialised. The SDK's client transports are not used because
 * they hand over parsed objects, not the server's bytes.
 *
 * What the transport itself answers (always -32000 to a pending request, so the
 * client never hangs): an unreachable upstream, an HTTP error, a stream that
 * ends before the answer and cannot be resumed. A frame over `maxFrameBytes` is
 * refused as `frame-too-large` (-32001), in bounded memory.
 */
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineFramer, type RawLine } from '../proxy/framer.js';
import { BLOCKED, SERVER_EXITED, errorLine, idKey, publicFindings, rawIdText, sniffId, type JsonRpcId } from '../proxy/jsonrpc.js';
import type { AuditLog } from '../log/audit.js';
import type { Finding } from '../scan/types.js';
import type { UpstreamHeader } from './headers.js';
import { SseParser } from './sse.js';

/** Which transport to speak: `auto` tries Streamable HTTP and falls back to HTTP+SSE on a 4xx. */
export type UpstreamTransport = 'auto' | 'streamable-http' | 'sse';

/** Options of {@link HttpUpstream}. */
export interface UpstreamOptions {
  readonly url: URL;
  readonly headers: readonly UpstreamHeader[];
  /** Largest frame, bytes (`limits.max_frame_bytes`). */
  readonly maxFrameBytes: number;
  readonly log: Pick<AuditLog, 'info' | 'warn' | 'decision'>;
  readonly transport?: UpstreamTransport;
  /** Reconnection delay when the server sent no `retry`, ms. @default 1000 */
  readonly retryMs?: number;
}

/** How the upstream session ended. */
export interface UpstreamExit {
  /** 0 when the client closed it; 1 when the upstream went away or refused. */
  readonly status: number;
  readonly reason: string;
}

/** A client request in flight, to answer if the transport loses it. */
interface Outstanding {
  readonly id: JsonRpcId;
  readonly rawId: string | undefined;
}

/** POSTs in flight at most; past this the relay's writes wait (backpressure to the client). */
const MAX_IN_FLIGHT = 64;
/** Resumption attempts (GET with Last-Event-ID) for one interrupted stream. */
const MAX_RESUME = 3;
/** Consecutive failed GET-stream connections before it is given up. */
const MAX_GET_FAILURES = 5;
/** Shortest reconnection delay, whatever the server's `retry` says, ms. */
const MIN_RETRY_MS = 100;
/** Time allowed for the DELETE that ends the session at shutdown, ms. */
const DELETE_TIMEOUT_MS = 1000;
const ACCEPT_BOTH = 'application/json, text/event-stream';
const FRAME_TOO_LARGE: Finding = { rule: 'frame-too-large', category: 'protocol', severity: 'medium', path: '' };

type State = 'new' | 'initializing' | 'ready' | 'legacy' | 'closed';

/** A remote MCP server behind the relay; see the module comment. */
export class HttpUpstream {
  /** Frames from the relay, newline-delimited. */
  readonly serverIn: Writable;
  /** Frames from the server, one per line. */
  readonly serverOut = new PassThrough();
  /** Resolves once the session is over (see {@link UpstreamExit}). */
  readonly exited: Promise<UpstreamExit>;
  readonly #o: UpstreamOptions;
  readonly #abort = new AbortController();
  #done!: (e: UpstreamExit) => void;
  #state: State = 'new';
  /** Lines that wait for the initialize exchange to finish. */
  #queue: RawLine[] = [];
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #initKey: string | undefined;
  /** Legacy transport: where messages are POSTed (from the `endpoint` event). */
  #endpoint: URL | undefined;
  readonly #outstanding = new Map<string, Outstanding>();
  /** Readers of the bodies being read (see #chunks). */
  readonly #readers = new Set<ReadableStreamDefaultReader<Uint8Array>>();
  /** Each response's own abort controller (see #drop). */
  readonly #requests = new WeakMap<Response, AbortController>();
  #retryMs: number;
  #inFlight = 0;
  /** Frames received from the server so far. */
  #received = 0;
  #blockedWrite: (() => void) | undefined;

  constructor(options: UpstreamOptions) {
    this.#o = options;
    this.#retryMs = options.retryMs ?? 1000;
    this.exited = new Promise((ok) => (this.#done = ok));
    // The relay enforces the frame limit on what it reads; a redacted frame may have grown a little, hence the slack.
    const framer = new LineFramer(
      {
        line: (l) => this.#line(l),
        oversized: (info) => {
          const id = sniffId(info.head.toString('utf8'));
          this.#o.log.warn(`a frame of ${info.size} bytes for the upstream is over twice the limit; not sent`);
          if (typeof id === 'string' || typeof id === 'number') this.#write(errorLine(id, BLOCKED, 'mcp-guard: blocked request: frame too large', { findings: publicFindings([FRAME_TOO_LARGE]) }));
        },
      },
      options.maxFrameBytes * 2 + 65_536,
    );
    this.serverIn = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        framer.push(chunk);
        if (this.#inFlight < MAX_IN_FLIGHT) cb();
        else this.#blockedWrite = () => cb();
      },
    });
  }

  /** The client is gone: end the upstream session (DELETE, best effort) and stop every stream. */
  async shutdown(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#sessionId !== undefined && this.#state === 'ready') {
      try {
        const res = await fetch(this.#o.url, { method: 'DELETE', headers: this.#headers(), redirect: 'error', signal: AbortSignal.timeout(DELETE_TIMEOUT_MS) });
        await res.body?.cancel();
      } catch {
        // The session ends with us either way.
      }
    }
    this.#end(0, 'client closed the session');
  }

  #end(status: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#abort.abort();
    for (const r of this.#readers) r.cancel().catch(() => undefined);
    this.#readers.clear();
    this.#release();
    this.#done({ status, reason });
  }

  /** One frame from the relay. */
  #line(line: RawLine): void {
    if (/^\s*$/.test(line.text)) return;
    const req = this.#request(line);
    if (this.#state === 'closed') {
      if (req !== undefined) this.#answer(req, SERVER_EXITED, 'mcp-guard: upstream session closed');
      return;
    }
    if (this.#state === 'initializing') {
      this.#queue.push(line);
      return;
    }
    if (this.#state === 'new' && req !== undefined && isInitialize(line.text)) {
      this.#state = 'initializing';
      this.#initKey = idKey(req.id);
      void this.#tracked(this.#initialize(line, req));
      return;
    }
    void this.#tracked(this.#state === 'legacy' ? this.#postLegacy(line, req) : this.#post(line, req));
  }

  /** The request in `line`, recorded as outstanding; undefined for notifications and responses. */
  #request(line: RawLine): Outstanding | undefined {
    let msg: unknown;
    try {
      msg = JSON.parse(line.text);
    } catch {
      return undefined;
    }
    if (msg === null || typeof msg !== 'object' || typeof (msg as { method?: unknown }).method !== 'string' || !('id' in msg)) return undefined;
    const id = (msg as { id: unknown }).id;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    const req = { id, rawId: rawIdText(line.text) };
    this.#outstanding.set(idKey(id), req);
    return req;
  }

  /** Count one POST in flight; a write held for the cap goes on when it ends. */
  async #tracked(p: Promise<void>): Promise<void> {
    this.#inFlight++;
    try {
      await p;
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#o.log.warn(`upstream: ${(err as Error).message}`);
    } finally {
      this.#inFlight--;
      this.#release();
    }
  }

  #release(): void {
    const cb = this.#blockedWrite;
    this.#blockedWrite = undefined;
    cb?.();
  }

  #headers(extra: Record<string, string> = {}): Headers {
    const h = new Headers();
    for (const { name, value } of this.#o.headers) h.append(name, value);
    if (this.#sessionId !== undefined) h.set('mcp-session-id', this.#sessionId);
    if (this.#protocolVersion !== undefined && this.#state !== 'legacy') h.set('mcp-protocol-version', this.#protocolVersion);
    for (const [k, v] of Object.entries(extra)) h.set(k, v);
    return h;
  }

  async #fetch(url: URL, init: { method: string; headers: Headers; body?: Uint8Array }): Promise<Response> {
    // Each request can be aborted alone (see #drop), and all of them with the session.
    const own = new AbortController();
    // Redirects are refused: following one could send the headers (tokens) to another place.
    const res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.any([this.#abort.signal, own.signal]) });
    this.#requests.set(res, own);
    return res;
  }

  /**
   * A response body's chunks. Its reader is kept until the body ends, so #end can cancel
   * it: aborting the fetch's signal does not always reach a long-lived stream (undici holds
   * the fetch's controller weakly, and after a garbage collection the abort is lost), and an
   * open GET stream would then keep the process alive.
   */
  async *#chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
    const reader = body.getReader();
    this.#readers.add(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      this.#readers.delete(reader);
      reader.cancel().catch(() => undefined);
    }
  }

  /**
   * Stop reading a response and close its connection. Cancelling the body alone leaves
   * undici reading the rest to reuse the connection (all 50 MB of an oversized answer).
   */
  #drop(res: Response): void {
    this.#requests.get(res)?.abort();
  }

  /** The initialize request: learn the session id, or fall back to HTTP+SSE on a 4xx. */
  async #initialize(line: RawLine, req: Outstanding): Promise<void> {
    if (this.#o.transport === 'sse') {
      await this.#legacy(line, req, undefined);
      return;
    }
    let res: Response;
    try {
      res = await this.#fetch(this.#o.url, { method: 'POST', headers: this.#headers({ 'content-type': 'application/json', accept: ACCEPT_BOTH }), body: line.bytes });
    } catch (err) {
      this.#unreachable(req, err);
      return;
    }
    if (res.status >= 400 && res.status < 500 && this.#o.transport !== 'streamable-http') {
      await res.body?.cancel();
      this.#o.log.info(`upstream answered HTTP ${res.status} to initialize; trying the HTTP+SSE transport (2024-11-05)`);
      await this.#legacy(line, req, res.status);
      return;
    }
    const sid = res.headers.get('mcp-session-id');
    if (sid !== null) {
      // MCP spec: visible ASCII only (0x21 to 0x7E).
      if (!/^[\x21-\x7e]{1,512}$/.test(sid)) {
        await res.body?.cancel();
        this.#answer(req, SERVER_EXITED, 'mcp-guard: upstream sent an invalid Mcp-Session-Id');
        this.#end(1, 'upstream sent an invalid Mcp-Session-Id');
        return;
      }
      this.#sessionId = sid;
    }
    const ready = this.#handle(res, req);
    await ready;
    this.#ready();
  }

  /** Initialization is over: send what waited, open the GET stream. */
  #ready(): void {
    if (this.#state !== 'initializing') return;
    this.#state = 'ready';
    const queued = this.#queue;
    this.#queue = [];
    for (const l of queued) this.#line(l);
    void this.#getStream(undefined, 0);
  }

  async #post(line: RawLine, req: Outstanding | undefined): Promise<void> {
    let res: Response;
    try {
      res = await this.#fetch(this.#o.url, { method: 'POST', headers: this.#headers({ 'content-type': 'application/json', accept: ACCEPT_BOTH }), body: line.bytes });
    } catch (err) {
      if (req !== undefined) this.#unreachable(req, err);
      return;
    }
    await this.#handle(res, req);
  }

  /** The answer to a POST: 202, JSON, or an SSE stream. */
  async #handle(res: Response, req: Outstanding | undefined): Promise<void> {
    if (res.status === 202) {
      await res.body?.cancel();
      return;
    }
    if (res.status === 404 && this.#sessionId !== undefined) {
      await res.body?.cancel();
      this.#o.log.warn('upstream ended the session (HTTP 404); the agent has to reconnect');
      this.#end(1, 'upstream session ended (HTTP 404)');
      return;
    }
    if (!res.ok) {
      await res.body?.cancel();
      if (req !== undefined) this.#answer(req, SERVER_EXITED, `mcp-guard: upstream answered HTTP ${res.status}`);
      else this.#o.log.warn(`upstream answered HTTP ${res.status} to a notification or response`);
      return;
    }
    const type = (res.headers.get('content-type') ?? '').toLowerCase();
    if (type.startsWith('text/event-stream')) await this.#sse(res, req, 0);
    else if (type.startsWith('application/json')) await this.#json(res, req);
    else {
      await res.body?.cancel();
      if (req !== undefined) this.#answer(req, SERVER_EXITED, 'mcp-guard: upstream answered with an unexpected content type');
    }
  }

  /** A JSON body: one frame, read in bounded memory. */
  async #json(res: Response, req: Outstanding | undefined): Promise<void> {
    const parts: Buffer[] = [];
    let size = 0;
    if (res.body !== null) {
      for await (const chunk of this.#chunks(res.body)) {
        size += chunk.length;
        if (size > this.#o.maxFrameBytes) {
          const head = Buffer.concat([...parts, Buffer.from(chunk)]).subarray(0, 4096);
          this.#drop(res);
          this.#oversized(head, size, req, true);
          return;
        }
        parts.push(Buffer.from(chunk));
      }
    }
    const text = Buffer.concat(parts, size).toString('utf8');
    if (text.trim() !== '') await this.#emit(text);
    if (req !== undefined) this.#answer(req, SERVER_EXITED, 'mcp-guard: upstream answered without a response to this request');
  }

  /**
   * An SSE stream (a POST's answer, the GET stream, or a resumption of either).
   * @param req the request this stream answers (POST streams), for resumption and errors
   * @returns the stream's last event id
   */
  async #sse(res: Response, req: Outstanding | undefined, attempt: number): Promise<string> {
    const pending: string[] = [];
    const parser = new SseParser(
      {
        event: (e) => {
          // Events without data (priming events, 2025-11-25) and other event types carry no message.
          if (e.type === 'message' && e.data !== '') pending.push(e.data);
        },
        oversized: (e) => {
          if (e.type === 'message') this.#oversized(e.head, e.size, undefined, false);
        },
        retry: (ms) => (this.#retryMs = Math.min(Math.max(ms, MIN_RETRY_MS), 60_000)),
      },
      this.#o.maxFrameBytes,
    );
    let broken = false;
    try {
      if (res.body !== null) {
        for await (const chunk of this.#chunks(res.body)) {
          parser.push(chunk);
          for (const text of pending.splice(0)) await this.#emit(text);
        }
      }
    } catch {
      broken = true;
    }
    for (const text of pending.splice(0)) await this.#emit(text);
    if (this.#state === 'closed' || req === undefined || !this.#outstanding.has(idKey(req.id))) return parser.lastEventId;
    // The stream ended before the answer: resume it with Last-Event-ID when the server gave ids.
    if (parser.lastEventId !== '' && attempt < MAX_RESUME) {
      await sleep(this.#retryMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
      if (this.#abort.signal.aborted) return parser.lastEventId;
      try {
        const again = await this.#fetch(this.#o.url, { method: 'GET', headers: this.#headers({ accept: 'text/event-stream', 'last-event-id': parser.lastEventId }) });
        if (again.ok && (again.headers.get('content-type') ?? '').startsWith('text/event-stream')) return await this.#sse(again, req, attempt + 1);
        await again.body?.cancel();
      } catch {
        // Answered below.
      }
    }
    this.#answer(req, SERVER_EXITED, broken ? 'mcp-guard: upstream connection lost before the response' : 'mcp-guard: upstream closed the stream before the response');
    return parser.lastEventId;
  }

  /** The GET stream for messages the server starts; reconnects with Last-Event-ID. */
  async #getStream(lastEventId: string | undefined, failures: number): Promise<void> {
    while (this.#state === 'ready' && failures < MAX_GET_FAILURES) {
      let res: Response;
      try {
        const extra: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId !== undefined && lastEventId !== '') extra['last-event-id'] = lastEventId;
        res = await this.#fetch(this.#o.url, { method: 'GET', headers: this.#headers(extra) });
      } catch {
        failures++;
        await sleep(this.#retryMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
        continue;
      }
      if (res.status === 405) {
        await res.body?.cancel();
        return; // The server offers no GET stream (MCP spec: 405 Method Not Allowed).
      }
      if (res.status === 404 && this.#sessionId !== undefined) {
        await res.body?.cancel();
        this.#end(1, 'upstream session ended (HTTP 404)');
        return;
      }
      if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        await res.body?.cancel();
        failures++;
      } else {
        const before = this.#received;
        const id = await this.#sse(res, undefined, 0);
        // A stream that closes with nothing on it (no message, no new event id) counts as a failure.
        failures = this.#received > before || (id !== '' && id !== lastEventId) ? 0 : failures + 1;
        lastEventId = id || lastEventId;
      }
      await sleep(this.#retryMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
    }
    if (this.#state === 'ready') this.#o.log.warn('upstream GET stream given up after repeated failures; server-initiated messages may be missed');
  }

  /**
   * The legacy HTTP+SSE transport (2024-11-05): GET the URL for an event stream whose
   * first event, `endpoint`, names where to POST; every server message comes on that stream.
   * @param status the HTTP status the initialize POST got, for the error message
   */
  async #legacy(line: RawLine, req: Outstanding, status: number | undefined): Promise<void> {
    let res: Response;
    try {
      res = await this.#fetch(this.#o.url, { method: 'GET', headers: this.#headers({ accept: 'text/event-stream' }) });
    } catch (err) {
      this.#unreachable(req, err);
      return;
    }
    const was = status !== undefined ? `HTTP ${status} to initialize, and ` : '';
    if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel();
      this.#answer(req, SERVER_EXITED, `mcp-guard: upstream answered ${was}HTTP ${res.status} to the SSE stream`);
      this.#end(1, `upstream refused: ${was}HTTP ${res.status} to the SSE stream`);
      return;
    }
    const pending: string[] = [];
    let problem: string | undefined;
    const parser = new SseParser(
      {
        event: (e) => {
          if (e.type === 'endpoint' && this.#endpoint === undefined) {
            let url: URL | undefined;
            try {
              url = new URL(e.data.trim(), this.#o.url);
            } catch {
              url = undefined;
            }
            // The SDK's SSEClientTransport checks the same: messages never go to another origin.
            if (url === undefined || url.origin !== this.#o.url.origin) problem = 'upstream named an endpoint on another origin';
            else this.#endpoint = url;
          } else if (e.type === 'message' && e.data !== '') pending.push(e.data);
        },
        oversized: (e) => {
          if (e.type === 'message') this.#oversized(e.head, e.size, undefined, false);
        },
      },
      this.#o.maxFrameBytes,
    );
    try {
      if (res.body !== null) {
        for await (const chunk of this.#chunks(res.body)) {
          parser.push(chunk);
          if (problem !== undefined) break;
          if (this.#endpoint !== undefined && this.#state === 'initializing') {
            this.#state = 'legacy';
            this.#o.log.info('upstream speaks HTTP+SSE (2024-11-05)');
            const queued = [line, ...this.#queue];
            this.#queue = [];
            for (const l of queued) void this.#tracked(this.#postLegacy(l, l === line ? req : this.#request(l)));
          }
          for (const text of pending.splice(0)) await this.#emit(text);
        }
      }
    } catch {
      // The stream broke: the session is over (this transport has no resumption).
    }
    for (const text of pending.splice(0)) await this.#emit(text);
    if (problem !== undefined) {
      await res.body?.cancel().catch(() => undefined);
      this.#answer(req, SERVER_EXITED, `mcp-guard: ${problem}`);
    }
    this.#end(1, problem ?? 'upstream closed its SSE stream');
  }

  async #postLegacy(line: RawLine, req: Outstanding | undefined): Promise<void> {
    if (this.#endpoint === undefined) return;
    let res: Response;
    try {
      res = await this.#fetch(this.#endpoint, { method: 'POST', headers: this.#headers({ 'content-type': 'application/json' }), body: line.bytes });
    } catch (err) {
      if (req !== undefined) this.#unreachable(req, err);
      return;
    }
    await res.body?.cancel();
    if (!res.ok && req !== undefined) this.#answer(req, SERVER_EXITED, `mcp-guard: upstream answered HTTP ${res.status}`);
  }

  #unreachable(req: Outstanding, err: unknown): void {
    if (this.#abort.signal.aborted) return;
    // undici's cause: a code (ECONNREFUSED) or a short message ("bad port"); neither holds a header.
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message.slice(0, 80) : 'connection failed';
    const initializing = this.#state === 'initializing';
    this.#answer(req, SERVER_EXITED, `mcp-guard: upstream unreachable (${why})`);
    if (initializing) this.#end(1, `upstream unreachable (${why})`);
  }

  /** Answer a client request on the transport's behalf, once; nothing if it was answered already. */
  #answer(req: Outstanding, code: number, message: string, data?: unknown): void {
    if (!this.#outstanding.delete(idKey(req.id))) return;
    this.#write(errorLine(req.id, code, message, data, req.rawId));
    if (idKey(req.id) === this.#initKey && this.#state === 'initializing') this.#ready();
  }

  /** A frame over the limit: the request it answers gets -32001 `frame-too-large`. */
  #oversized(head: Buffer, size: number, req: Outstanding | undefined, partial: boolean): void {
    const sniffed = sniffId(head.toString('utf8'));
    const target = sniffed !== undefined ? this.#outstanding.get(idKey(sniffed)) : req;
    const reason = `frame of ${partial ? 'over ' : ''}${size} bytes exceeds the ${this.#o.maxFrameBytes}-byte limit`;
    this.#o.log.decision({ direction: 'server-to-client', id: target?.id ?? sniffed, action: 'block', findings: [FRAME_TOO_LARGE], scanUs: 0, reason });
    if (target !== undefined) {
      this.#answer(target, BLOCKED, `mcp-guard: blocked response: ${reason}`, { findings: publicFindings([FRAME_TOO_LARGE]) });
    }
  }

  /** One frame from the server, onto one line; waits while the relay's side is full. */
  async #emit(text: string): Promise<void> {
    this.#received++;
    if (this.#outstanding.size > 0) this.#settle(text);
    this.#write(Buffer.from(`${text.replace(/[\r\n]/g, ' ')}\n`));
    if (this.serverOut.writableNeedDrain && this.#state !== 'closed') {
      await once(this.serverOut, 'drain', { signal: this.#abort.signal }).catch(() => undefined);
    }
  }

  #write(line: Buffer): void {
    if (!this.serverOut.writableEnded) this.serverOut.write(line);
  }

  /** A response from the server: its request is no longer outstanding; the initialize result gives the protocol version. */
  #settle(text: string): void {
    let msg: { id?: unknown; method?: unknown; result?: { protocolVersion?: unknown } } | null;
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object' || msg.method !== undefined) return;
    if (typeof msg.id !== 'string' && typeof msg.id !== 'number') return;
    const key = idKey(msg.id);
    if (!this.#outstanding.delete(key)) return;
    if (key === this.#initKey) {
      const v = msg.result?.protocolVersion;
      if (typeof v === 'string' && /^[\x21-\x7e]{1,64}$/.test(v)) this.#protocolVersion = v;
      this.#ready();
    }
  }
}

/** True when the line is an `initialize` request (a cheap look before parsing). */
function isInitialize(text: string): boolean {
  try {
    return (JSON.parse(text) as { method?: unknown }).method === 'initialize';
  } catch {
    return false;
  }
}
