/**
 * Argument types when the config gives none: from the tool's inputSchema
 * (`format: uri` and friends, JSON Schema 2020-12 § 7.3.5) and from the
 * argument's name, so the default policy covers servers nobody configured.
 */
import type { ArgType } from './config.js';
import type { Json } from '../scan/types.js';

const URL_FORMATS = new Set(['uri', 'url', 'iri', 'uri-reference', 'iri-reference', 'uri-template']);

/** Memo of {@link wordsOf} (tool and argument names repeat on every call); cleared when full, so hostile names cannot grow it. */
const WORDS = new Map<string, readonly string[]>();
const MAX_WORDS = 1024;

/** Words of a name: `filePath` → file, path; `working_dir` → working, dir. The array is shared (frozen): do not modify it. */
export function wordsOf(name: string): readonly string[] {
  let words = WORDS.get(name);
  if (words !== undefined) return words;
  words = Object.freeze(
    name
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== ''),
  );
  if (WORDS.size >= MAX_WORDS) WORDS.clear();
  WORDS.set(name, words);
  return words;
}

const PATH_WORDS = new Set(['path', 'paths', 'file', 'files', 'filename', 'filenames', 'filepath', 'filepaths', 'directory', 'directories', 'dir', 'dirs', 'folder', 'folders']);
const PATH_NAMES = new Set(['source', 'destination', 'src', 'dest']);
const URL_WORDS = new Set(['url', 'urls', 'uri', 'uris', 'href', 'endpoint', 'endpoints', 'link', 'links', 'webhook']);
const COMMAND_NAMES = new Set(['command', 'commands', 'cmd', 'script', 'shell', 'commandline', 'cmdline']);

/**
 * The type an argument name suggests (`path`, `file`, `filename`, `directory`, `*_path` → path;
 * `url`, `uri`, `href`, `endpoint` → url; `command`, `cmd`, `script` → command).
 */
export function typeFromName(name: string): ArgType | undefined {
  const words = wordsOf(name);
  const last = words[words.length - 1];
  if (last === undefined) return undefined;
  const joined = words.join('');
  if (COMMAND_NAMES.has(joined) || last === 'command' || last === 'cmd') return 'command';
  if (URL_WORDS.has(last) || URL_WORDS.has(joined)) return 'url';
  if (PATH_WORDS.has(last) || PATH_WORDS.has(joined) || PATH_NAMES.has(joined)) return 'path';
  return undefined;
}

/** Types a tool's inputSchema declares, per top-level property (`format`, also on array `items`). */
export function typesFromSchema(inputSchema: Json | undefined): Map<string, ArgType> {
  const out = new Map<string, ArgType>();
  if (inputSchema === null || typeof inputSchema !== 'object' || Array.isArray(inputSchema)) return out;
  const props = inputSchema['properties'];
  if (props === null || typeof props !== 'object' || Array.isArray(props)) return out;
  for (const [name, schema] of Object.entries(props)) {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) continue;
    const items = schema['items'];
    const formats = [schema['format'], items !== null && typeof items === 'object' && !Array.isArray(items) ? items['format'] : undefined];
    if (formats.some((f) => typeof f === 'string' && URL_FORMATS.has(f))) out.set(name, 'url');
  }
  return out;
}
