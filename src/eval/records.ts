/**
 * Labelled records of the corpus layout (`../shared/corpus`, see its README, and
 * the repository's `data/`): `<category>/positives.jsonl` and
 * `<category>/negatives.jsonl`, one JSON record a line; and any other
 * `<category>/<source>.jsonl` (data/, built by scripts/build-data.js), whose
 * records say `"label": "positive" | "negative"`. A missing file is an empty set.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Corpus categories. */
export const EVAL_CATEGORIES = ['secrets', 'injection', 'tool-poisoning'] as const;
export type EvalCategory = (typeof EVAL_CATEGORIES)[number];

/** One labelled record. */
export interface LabelledRecord {
  readonly id: string;
  readonly positive: boolean;
  readonly text?: string;
  readonly tool?: unknown;
  readonly provider?: string;
  readonly category?: string;
  readonly kind?: string;
  /** Source: the id prefix up to the first `-`. */
  readonly source: string;
}

/**
 * Sources that share their benign carriers, left out together by the
 * cross-source run and kept in one threshold fold: `adojoinj` (data/) places
 * AgentDojo's injection goals in the same e-mails, files and web pages whose
 * benign defaults are the corpus's `agentdojo` negatives (data/README.md, leak
 * warning). Left out alone, either one is scored by a model that saw its twin:
 * agentdojo's benign carriers only as attacks, adojoinj's attacks with their
 * benign carriers next to them.
 */
export const SOURCE_GROUPS: Readonly<Record<string, string>> = { adojoinj: 'agentdojo' };

/** The group a source is left out with (itself unless {@link SOURCE_GROUPS} names one). */
export function sourceGroup(source: string): string {
  return SOURCE_GROUPS[source] ?? source;
}

/** A directory of the corpus layout and the label it is reported under (`corpus`, `data`). */
export interface RecordDir {
  readonly label: string;
  readonly path: string;
}

/** A file that was read, for the model file's provenance. */
export interface ReadFile {
  /** `<label>/<category>/<file>` */
  readonly path: string;
  readonly sha256: string;
  readonly records: number;
}

/**
 * Read one category from several directories, sorted by id (so anything built
 * from them does not depend on file order).
 * @throws Error on a malformed line (naming file and line) or an id seen twice
 */
export function readRecords(dirs: readonly RecordDir[], category: EvalCategory): { records: LabelledRecord[]; files: ReadFile[] } {
  const records: LabelledRecord[] = [];
  const files: ReadFile[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const catDir = join(dir.path, category);
    if (!existsSync(catDir)) continue;
    const others = readdirSync(catDir)
      .filter((f) => f.endsWith('.jsonl') && f !== 'positives.jsonl' && f !== 'negatives.jsonl')
      .sort()
      .map((f) => [f, undefined] as const);
    for (const [file, fixed] of [['positives.jsonl', true], ['negatives.jsonl', false], ...others] as const) {
      const path = join(catDir, file);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      const lines = bytes.toString('utf8').split('\n');
      let count = 0;
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch (err) {
          throw new Error(`${path}:${i + 1}: ${(err as Error).message}`);
        }
        const id = rec['id'];
        if (typeof id !== 'string' || id === '') throw new Error(`${path}:${i + 1}: record without an id`);
        if (seen.has(id)) throw new Error(`${path}:${i + 1}: id ${id} seen twice`);
        const label = rec['label'];
        if (fixed === undefined && label !== 'positive' && label !== 'negative') throw new Error(`${path}:${i + 1}: label must be "positive" or "negative"`);
        const positive = fixed ?? label === 'positive';
        seen.add(id);
        count++;
        records.push({
          id,
          positive,
          ...(typeof rec['text'] === 'string' ? { text: rec['text'] } : {}),
          ...(rec['tool'] !== undefined ? { tool: rec['tool'] } : {}),
          ...(typeof rec['provider'] === 'string' ? { provider: rec['provider'] } : {}),
          ...(typeof rec['category'] === 'string' ? { category: rec['category'] } : {}),
          ...(typeof rec['kind'] === 'string' ? { kind: rec['kind'] } : {}),
          source: id.split('-')[0] ?? id,
        });
      });
      files.push({ path: `${dir.label}/${category}/${file}`, sha256: createHash('sha256').update(bytes).digest('hex'), records: count });
    }
  }
  records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { records, files };
}
