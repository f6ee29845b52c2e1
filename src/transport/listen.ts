/**
 * `proxy --listen`: serve the Streamable HTTP transport (MCP spec 2025-06-18,
 * Transports § Streamable HTTP) to clients, one isolated session per client.
 *
 * Each session gets its own pair of client streams, handed to
 * {@link ListenOptions.openSession}, which puts a relay (its own chain, pins
 * binding, pending map) and its own server behind them. So no scanner knows the
 * transport: a POSTed message becomes one line on the session's `clientIn`, and
 * each line the relay writes to `clientOut` goes back as an SSE event: a response
 * on the stream of the POST that asked for it, anything else on the GET stream
 * (or, while none is open, on an open POST stream, or held until one opens).
 *
 * Before a request is looked at: the `Host` (on a loopback bind) and `Origin`
 * are checked (403), then the bearer token (401, no detail), then the body's
 * size against `maxFrameBytes` (413). Resumption (`Last-Event-ID`) is not offered.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { LineFramer, type RawLine } from '../proxy/framer.js';
import { BLOCKED, errorLine, idKey, sniffId } from '../proxy/jsonrpc.js';
import type { AuditLog } from '../log/audit.js';
import { bearerMatches, hostAllowed, originAllowed, type ListenAddress } from './listen-guard.js';

/** Sessions at most; a new one past this gets 503. */
export const MAX_SESSIONS = 32;
/** Messages for the client held while it has no stream open, at most (bytes). */
const MAX_HELD_BYTES = 4 * 1024 * 1024;
/**
 * A session with no open stream and no traffic for this long is closed (its server
 * shut down), so clients that vanish without a DELETE cannot use up {@link MAX_SESSIONS}, ms.
 */
export const SESSION_IDLE_MS = 15 * 60 * 1000;
/** The path served. */
export const MCP_PATH = '/mcp';

/** A session's server side, as {@link ListenOptions.openSession} returns it. */
export interface SessionBackend {
  /** Resolves when the session's relay and server are done. */
  readonly closed: Promise<void>;
  /** End the session: the relay's client input ends and its server is shut down. */
  close(): void;
}

/** Options of {@link ListenServer}. */
export interface ListenOptions {
  readonly address: ListenAddress;
  /** Bearer token required on every request; undefined: none. */
  readonly token: string | undefined;
  /** Origins accepted besides loopback ones (`--allow-origin`). */
  readonly allowOrigins: readonly string[];
  readonly maxFrameBytes: number;
  readonly log: Pick<AuditLog, 'info' | 'warn'>;
  /** Start one session behind these streams. */
  openSession(io: { readonly id: string; readonly clientIn: Readable; readonly clientOut: Writable }): SessionBackend;
}

/** The HTTP server of `--listen`. */
export class ListenServer {
  readonly #o: ListenOptions;
  readonly #server: Server;
  readonly #sessions = new Map<string, ListenSession>();
  readonly #reaper: NodeJS.Timeout;

  constructor(options: ListenOptions) {
    this.#o = options;
    this.#server = createServer((req, res) => this.#request(req, res));
    // A client that stops reading must not hold the proxy; headers take at most this long.
    this.#server.headersTimeout = 30_000;
    this.#server.requestTimeout = 0;
    this.#reaper = setInterval(() => {
      for (const s of this.#sessions.values()) {
        if (s.idle(SESSION_IDLE_MS)) {
          this.#o.log.info('listen: idle session closed', { session: s.id });
          s.close();
        }
      }
    }, 60_000);
    this.#reaper.unref();
  }

  /** Listen; resolves with the bound address (the port, when 0 was asked for). */
  async start(): Promise<AddressInfo> {
    await new Promise<void>((ok, fail) => {
      this.#server.once('error', fail);
      this.#server.listen(this.#o.address.port, this.#o.address.host, () => ok());
    });
    return this.#server.address() as AddressInfo;
  }

  /** Stop listening and end every session; resolves when they are all closed. */
  async close(): Promise<void> {
    clearInterval(this.#reaper);
    this.#server.close();
    const all = [...this.#sessions.values()];
    for (const s of all) s.close();
    await Promise.all(all.map((s) => s.backend.closed));
    this.#server.closeAllConnections();
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (!hostAllowed(req.headers.host, this.#o.address) || !originAllowed(header(req, 'origin'), this.#o.allowOrigins)) {
      this.#o.log.warn(`listen: refused a request with a foreign ${hostAllowed(req.headers.host, this.#o.address) ? 'Origin' : 'Host'} (403)`);
      plain(res, 403, 'Forbidden');
      return;
    }
    if (this.#o.token !== undefined && !bearerMatches(header(req, 'authorization'), this.#o.token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-length': '0' }).end();
      return;
    }
    if (path !== MCP_PATH) {
      plain(res, 404, 'Not Found');
      return;
    }
    const sid = header(req, 'mcp-session-id');
    const session = sid !== undefined ? this.#sessions.get(sid) : undefined;
    if (sid !== undefined && session === undefined) {
      plain(res, 404, 'Session not found');
      return;
    }
    if (req.method === 'POST') {
      this.#post(req, res, session).catch(() => {
        // The client went away mid-body (or the socket broke): nothing to answer.
        if (!res.headersSent) res.destroy();
      });
    }
    else if (req.method === 'GET' && session !== undefined) session.openGet(req, res);
    else if (req.method === 'DELETE' && session !== undefined) {
      session.close();
      plain(res, 200, 'OK');
    } else if (req.method === 'GET' || req.method === 'DELETE') rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    else res.writeHead(405, { allow: 'GET, POST, DELETE', 'content-length': '0' }).end();
  }

  async #post(req: IncomingMessage, res: ServerResponse, session: ListenSession | undefined): Promise<void> {
    if (!(header(req, 'content-type') ?? '').toLowerCase().startsWith('application/json')) {
      plain(res, 415, 'Content-Type must be application/json');
      return;
    }
    const body = await readBody(req, this.#o.maxFrameBytes);
    if (body === undefined) {
      this.#o.log.warn(`listen: request body over the ${this.#o.maxFrameBytes}-byte limit refused (413)`);
      res.writeHead(413, { connection: 'close', 'content-length': '0' }).end();
      req.destroy();
      return;
    }
    const raw = body.toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      rpcError(res, 400, -32700, 'mcp-guard: parse error: the body is not valid JSON');
      return;
    }
    if (Array.isArray(msg) || msg === null || typeof msg !== 'object') {
      rpcError(res, 400, -32600, 'mcp-guard: invalid request: send one JSON-RPC message per POST (no batches)');
      return;
    }
    // Valid JSON has line breaks only as whitespace between tokens: spaces keep the frame on one line, same value.
    const text = raw.replace(/[\r\n]/g, ' ');
    const m = msg as { method?: unknown; id?: unknown };
    if (session === undefined) {
      if (m.method !== 'initialize' || m.id === undefined) {
        rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
        return;
      }
      if (this.#sessions.size >= MAX_SESSIONS) {
        this.#o.log.warn(`listen: ${MAX_SESSIONS} sessions open; a new one was refused (503)`);
        rpcError(res, 503, -32000, 'mcp-guard: too many sessions');
        return;
      }
      session = this.#open();
    }
    session.post(text, m, res);
  }

  #open(): ListenSession {
    const id = randomUUID();
    const session = new ListenSession(id, this.#o);
    this.#sessions.set(id, session);
    this.#o.log.info('listen: session opened', { session: id, sessions: this.#sessions.size });
    void session.backend.closed.then(() => {
      this.#sessions.delete(id);
      session.finish();
      this.#o.log.info('listen: session closed', { session: id, sessions: this.#sessions.size });
    });
    return session;
  }
}

/** One client's session: its streams, and the HTTP responses waiting for lines. */
class ListenSession {
  readonly id: string;
  readonly backend: SessionBackend;
  readonly #o: ListenOptions;
  readonly #clientIn = new PassThrough();
  /** Open POST streams by the request id they wait for. */
  readonly #waiting = new Map<string, ServerResponse>();
  #get: ServerResponse | undefined;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #closed = false;
  /** Last time anything happened (ms since the epoch), for {@link SESSION_IDLE_MS}. */
  #active = Date.now();

  constructor(id: string, o: ListenOptions) {
    this.id = id;
    this.#o = o;
    // The relay enforces the frame limit on what it reads; a redacted frame may have grown a little, hence the slack.
    const framer = new LineFramer(
      {
        line: (l) => this.#route(l),
        oversized: (info) => {
          o.log.warn(`listen: a frame of ${info.size} bytes for the client is over twice the limit; dropped`, { session: id });
          const rid = sniffId(info.head.toString('utf8'));
          const res = rid !== undefined && rid !== null ? this.#waiting.get(idKey(rid)) : undefined;
          if (res !== undefined && rid !== undefined && rid !== null) {
            sendEvent(res, errorLine(rid, BLOCKED, 'mcp-guard: blocked response: frame too large').subarray(0, -1));
            res.end();
            this.#waiting.delete(idKey(rid));
          }
        },
      },
      o.maxFrameBytes * 2 + 65_536,
    );
    const clientOut = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        framer.push(chunk);
        const busy = [...this.#waiting.values(), ...(this.#get ? [this.#get] : [])].find((r) => r.writableNeedDrain);
        if (busy === undefined) cb();
        else {
          const go = (): void => {
            busy.off('drain', go);
            busy.off('close', go);
            cb();
          };
          busy.on('drain', go).on('close', go);
        }
      },
    });
    this.backend = o.openSession({ id, clientIn: this.#clientIn, clientOut });
  }

  /** A POSTed message: requests get an SSE stream for their answer, the rest 202. */
  post(text: string, msg: { method?: unknown; id?: unknown }, res: ServerResponse): void {
    if (this.#closed) {
      plain(res, 404, 'Session not found');
      return;
    }
    this.#active = Date.now();
    const isRequest = typeof msg.method === 'string' && (typeof msg.id === 'string' || typeof msg.id === 'number');
    if (isRequest) {
      const key = idKey(msg.id as string | number);
      if (this.#waiting.has(key)) {
        rpcError(res, 409, -32600, 'mcp-guard: invalid request: a request with this id is already in flight');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': this.id });
      res.flushHeaders();
      this.#waiting.set(key, res);
      res.once('close', () => {
        // A disconnect is not a cancellation (MCP spec); the answer, when it comes, is dropped.
        if (this.#waiting.get(key) === res) this.#waiting.delete(key);
      });
    } else {
      res.writeHead(202, { 'mcp-session-id': this.id, 'content-length': '0' }).end();
    }
    this.#clientIn.write(`${text}\n`);
  }

  /** The GET stream for messages the server starts. One at a time (a second one gets 409). */
  openGet(req: IncomingMessage, res: ServerResponse): void {
    if (!(header(req, 'accept') ?? '').includes('text/event-stream')) {
      plain(res, 406, 'Accept must include text/event-stream');
      return;
    }
    if (this.#get !== undefined || this.#closed) {
      plain(res, 409, 'Conflict: a GET stream is already open for this session');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': this.id });
    res.flushHeaders();
    this.#get = res;
    res.once('close', () => {
      if (this.#get === res) this.#get = undefined;
    });
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    for (const line of held) sendEvent(res, line);
  }

  /** End the session (DELETE, or the listener closing). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clientIn.end();
    this.backend.close();
  }

  /** The backend is done: the relay has answered what was pending; close every stream. */
  finish(): void {
    this.#closed = true;
    this.#clientIn.end();
    for (const r of this.#waiting.values()) r.end();
    this.#waiting.clear();
    this.#get?.end();
    this.#get = undefined;
  }

  /** One line from the relay to the client. */
  #route(line: RawLine): void {
    this.#active = Date.now();
    const target = this.#responseTarget(line.text);
    if (target === 'orphan') {
      // MCP spec: a response goes on the stream of its request, never on the GET stream.
      this.#o.log.warn('listen: a response arrived after its client closed the request stream; dropped', { session: this.id });
      return;
    }
    if (target !== undefined) {
      sendEvent(target.res, line.bytes);
      target.res.end();
      this.#waiting.delete(target.key);
      return;
    }
    const stream = this.#get ?? [...this.#waiting.values()].pop();
    if (stream !== undefined) {
      sendEvent(stream, line.bytes);
      return;
    }
    if (this.#heldBytes + line.bytes.length > MAX_HELD_BYTES) {
      this.#o.log.warn('listen: the client has no stream open and too much is held for it; a message was dropped', { session: this.id });
      return;
    }
    this.#held.push(Buffer.from(line.bytes));
    this.#heldBytes += line.bytes.length;
  }

  /** The POST stream a response line answers; `orphan` for a response nobody waits for any more. */
  #responseTarget(text: string): { key: string; res: ServerResponse } | 'orphan' | undefined {
    let msg: { id?: unknown; method?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return undefined;
    }
    if (msg === null || typeof msg !== 'object' || msg.method !== undefined) return undefined;
    if (typeof msg.id !== 'string' && typeof msg.id !== 'number') return undefined;
    const key = idKey(msg.id);
    const res = this.#waiting.get(key);
    return res !== undefined ? { key, res } : 'orphan';
  }

  /** True when the session has had no request, no open stream and no message for `ms`. */
  idle(ms: number): boolean {
    return this.#waiting.size === 0 && this.#get === undefined && Date.now() - this.#active > ms;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One SSE `message` event holding one JSON-RPC line. */
function sendEvent(res: ServerResponse, line: Buffer): void {
  if (res.writableEnded || res.destroyed) return;
  res.write(Buffer.concat([Buffer.from('event: message\ndata: '), line, Buffer.from('\n\n')]));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** The request body, or undefined when it is over `max` bytes. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const declared = Number(header(req, 'content-length') ?? NaN);
  if (declared > max) return undefined;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}
