/**
 * The server's stderr, with stored secrets masked: agents keep a server's stderr
 * in log files, so a server that prints its environment (or a stack trace with
 * its config) would otherwise write the value the proxy gave it there.
 * Used only when the proxy resolved a stored secret; otherwise stderr passes as is.
 */
import { StringDecoder } from 'node:string_decoder';
import { maskAll } from '../scan/mask.js';

/** Text held back without a newline before it is written anyway, in UTF-16 units. */
export const MAX_PENDING = 64 * 1024;

/**
 * A write-only stream for the child's stderr: text is written a line at a time
 * (a value split across two chunks is still seen whole), with every form of every
 * stored secret replaced by its mask (`ghp_…[40 chars]`).
 */
export class MaskingWriter {
  readonly #out: NodeJS.WritableStream;
  readonly #forms: readonly string[];
  readonly #keep: number;
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  /** @param forms the strings to mask (EnvSecrets.storedValues(): raw values and their encodings) */
  constructor(out: NodeJS.WritableStream, forms: readonly string[]) {
    this.#out = out;
    this.#forms = forms;
    this.#keep = Math.max(0, ...forms.map((f) => f.length - 1));
  }

  /** Take a chunk; writes every complete line (or, past {@link MAX_PENDING}, all but a tail that may start a secret). */
  write(chunk: Buffer | string): boolean {
    this.#pending += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    let cut = this.#pending.lastIndexOf('\n') + 1;
    if (cut === 0 && this.#pending.length > MAX_PENDING) {
      cut = this.#pending.length - this.#keep;
      // Never cut through a whole occurrence: move the cut to its start.
      for (const f of this.#forms) {
        for (let at = this.#pending.indexOf(f); at !== -1 && at < cut; at = this.#pending.indexOf(f, at + 1)) if (at + f.length > cut) cut = at;
      }
    }
    if (cut > 0) {
      this.#out.write(maskAll(this.#pending.slice(0, cut), this.#forms));
      this.#pending = this.#pending.slice(cut);
    }
    return true;
  }

  /** Write what is left (at the server's exit). */
  flush(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#out.write(maskAll(rest, this.#forms));
  }
}
