/**
 * Newline framing for the MCP stdio transport.
 *
 * MCP stdio messages are UTF-8 JSON-RPC objects delimited by `\n` and must not
 * contain embedded newlines (MCP spec, Transports § stdio). We split on the raw
 * `0x0A` byte: no byte of a multi-byte UTF-8 sequence can equal `0x0A`, so a
 * character split across chunks is simply carried in the pending buffer and
 * never corrupted. Each frame keeps its original bytes, including a trailing
 * `\r` if the peer sent `\r\n`, so an allowed frame is forwarded byte for byte.
 *
 * This framer is pure: it knows nothing of processes or JSON.
 */

/** Default maximum frame size: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** How many leading bytes of an oversized frame are kept to recover its id. */
export const OVERSIZE_HEAD_BYTES = 4096;

/** One complete line, as received. */
export interface RawLine {
  /** The line's bytes with the terminating `\n` removed; a trailing `\r` is kept. */
  readonly bytes: Buffer;
  /**
   * The line exactly as received, terminating `\n` included: what an allowed frame
   * is forwarded as, in one write. `bytes` is a view into it (no copy when the line
   * arrived in one chunk; one copy when it spanned several).
   */
  readonly wire: Buffer;
  /** The line's terminator as received: `"\n"` or `"\r\n"`. */
  readonly eol: '\n' | '\r\n';
  /** The line's text without its terminator (decoded as UTF-8). */
  readonly text: string;
}

/** An oversized line that was discarded while streaming past. */
export interface OversizedLine {
  /** Total size of the discarded line in bytes (without terminator). */
  readonly size: number;
  /** The first {@link OVERSIZE_HEAD_BYTES} bytes, used to recover a JSON-RPC id. */
  readonly head: Buffer;
}

/** Callbacks receiving framer output, in input order. */
export interface FramerSink {
  line(line: RawLine): void;
  oversized(info: OversizedLine): void;
}

/**
 * Incremental splitter of a byte stream into lines.
 *
 * Memory stays bounded by `maxFrameBytes` (plus one input chunk): once a
 * pending line exceeds the limit its bytes are dropped until the next `\n`,
 * keeping only a small head and a byte count.
 */
export class LineFramer {
  readonly #maxFrameBytes: number;
  readonly #sink: FramerSink;
  #chunks: Buffer[] = [];
  #pending = 0;
  #discarding = false;
  #discardHead: Buffer = Buffer.alloc(0);
  #discardSize = 0;

  /**
   * @param sink receives every complete line and every oversized-line report
   * @param maxFrameBytes largest accepted line in bytes, excluding the `\n` (a `\r` before it counts)
   */
  constructor(sink: FramerSink, maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.#sink = sink;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Feed one chunk (not modified afterwards by the caller). Emits zero or more lines synchronously. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.#append(chunk.subarray(start));
        return;
      }
      if (!this.#discarding && this.#chunks.length === 0 && nl - start <= this.#maxFrameBytes) {
        // The whole line is in this chunk: a view with its newline, no copy.
        this.#emit(chunk.subarray(start, nl + 1));
      } else {
        this.#append(chunk.subarray(start, nl));
        this.#finishLine();
      }
      start = nl + 1;
    }
  }

  /**
   * End of input. A trailing unterminated line is discarded, never emitted:
   * MCP frames end with `\n`, and a cut-off frame must not be forwarded.
   * @returns the discarded remainder's size in bytes (0 when none)
   */
  end(): number {
    const size = this.#discarding ? this.#discardSize : this.#pending;
    this.#chunks = [];
    this.#pending = 0;
    this.#discarding = false;
    return size;
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.#discarding) {
      this.#discardSize += part.length;
      return;
    }
    if (this.#pending + part.length > this.#maxFrameBytes) {
      // Keep only the first few KiB (to recover the id); never copy the whole pending line.
      const head: Buffer[] = [];
      let have = 0;
      for (const c of [...this.#chunks, part]) {
        if (have >= OVERSIZE_HEAD_BYTES) break;
        const take = c.subarray(0, OVERSIZE_HEAD_BYTES - have);
        head.push(take);
        have += take.length;
      }
      this.#discardHead = Buffer.from(Buffer.concat(head, have));
      this.#discardSize = this.#pending + part.length;
      this.#discarding = true;
      this.#chunks = [];
      this.#pending = 0;
      return;
    }
    // No copy: stream chunks are fresh buffers that nobody writes to afterwards.
    this.#chunks.push(part);
    this.#pending += part.length;
  }

  #finishLine(): void {
    if (this.#discarding) {
      const info: OversizedLine = { size: this.#discardSize, head: this.#discardHead };
      this.#discarding = false;
      this.#discardHead = Buffer.alloc(0);
      this.#discardSize = 0;
      this.#sink.oversized(info);
      return;
    }
    this.#chunks.push(NEWLINE);
    const wire = Buffer.concat(this.#chunks, this.#pending + 1);
    this.#chunks = [];
    this.#pending = 0;
    this.#emit(wire);
  }

  /** Emit one line from its bytes with the `\n` (`wire`). */
  #emit(wire: Buffer): void {
    const bytes = wire.subarray(0, wire.length - 1);
    const cr = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d;
    const body = cr ? bytes.subarray(0, bytes.length - 1) : bytes;
    this.#sink.line({ bytes, wire, eol: cr ? '\r\n' : '\n', text: body.toString('utf8') });
  }
}

/** Serialise a frame for writing: original bytes plus `\n` (the line's own `wire`). */
export function lineToWire(line: RawLine): Buffer {
  return line.wire;
}

/** The `\n` terminator, for writers that send a frame as two buffers (no copy). */
export const NEWLINE = Buffer.from('\n');
