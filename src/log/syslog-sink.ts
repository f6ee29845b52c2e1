/**
 * Sends RFC 5424 messages (`syslog-format.ts`) to a collector over TCP
 * (octet-counting framing, RFC 6587 §3.4.1), TLS (RFC 5425) or UDP (one message
 * per datagram, RFC 5426). Never blocks the caller: messages wait in a bounded
 * in-memory queue while the collector is down or slow, the connection is retried
 * with backoff, and past the bound new messages are dropped and counted. Every
 * socket and timer is unref'd, so a dead collector never keeps the proxy alive.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { octetCounted } from './syslog-format.js';

/** Transport settings (normalised `logging.syslog`). */
export interface SyslogSinkOptions {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'tls' | 'udp';
  /** PEM CA bundle for TLS; default: Node's built-in roots. */
  readonly caFile?: string | undefined;
  /** Most messages queued while the collector is unreachable. */
  readonly bufferMessages: number;
}

/** Queued bytes at most, whatever the count (1 MiB). */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** Reconnect backoff bounds (ms). */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 30_000;
/** Messages are gathered this long before one write (ms). */
const COALESCE_MS = 20;
/** Largest UDP payload sent (bytes); longer messages are cut (RFC 5426 §3.2 lets receivers truncate). */
const MAX_DATAGRAM = 8192;

/** A connection to one syslog collector. */
export class SyslogSink {
  readonly #o: SyslogSinkOptions;
  readonly #ca: Buffer | undefined;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #socket: Socket | undefined;
  #udp: UdpSocket | undefined;
  #connected = false;
  #retryMs = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Messages dropped because the queue was full. */
  dropped = 0;
  /** Messages handed to the socket. */
  sent = 0;

  /** @throws Error when `caFile` cannot be read */
  constructor(o: SyslogSinkOptions) {
    this.#o = o;
    this.#ca = o.caFile !== undefined ? readFileSync(o.caFile) : undefined;
    if (o.protocol === 'udp') {
      this.#udp = createSocket(isIP(o.host) === 6 ? 'udp6' : 'udp4');
      this.#udp.on('error', () => {
        // ICMP unreachable and the like: UDP is fire and forget.
      });
      this.#udp.unref();
    } else {
      this.#connect();
    }
  }

  /** Queue one formatted message (not framed); returns at once. */
  send(msg: Buffer): void {
    this.sendMany([msg]);
  }

  /** Queue formatted messages (not framed); on TCP and TLS they go out in one write. Returns at once. */
  sendMany(msgs: readonly Buffer[]): void {
    if (this.#closed || msgs.length === 0) return;
    if (this.#udp) {
      for (const msg of msgs) {
        this.sent++;
        this.#udp.send(msg.subarray(0, MAX_DATAGRAM), this.#o.port, this.#o.host);
      }
      return;
    }
    for (const msg of msgs) {
      const frame = octetCounted(msg);
      if (this.#queue.length >= this.#o.bufferMessages || this.#queuedBytes + frame.length > MAX_QUEUED_BYTES) {
        this.dropped++;
        continue;
      }
      this.#queue.push(frame);
      this.#queuedBytes += frame.length;
    }
    // Coalesce: one write (one wake-up of the collector) per COALESCE_MS, not one per decision.
    if (this.#coalesce === undefined) {
      this.#coalesce = setTimeout(() => {
        this.#coalesce = undefined;
        this.#drain();
      }, COALESCE_MS);
      this.#coalesce.unref();
    }
  }

  #coalesce: NodeJS.Timeout | undefined;

  /**
   * Send what is queued, waiting at most `waitMs` while connected or connecting,
   * then close. A collector that refused the connection is not waited for.
   * @returns how many queued messages were never handed to the socket
   */
  async close(waitMs: number): Promise<number> {
    const deadline = Date.now() + waitMs;
    const pending = (): boolean => this.#queue.length > 0 || (this.#socket?.writableLength ?? 0) > 0;
    if (this.#coalesce) clearTimeout(this.#coalesce);
    this.#coalesce = undefined;
    this.#drain();
    // Wait while connected, or while a connection attempt is still in flight (a TLS handshake
    // may outlast a short session); a collector that refused or failed is not waited for.
    while (this.#udp === undefined && this.#socket !== undefined && pending() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20)); // ref'd: this bounded wait keeps an exiting proxy alive
    }
    const unsent = this.#queue.length;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#udp?.close();
    const s = this.#socket;
    if (s && this.#connected) {
      await new Promise<void>((r) => {
        const t = setTimeout(() => r(), Math.max(0, deadline - Date.now()));
        s.end(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    s?.destroy();
    return unsent;
  }

  #connect(): void {
    if (this.#closed) return;
    const { host, port } = this.#o;
    const socket =
      this.#o.protocol === 'tls'
        ? tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, ...(this.#ca ? { ca: this.#ca } : {}) })
        : tcpConnect({ host, port });
    this.#socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.on(this.#o.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
      this.#retryMs = RETRY_MIN_MS;
      this.#drain();
    });
    socket.on('drain', () => this.#drain());
    socket.on('error', () => {
      // Followed by 'close', which schedules the retry.
    });
    socket.on('close', () => {
      this.#connected = false;
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#closed) return;
      this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
      this.#timer.unref();
      this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
    });
  }

  /** Hand queued frames to the socket in one write, while its own buffer is under the bound. */
  #drain(): void {
    const s = this.#socket;
    if (!s || !this.#connected || this.#queue.length === 0 || s.writableLength >= MAX_QUEUED_BYTES) return;
    const frames = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.sent += frames.length;
    s.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  }
}
