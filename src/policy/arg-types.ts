/**
 * Argument types when the config gives none: from the tool's inputSchema
 * (`format: uri` and friends, JSON Schema 2020-12 § 7.3.5) and from the
 * argument's name, so the default policy covers servers nobody configured.
 */
import type { ArgType } from './config.js';
import type { Json } from '../scan/types.js';

const URL_FORMATS = new Set(['uri', 'url', 'iri', 'uri-reference', 'iri-reference', 'uri-template']);

/** Words of a name: `filePath` → file, path; `working_dir` → working, dir. */
export function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
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
