/**
 * Concatenated text with a segment map, so a phrase split across fields (content
 * blocks, say) is still matched and each hit can be traced back to its field.
 * What to collect per method is in surfaces.ts.
 *
 * Content blocks: MCP spec 2025-06-18, Server features § Tools, "Tool Result":
 * `text`, `resource` (embedded, `resource.text`), `resource_link` (name, description).
 */
import { joinPath } from './json-walk.js';

/** A field's place inside the concatenated text. */
export interface Segment {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** Concatenated text plus its segment map. */
export interface ExtractedText {
  readonly text: string;
  readonly segments: readonly Segment[];
}

/** Builds the concatenation; fields are joined with `\n`. */
export class TextCollector {
  #parts: string[] = [];
  #segments: Segment[] = [];
  #length = 0;

  add(path: string, value: string): void {
    if (value.length === 0) return;
    if (this.#parts.length > 0) {
      this.#parts.push('\n');
      this.#length += 1;
    }
    this.#segments.push({ path, start: this.#length, end: this.#length + value.length });
    this.#parts.push(value);
    this.#length += value.length;
  }

  done(): ExtractedText {
    return { text: this.#parts.join(''), segments: this.#segments };
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

/** Add the texts of MCP content blocks (text, embedded resource text, resource_link names/descriptions). */
export function addContentBlocks(c: TextCollector, content: unknown, base: string): void {
  if (!Array.isArray(content)) return;
  content.forEach((block: unknown, i) => {
    if (block === null || typeof block !== 'object') return;
    const b = block as Record<string, unknown>;
    const p = joinPath(base, i);
    if (typeof b['text'] === 'string') c.add(joinPath(p, 'text'), b['text']);
    const res = b['resource'];
    if (res !== null && typeof res === 'object') {
      const r = res as Record<string, unknown>;
      if (typeof r['text'] === 'string') c.add(joinPath(joinPath(p, 'resource'), 'text'), r['text']);
    }
    for (const k of ['name', 'title', 'description'] as const) {
      if (b['type'] === 'resource_link' && typeof b[k] === 'string') c.add(joinPath(p, k), b[k]);
    }
  });
}
