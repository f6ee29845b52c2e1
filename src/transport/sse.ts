/**
 * A pure, bounded parser for `text/event-stream` (HTML Living Standard,
 * § 9.2 Server-sent events, "Interpreting an event stream"), as used by the MCP
 * Streamable HTTP transport (spec 2025-06-18, Transports § Streamable HTTP) and
 * the legacy HTTP+SSE transport (2024-11-05).
 *
 * It works on bytes: lines end in LF, CRLF or CR (a CR at the end of one chunk
 * and an LF at the start of the next are one terminator). Memory is bounded: an
 * event's data is kept up to `maxDataBytes`; beyond that only its first
 * {@link OVERSIZE_HEAD} bytes and its size are kept, and the event is reported
 * as oversized when it is dispatched. Other fields (`event`, `id`, `retry`) are
 * kept up to {@link MAX_FIELD_BYTES}; a longer value is ignored.
 *
 * This parser knows nothing of HTTP or JSON-RPC.
 */

/** Bytes of an oversized event's data that are kept (to recover its JSON-RPC id). */
export const OVERSIZE_HEAD = 4096;
/** Longest `event`, `id` or `retry` value kept, bytes. */
export const MAX_FIELD_BYTES = 1024;
/** Longest field name, bytes; a longer one makes the line a line to ignore. */
const MAX_NAME_BYTES = 16;

/** One dispatched event. */
export interface SseEvent {
  /** The `event` field, `message` when absent. */
  readonly type: string;
  /** The data lines joined by LF (the spec's data buffer without its final LF), UTF-8. */
  readonly data: string;
  /** The last event ID at dispatch ('' when none was ever set). */
  readonly lastEventId: string;
}

/** An event whose data was over the limit: only its head survives. */
export interface SseOversized {
  readonly type: string;
  /** The first {@link OVERSIZE_HEAD} bytes of the data. */
  readonly head: Buffer;
  /** The data's full size, bytes. */
  readonly size: number;
  readonly lastEventId: string;
}

/** What the parser reports. */
export interface SseSink {
  event(e: SseEvent): void;
  oversized(e: SseOversized): void;
  /** A valid `retry` field: the reconnection time in ms. */
  retry?(ms: number): void;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** Incremental event-stream parser; feed it chunks with {@link SseParser.push}. */
export class SseParser {
  readonly #sink: SseSink;
  readonly #max: number;
  /** Bytes of the current line's field name, or undefined once the colon was seen. */
  #name: number[] | undefined = [];
  #field = '';
  /** The line is too odd to be a field (name too long): skip to its end. */
  #skipLine = false;
  /** The first byte of the value may be one space to drop. */
  #valueStart = false;
  #value: Buffer[] = [];
  #valueBytes = 0;
  /** The event being built. */
  #data: Buffer[] = [];
  #dataBytes = 0;
  #hasData = false;
  #dataOver = false;
  #head: Buffer = Buffer.alloc(0);
  #type = '';
  #lastId = '';
  /** The previous chunk ended in CR: an LF first in the next one belongs to it. */
  #afterCr = false;

  /** @param maxDataBytes largest event data kept whole, bytes */
  constructor(sink: SseSink, maxDataBytes: number) {
    this.#sink = sink;
    this.#max = maxDataBytes;
  }

  /** The last event ID seen so far ('' when none): what a reconnection sends as `Last-Event-ID`. */
  get lastEventId(): string {
    return this.#lastId;
  }

  /** Feed one chunk; dispatches zero or more events synchronously. */
  push(chunk: Uint8Array): void {
    let i = 0;
    if (this.#afterCr && chunk.length > 0) {
      this.#afterCr = false;
      if (chunk[0] === LF) i = 1;
    }
    let start = i;
    for (; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.#name !== undefined && !this.#skipLine && b !== LF && b !== CR) {
        if (b === COLON) {
          this.#field = Buffer.from(this.#name).toString('utf8');
          this.#name = undefined;
          if (this.#field === 'data') this.#dataLine();
          this.#valueStart = true;
          start = i + 1;
        } else if (this.#name.length >= MAX_NAME_BYTES) this.#skipLine = true;
        else this.#name.push(b);
        continue;
      }
      if (b !== LF && b !== CR) continue;
      if (this.#name === undefined && !this.#skipLine) this.#valuePart(chunk.subarray(start, i));
      this.#endLine();
      if (b === CR) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === LF) i++;
        } else this.#afterCr = true;
      }
      start = i + 1;
    }
    if (this.#name === undefined && !this.#skipLine && start < chunk.length) this.#valuePart(chunk.subarray(start));
  }

  #valuePart(part: Uint8Array): void {
    if (this.#valueStart && part.length > 0) {
      this.#valueStart = false;
      if (part[0] === SPACE) part = part.subarray(1);
    }
    if (part.length === 0) return;
    if (this.#field === 'data') {
      this.#addData(part);
      return;
    }
    if (this.#valueBytes + part.length > MAX_FIELD_BYTES) {
      this.#valueBytes = MAX_FIELD_BYTES + 1; // too long: ignored at the end of the line
      this.#value = [];
      return;
    }
    this.#value.push(Buffer.from(part));
    this.#valueBytes += part.length;
  }

  #addData(part: Uint8Array): void {
    this.#dataBytes += part.length;
    if (this.#dataOver) return;
    if (this.#dataBytes > this.#max) {
      const whole = Buffer.concat([...this.#data, part]);
      this.#head = Buffer.from(whole.subarray(0, OVERSIZE_HEAD));
      this.#data = [];
      this.#dataOver = true;
      return;
    }
    this.#data.push(Buffer.from(part));
  }

  #endLine(): void {
    const name = this.#name;
    const emptyLine = name !== undefined && name.length === 0 && !this.#skipLine;
    if (emptyLine) this.#dispatch();
    else if (!this.#skipLine) {
      // A line without a colon is a field with an empty value; a line starting with a colon is a comment.
      const field = name !== undefined ? Buffer.from(name).toString('utf8') : this.#field;
      if (name !== undefined && field === 'data') this.#dataLine();
      else if (name === undefined || field !== '') this.#endField(field);
    }
    this.#name = [];
    this.#field = '';
    this.#skipLine = false;
    this.#valueStart = false;
    this.#value = [];
    this.#valueBytes = 0;
  }

  /**
   * A data line starts. The spec appends each value and then an LF, and removes the
   * last LF at dispatch; adding the LF before every data line but the first is the same.
   */
  #dataLine(): void {
    if (this.#hasData) this.#addData(Buffer.from('\n'));
    this.#hasData = true;
  }

  #endField(field: string): void {
    if (field === 'data') return;
    if (this.#valueBytes > MAX_FIELD_BYTES) return;
    const value = Buffer.concat(this.#value).toString('utf8');
    if (field === 'event') this.#type = value;
    else if (field === 'id') {
      if (!value.includes('\0')) this.#lastId = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) this.#sink.retry?.(Number(value));
    }
  }

  #dispatch(): void {
    const type = this.#type === '' ? 'message' : this.#type;
    if (this.#dataOver) {
      this.#sink.oversized({ type, head: this.#head, size: this.#dataBytes, lastEventId: this.#lastId });
    } else if (this.#hasData) {
      this.#sink.event({ type, data: Buffer.concat(this.#data, this.#dataBytes).toString('utf8'), lastEventId: this.#lastId });
    }
    this.#data = [];
    this.#dataBytes = 0;
    this.#hasData = false;
    this.#dataOver = false;
    this.#head = Buffer.alloc(0);
    this.#type = '';
  }
}
