/**
 * Concatenated text with a segment map, so a phrase split across fields (content
 * blocks, say) is still matched and each hit can be traced back to its field.
 * What to collect per method is in surfaces.ts.
 *
 * Content blocks: MCP spec 2025-11-25, Server features § Tools, "Tool Result":
 * `text`, `image` / `audio` (base64 `data`), `resource` (embedded,
 * `resource.text` or base64 `resource.blob`), `resource_link` (name, title, description).
 */
import { joinPath } from './json-walk.js';
import type { Finding } from './types.js';

/** A field's place inside the concatenated text. */
export interface Segment {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  /**
   * Set when a match here cannot be replaced in place at `path` (the text is an
   * object key, or decoded from a field that redact.ts does not re-encode), so
   * findings get no `span` and a `redact` action falls back to block.
   */
  readonly fixed?: true;
}

/** Concatenated text plus its segment map. */
export interface ExtractedText {
  readonly text: string;
  readonly segments: readonly Segment[];
  /** Findings raised while collecting, not by a rule: a part that could not be read whole (fail closed). */
  readonly unreadable?: readonly Finding[];
}

/** Builds the concatenation; fields are joined with `\n`. */
export class TextCollector {
  #parts: string[] = [];
  #segments: Segment[] = [];
  #length = 0;
  #unreadable: Finding[] = [];

  /** Record a part that cannot be scanned whole; the frame must not pass unscanned. */
  unreadable(finding: Finding): void {
    this.#unreadable.push(finding);
  }

  /**
   * Append one field.
   * @param path JSON path of the field
   * @param value its text (empty texts are skipped)
   * @param fixed true when a match cannot be redacted in place (see {@link Segment.fixed})
   */
  add(path: string, value: string, fixed = false): void {
    if (value.length === 0) return;
    if (this.#parts.length > 0) {
      this.#parts.push('\n');
      this.#length += 1;
    }
    this.#segments.push({ path, start: this.#length, end: this.#length + value.length, ...(fixed ? { fixed: true as const } : {}) });
    this.#parts.push(value);
    this.#length += value.length;
  }

  done(): ExtractedText {
    const text = this.#parts.join('');
    return this.#unreadable.length > 0 ? { text, segments: this.#segments, unreadable: this.#unreadable } : { text, segments: this.#segments };
  }
}

/** The segment holding offset `at` (the last one when `at` is past the end). */
export function segmentAt(extracted: ExtractedText, at: number): Segment | undefined {
  for (const s of extracted.segments) if (at < s.end) return s;
  return extracted.segments[extracted.segments.length - 1];
}

/** The path of the segment holding offset `at` (empty when there are no segments). */
export function pathAt(extracted: ExtractedText, at: number): string {
  return segmentAt(extracted, at)?.path ?? '';
}

/** MIME types whose blobs are text the model may read (RFC 6838 top-level `text`, and common textual types). */
export function isTextualMime(mime: unknown): boolean {
  return typeof mime === 'string' && /^(?:text\/|application\/(?:json|ld\+json|xml|yaml|x-yaml|javascript|ecmascript|x-sh|toml|sql|graphql)|[^;]*\+(?:json|xml)\b)/i.test(mime);
}

// ignoreBOM keeps a leading U+FEFF, as Buffer#toString does, so offsets match what redact.ts decodes.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a base64 blob, or undefined when it is not text. A textual MIME
 * type (see {@link isTextualMime}) is decoded leniently (bad bytes become
 * U+FFFD); any other or missing type only when the bytes are valid UTF-8, so a
 * server cannot hide text by labelling it `application/octet-stream`, while real
 * binary (PNG, JPEG, …: never valid UTF-8) is skipped. The decoded size is at
 * most 3/4 of the blob's length, so the frame limit (`limits.max_frame_bytes`)
 * bounds it like any other field.
 * @param blob base64 (RFC 4648 §4; Node's decoder skips characters outside the alphabet)
 * @param mimeType the `mimeType` sent with it, if any
 */
export function blobText(blob: string, mimeType: unknown): string | undefined {
  const bytes = Buffer.from(blob, 'base64');
  if (isTextualMime(mimeType)) return bytes.toString('utf8');
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Add a base64 blob's text (see {@link blobText}) at `path`.
 * @param fixed true when redact.ts cannot re-encode the field (it does for keys named `blob`)
 */
export function addBlob(c: TextCollector, path: string, blob: unknown, mimeType: unknown, fixed = false): void {
  if (typeof blob !== 'string') return;
  const text = blobText(blob, mimeType);
  if (text !== undefined) c.add(path, text, fixed);
}

/**
 * Add the texts of MCP content blocks: text, image/audio `data` that decodes
 * to UTF-8 text, embedded resource text and blob, resource_link names, titles
 * and descriptions.
 */
export function addContentBlocks(c: TextCollector, content: unknown, base: string): void {
  if (!Array.isArray(content)) return;
  content.forEach((block: unknown, i) => {
    if (block === null || typeof block !== 'object') return;
    const b = block as Record<string, unknown>;
    const p = joinPath(base, i);
    if (typeof b['text'] === 'string') c.add(joinPath(p, 'text'), b['text']);
    if (b['type'] === 'image' || b['type'] === 'audio') addBlob(c, joinPath(p, 'data'), b['data'], b['mimeType'], true);
    const res = b['resource'];
    if (res !== null && typeof res === 'object') {
      const r = res as Record<string, unknown>;
      const rp = joinPath(p, 'resource');
      if (typeof r['text'] === 'string') c.add(joinPath(rp, 'text'), r['text']);
      addBlob(c, joinPath(rp, 'blob'), r['blob'], r['mimeType']);
    }
    for (const k of ['name', 'title', 'description'] as const) {
      if (b['type'] === 'resource_link' && typeof b[k] === 'string') c.add(joinPath(p, k), b[k]);
    }
  });
}
