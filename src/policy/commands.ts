/**
 * `command` arguments: a shell command string, tokenised with
 * @ericcornelissen/bash-parser (a POSIX/bash parser that folds quoting, so
 * `pass''wd` reads `passwd` and `c"a"t` reads `cat`), then checked on the
 * parsed structure: which programs run, what is piped into what, and what is
 * executed from a command substitution.
 *
 * Two bash forms the parser does not read are rewritten first, keeping their
 * meaning for the checks: ANSI-C quoting `$'\x63url'` (decoded into a plain
 * quoted word) and process substitution `<(…)` / `>(…)` (read as `$(…)`).
 * A command that still does not parse is checked with a plain token scan for
 * the blocking patterns, and otherwise gets a `cmd-unparsable` finding: it is
 * never passed silently.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Longest command the parser reads (UTF-16 units); `sh -c` strings are followed this many levels deep. */
export const MAX_COMMAND_CHARS = 16_384;
const MAX_DEPTH = 3;
/** A word that is a path: `/x`, `~/x`, `./x`, `../x`, `$HOME/x`. */
const PATH_WORD = /^(?:~|\.{1,2}|\$HOME|\$\{HOME\})?\/\S/;

interface AstNode {
  readonly type: string;
  readonly text?: string;
  readonly loc?: { readonly start: { readonly char: number }; readonly end: { readonly char: number } };
  readonly [key: string]: unknown;
}
type Parse = (source: string, options?: { insertLOC?: boolean }) => AstNode;
let parser: Parse | undefined;

/** The check a finding comes from; each has its own configured action. */
export type CommandCheck = 'network-pipe' | 'download-exec' | 'obfuscation' | 'unparsable' | 'program';

/** One problem with a command argument. */
export interface CommandProblem {
  readonly rule: string;
  readonly check: CommandCheck;
  readonly reason: string;
}

/** What {@link analyzeCommand} found. */
export interface CommandAnalysis {
  readonly problems: CommandProblem[];
  /** Programs run (basenames, wrappers such as `sudo` and `env` looked through). */
  readonly programs: string[];
  /** Words that look like paths (`/…`, `~/…`, `./…`), for the path deny globs and the same-path rule. */
  readonly paths: string[];
  /** A network tool runs (for the exfiltration rule). */
  readonly network: boolean;
}

/** Options: program lists (globs over the basename). */
export interface CommandOptions {
  readonly allowPrograms: readonly string[];
  readonly denyPrograms: readonly string[];
}

const NETWORK = new Set(['nc', 'ncat', 'netcat', 'socat', 'telnet', 'curl', 'wget', 'ssh', 'scp', 'sftp', 'rsync', 'ftp', 'tftp', 'openssl', 'nslookup', 'dig', 'host', 'http', 'https', 'xh', 'aria2c', 'httpie', 'mail', 'sendmail', 'mutt', 'smbclient', 'Invoke-WebRequest', 'iwr', 'irm', 'Invoke-RestMethod']);
const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c', 'http', 'https', 'xh', 'lwp-download', 'lwp-request', 'GET', 'iwr', 'irm', 'Invoke-WebRequest', 'Invoke-RestMethod', 'tftp', 'ftp']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'ash', 'python', 'python2', 'python3', 'perl', 'ruby', 'node', 'nodejs', 'deno', 'bun', 'php', 'lua', 'pwsh', 'powershell', 'iex', 'Invoke-Expression', 'source', '.', 'eval']);
/** Shells whose `-c` string is a shell command too (an interpreter's `-c` is its own language). */
const POSIX_SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'eval']);
/** Programs that run their arguments as a command. */
const WRAPPERS = new Set(['sudo', 'doas', 'env', 'command', 'builtin', 'nohup', 'time', 'timeout', 'nice', 'ionice', 'stdbuf', 'xargs', 'busybox', 'chroot', 'setsid', 'strace', 'unbuffer', 'watch', 'su', 'runuser', 'coproc', 'exec']);

function basename(word: string): string {
  const b = word.replace(/\\/g, '/').split('/').pop() ?? word;
  return b.replace(/\.exe$/i, '');
}

function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

/** Decode the escapes of one `$'…'` body (bash manual, "ANSI-C Quoting"). */
function ansiC(body: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)/g, (m, e: string) => {
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16) % 0x110000);
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    if (e[0] === 'c') return String.fromCharCode((e.charCodeAt(1) ?? 64) & 31);
    return simple[e] ?? m;
  });
}

/**
 * Rewrite `$'…'` into a single-quoted word and `<(`/`>(` into `$(`, outside other quotes.
 * @returns the rewritten text and whether numeric escapes (`\x41`, `\101`, `\u0041`) were decoded
 */
export function preprocess(src: string): { text: string; escapes: boolean } {
  let out = '';
  let escapes = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (quote === "'") {
      out += c;
      if (c === "'") quote = undefined;
      continue;
    }
    if (c === '\\' && i + 1 < src.length) {
      out += c + (src[i + 1] as string);
      i++;
      continue;
    }
    if (quote === '"') {
      out += c;
      if (c === '"') quote = undefined;
      continue;
    }
    if (c === '$' && src[i + 1] === "'") {
      let j = i + 2;
      let body = '';
      while (j < src.length && src[j] !== "'") {
        if (src[j] === '\\' && j + 1 < src.length) {
          body += (src[j] as string) + (src[j + 1] as string);
          j += 2;
        } else body += src[j++] as string;
      }
      if (/\\(?:x[0-9a-fA-F]|u[0-9a-fA-F]|U[0-9a-fA-F]|[0-7])/.test(body)) escapes = true;
      out += `'${ansiC(body).replace(/'/g, `'\\''`)}'`;
      i = j;
      continue;
    }
    if ((c === '<' || c === '>') && src[i + 1] === '(') {
      out += '$(';
      i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    out += c;
  }
  return { text: out, escapes };
}

/** Quote splitting in one word's raw text: empty quotes, or a quote opened or closed right against a letter. */
function quoteSplit(raw: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (quote === undefined) {
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === "'" || c === '"') {
        if (raw[i + 1] === c) return true; // '' or ""
        if (i > 0 && /[\p{L}\p{N}]/u.test(raw[i - 1] as string)) return true;
        quote = c;
      }
    } else if (c === quote) {
      if (i + 1 < raw.length && /[\p{L}\p{N}]/u.test(raw[i + 1] as string)) return true;
      quote = undefined;
    } else if (c === '\\' && quote === '"') i++;
  }
  return false;
}

/** Unquoted brace expansion in a raw word: `{a,b}` or `{1..9}`. */
function braceExpansion(raw: string): boolean {
  const unquoted = raw.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, '');
  return /\{[^{}\s]*,[^{}\s]*\}|\{[^{}\s]+\.\.[^{}\s]+\}/.test(unquoted);
}

interface Walk {
  readonly src: string;
  readonly problems: CommandProblem[];
  readonly programs: string[];
  readonly paths: string[];
  network: boolean;
  readonly opts: CommandOptions;
  readonly depth: number;
}

function add(w: Walk, check: CommandCheck, rule: string, reason: string): void {
  if (!w.problems.some((p) => p.rule === rule)) w.problems.push({ rule, check, reason });
}

/** Word nodes of a Command: name, then suffix words (redirect targets excluded). */
function words(cmd: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const name = cmd['name'] as AstNode | undefined;
  if (name) out.push(name);
  for (const s of (cmd['suffix'] as AstNode[] | undefined) ?? []) if (s.type === 'Word') out.push(s);
  return out;
}

/** The program a Command runs, looking through wrappers (`sudo -u x env A=1 curl` runs curl). */
function programOf(cmd: AstNode): { program: string; args: AstNode[] } | undefined {
  const ws = words(cmd);
  let i = 0;
  while (i < ws.length) {
    const name = basename(ws[i]?.text ?? '');
    if (!WRAPPERS.has(name)) return { program: name, args: ws.slice(i + 1) };
    i++;
    // Skip the wrapper's options and assignments (`timeout 5`, `env -i A=1`, `sudo -u root`).
    while (i < ws.length && /^(?:-|\d+[smhd]?$|[A-Za-z_][A-Za-z0-9_]*=)/.test(ws[i]?.text ?? '')) {
      const opt = ws[i]?.text ?? '';
      i++;
      if (/^-[ugCDpn]$/.test(opt)) i++; // option with a value (sudo -u USER, xargs -n N)
    }
  }
  return undefined;
}

/** Programs anywhere inside a node (a pipeline stage can be a subshell, group or loop). */
function programsIn(node: unknown, w: Walk, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) programsIn(n, w, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as AstNode;
  if (n.type === 'Command') {
    const p = programOf(n);
    if (p) out.add(p.program);
  }
  for (const [k, v] of Object.entries(n)) if (k !== 'loc' && typeof v === 'object') programsIn(v, w, out);
}

/** Does this node run a downloader anywhere (used on command substitutions)? */
function downloads(node: unknown, w: Walk): boolean {
  const s = new Set<string>();
  programsIn(node, w, s);
  return [...s].some((p) => DOWNLOADERS.has(p));
}

function rawOf(w: Walk, n: AstNode): string {
  return n.loc ? w.src.slice(n.loc.start.char, n.loc.end.char + 1) : (n.text ?? '');
}

/** @param a the arguments' raw text (the parser decodes `\x..` even inside single quotes, printf's job) */
const isDecoder = (program: string, a: readonly string[]): boolean => {
  if (program === 'base64' || program === 'base32' || program === 'basenc') return a.some((x) => /^-(?:[a-z]*d|D)$|^--decode$/.test(x));
  if (program === 'xxd') return a.some((x) => /^-[a-z]*r/.test(x));
  if (program === 'openssl') return a.some((x) => x === '-d' || x === 'base64' || x === 'enc');
  if (program === 'printf' || program === 'echo') return a.some((x) => /\\(?:x[0-9a-f]|[0-7]{2,3}|u[0-9a-f])/i.test(x));
  return program === 'uudecode' || program === 'gunzip' || program === 'zcat' || program === 'rev';
};

function visitCommand(n: AstNode, w: Walk): void {
  const p = programOf(n);
  for (const word of words(n)) {
    const raw = rawOf(w, word);
    if (quoteSplit(raw)) add(w, 'obfuscation', 'cmd-quote-split', 'a word is split with quotes (c"a"t, pass\'\'wd), which hides what it says');
    if (braceExpansion(raw)) add(w, 'obfuscation', 'cmd-brace-expansion', 'brace expansion ({a,b}) builds words the text does not show');
    const t = word.text ?? '';
    // A path word, also as curl's `@file` and as an option's value (`--data-binary=@/x`, `--config=/x`).
    for (const c of new Set([t, t.replace(/^@/, ''), t.includes('=') ? t.slice(t.indexOf('=') + 1).replace(/^@/, '') : ''])) {
      if (PATH_WORD.test(c)) w.paths.push(c);
    }
  }
  for (const a of (n['prefix'] as AstNode[] | undefined) ?? []) {
    if (a.type === 'AssignmentWord' && /^IFS=/.test(a.text ?? '')) add(w, 'obfuscation', 'cmd-ifs', 'the command sets IFS, which changes how words split');
  }
  for (const s of (n['suffix'] as AstNode[] | undefined) ?? []) {
    if (s.type !== 'Redirect') continue;
    const file = (s['file'] as AstNode | undefined)?.text ?? '';
    if (/^\/dev\/(?:tcp|udp)\//.test(file)) {
      w.network = true;
      add(w, 'network-pipe', 'cmd-network-pipe', 'output is redirected to a network socket (/dev/tcp)');
    } else if (/^(?:~|\.{0,2})\//.test(file)) w.paths.push(file);
  }
  if (!p) return;
  // `c=curl; $c … | sh`: the program is a variable or a substitution, so no list can name it.
  const nameWord = n['name'] as AstNode | undefined;
  if (nameWord?.['expansion'] !== undefined) add(w, 'obfuscation', 'cmd-dynamic-program', 'the program name comes from a variable or substitution');
  w.programs.push(p.program);
  if (NETWORK.has(p.program)) w.network = true;
  if (/[^\x20-\x7e]/.test(p.program)) add(w, 'obfuscation', 'cmd-fullwidth', 'the program name has non-ASCII letters (fullwidth or look-alike)');
  const deny = w.opts.denyPrograms.find((g) => globRe(g).test(p.program));
  if (deny !== undefined) add(w, 'program', 'cmd-program-denied', `program ${p.program} is denied (${deny})`);
  else if (w.opts.allowPrograms.length > 0 && !w.opts.allowPrograms.some((g) => globRe(g).test(p.program))) {
    add(w, 'program', 'cmd-program-not-allowed', `program ${p.program} is not in allow_programs`);
  }
  if (SHELLS.has(p.program)) {
    // `sh -c "$(curl …)"`, `eval "$(wget -O- …)"`, `bash $(curl …)` (from `bash <(curl …)`).
    for (const a of p.args) {
      const exp = (a['expansion'] as AstNode[] | undefined) ?? [];
      if (exp.some((e) => e.type === 'CommandExpansion' && downloads(e['commandAST'], w))) {
        add(w, 'download-exec', 'cmd-download-exec', 'the output of a download is executed');
      }
    }
    // `sh -c 'inner'` and `eval 'inner'`: the inner string is a command too.
    const ci = p.args.findIndex((a) => /^-[a-z]*c$/.test(a.text ?? ''));
    const inner = !POSIX_SHELLS.has(p.program) ? undefined : p.program === 'eval' ? p.args.map((a) => a.text ?? '').join(' ') : ci >= 0 ? p.args[ci + 1]?.text : undefined;
    if (inner !== undefined && w.depth >= MAX_DEPTH) add(w, 'unparsable', 'cmd-unparsable', `sh -c strings are nested deeper than ${MAX_DEPTH} levels`);
    else if (inner !== undefined) {
      const sub = analyzeCommand(inner, w.opts, w.depth + 1);
      for (const q of sub.problems) add(w, q.check, q.rule, q.reason);
      w.programs.push(...sub.programs);
      w.paths.push(...sub.paths);
      w.network ||= sub.network;
    }
  }
}

function visitPipeline(n: AstNode, w: Walk): void {
  const stages = (n['commands'] as AstNode[] | undefined) ?? [];
  const programs = stages.map((s) => {
    const set = new Set<string>();
    programsIn(s, w, set);
    return set;
  });
  const decoders = stages.map((s) => {
    const found: boolean[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x !== null && typeof x === 'object') {
        const node = x as AstNode;
        if (node.type === 'Command') {
          const p = programOf(node);
          if (p && isDecoder(p.program, p.args.map((x) => rawOf(w, x)))) found.push(true);
        }
        for (const [k, v] of Object.entries(node)) if (k !== 'loc' && typeof v === 'object') walk(v);
      }
    };
    walk(s);
    return found.length > 0;
  });
  programs.forEach((set, i) => {
    if (i === 0) return;
    const before = programs.slice(0, i);
    if ([...set].some((p) => NETWORK.has(p))) add(w, 'network-pipe', 'cmd-network-pipe', 'data is piped into a network tool');
    if ([...set].some((p) => SHELLS.has(p))) {
      if (before.some((b) => [...b].some((p) => DOWNLOADERS.has(p)))) add(w, 'download-exec', 'cmd-download-exec', 'a download is piped into a shell or interpreter');
      if (decoders.slice(0, i).some(Boolean)) add(w, 'obfuscation', 'cmd-decode-exec', 'decoded data (base64 -d, xxd -r, printf escapes) is piped into a shell');
    }
  });
}

function visit(node: unknown, w: Walk): void {
  if (Array.isArray(node)) {
    for (const n of node) visit(n, w);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as AstNode;
  if (n.type === 'Command') visitCommand(n, w);
  if (n.type === 'Pipeline') visitPipeline(n, w);
  if (n.type === 'CommandExpansion') add(w, 'obfuscation', 'cmd-substitution', 'the command runs a command substitution ($(…) or backticks)');
  if (n.type === 'ParameterExpansion' && n['parameter'] === 'IFS') add(w, 'obfuscation', 'cmd-ifs', 'the command uses $IFS, which hides where words split');
  for (const [k, v] of Object.entries(n)) if (k !== 'loc' && typeof v === 'object') visit(v, w);
}

/** Download then run the downloaded file in one script: `curl -o /tmp/x.sh URL && sh /tmp/x.sh`. */
function downloadThenRun(w: Walk, script: AstNode): void {
  const cmds: Array<{ program: string; args: string[] }> = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === 'object') {
      const node = x as AstNode;
      if (node.type === 'Command') {
        const p = programOf(node);
        if (p) cmds.push({ program: p.program, args: p.args.map((a) => a.text ?? '') });
      }
      for (const [k, v] of Object.entries(node)) if (k !== 'loc' && typeof v === 'object') walk(v);
    }
  };
  walk(script);
  const fetched = new Set<string>();
  for (const c of cmds) {
    if (DOWNLOADERS.has(c.program)) {
      // Output names (-o FILE) and the URL's last segment (-O): either may be the file run next.
      for (const a of c.args) if (!a.startsWith('-')) fetched.add(basename(a.replace(/[?#].*$/, '')));
    } else if (fetched.size > 0 && (SHELLS.has(c.program) ? c.args.some((a) => fetched.has(basename(a))) : fetched.has(c.program))) {
      add(w, 'download-exec', 'cmd-download-exec', 'a downloaded file is executed');
    }
  }
}

/** Token scan for the blocking patterns, for commands the parser cannot read. */
function fallbackScan(src: string, w: Walk): void {
  const stages = src.split(/\|(?!\|)/).map((s) =>
    s
      .split(/[\s;&()`$<>{}]+/)
      .map((t) => basename(t.replace(/['"\\]/g, '')))
      .filter((t) => t !== ''),
  );
  stages.forEach((tokens, i) => {
    if (i === 0) return;
    const first = tokens.find((t) => !WRAPPERS.has(t) && !t.startsWith('-')) ?? '';
    if (NETWORK.has(first)) add(w, 'network-pipe', 'cmd-network-pipe', 'data is piped into a network tool');
    if (SHELLS.has(first) && stages.slice(0, i).some((s) => s.some((t) => DOWNLOADERS.has(t)))) add(w, 'download-exec', 'cmd-download-exec', 'a download is piped into a shell or interpreter');
  });
  if (/\bIFS=|\$\{?IFS\b/.test(src)) add(w, 'obfuscation', 'cmd-ifs', 'the command uses or sets IFS, which hides where words split');
  if (/\/dev\/(?:tcp|udp)\//.test(src)) add(w, 'network-pipe', 'cmd-network-pipe', 'output is redirected to a network socket (/dev/tcp)');
  if (/\b(?:sh|bash|zsh|eval|source)\b[^|;&]*\$\([^)]*\b(?:curl|wget)\b/.test(src)) add(w, 'download-exec', 'cmd-download-exec', 'the output of a download is executed');
  for (const t of stages.flat()) if (NETWORK.has(t)) w.network = true;
}

/**
 * Analyse one shell command string.
 * @param depth nesting of `sh -c` strings already entered (at most 3 are followed)
 * @returns problems (each names its check, whose configured action applies), programs, path words
 */
export function analyzeCommand(command: string, opts: CommandOptions, depth = 0): CommandAnalysis {
  parser ??= require('@ericcornelissen/bash-parser') as Parse;
  const w: Walk = { src: '', problems: [], programs: [], paths: [], network: false, opts, depth };
  if (command.length > MAX_COMMAND_CHARS) {
    // The parser's time grows with the input; a huge command gets the token scan only, and a finding.
    fallbackScan(command.slice(0, MAX_COMMAND_CHARS * 4), w);
    add(w, 'unparsable', 'cmd-too-long', `the command is over ${MAX_COMMAND_CHARS} characters, longer than the parser reads`);
    return { problems: w.problems, programs: w.programs, paths: w.paths, network: w.network };
  }
  // Fullwidth letters (ｃｕｒｌ) are read as the letters they look like, and reported.
  const folded = command.normalize('NFKC');
  if (folded !== command && /[\uff01-\uff5e]/.test(command)) add(w, 'obfuscation', 'cmd-fullwidth', 'the command has fullwidth letters, which read as ASCII to people');
  const { text, escapes } = preprocess(folded);
  if (escapes) add(w, 'obfuscation', 'cmd-ansi-escape', "the command spells characters as escapes ($'\\x..' or octal)");
  let ast: AstNode;
  try {
    ast = parser(text, { insertLOC: true });
  } catch {
    fallbackScan(text, w);
    if (!w.problems.some((p) => p.check === 'network-pipe' || p.check === 'download-exec')) {
      add(w, 'unparsable', 'cmd-unparsable', 'the shell parser cannot read the command, so it was not checked in full');
    }
    return { problems: w.problems, programs: w.programs, paths: w.paths, network: w.network };
  }
  const walk: Walk = { ...w, src: text };
  visit(ast, walk);
  downloadThenRun(walk, ast);
  return { problems: walk.problems, programs: walk.programs, paths: walk.paths, network: walk.network };
}
