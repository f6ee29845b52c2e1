/**
 * `path` arguments: every way a server might read a path string, normalised,
 * then checked against the roots (allowed prefixes) and the deny globs.
 *
 * A server reads a path in one of several ways (literally, URL-decoded once or
 * twice, after Unicode compatibility mapping, with `\` as a separator, with a
 * `~` or `file://` prefix). Decoding can add separators that a later `..`
 * then cancels, so a decoded view can sit inside the root while the literal one
 * escapes it (`/root/a%2fb/../../x`). So no single "canonical" form is checked:
 * every view is, and the path passes only when all of them pass.
 */
import { posix } from 'node:path';
import { createRequire } from 'node:module';
import type picomatchType from 'picomatch';

const require = createRequire(import.meta.url);
let picomatch: typeof picomatchType | undefined;

/** Where relative paths and `~` resolve. */
export interface PathContext {
  /** The user's home directory (absolute). */
  readonly home: string;
  /** The server's working directory (absolute), for relative paths. */
  readonly cwd: string;
}

/** Unicode characters servers or their libraries may fold to `/`, `\` or `.` beyond NFKC. */
const EXTRA_SLASH = /[\u2215\u2044\u29f8\u2571]/g;
const EXTRA_BACKSLASH = /[\u29f5\u29f9\u2572]/g;
/** Decoding rounds at most (`%25252e` is three). */
const MAX_DECODE = 3;

/** Decode `%XX` escapes as UTF-8 bytes; malformed escapes stay as they are. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return bytes.toString('utf8');
  });
}

function unicodeFold(s: string): string {
  return s.normalize('NFKC').replace(EXTRA_SLASH, '/').replace(EXTRA_BACKSLASH, '\\');
}

/** `~`, `~user`, `$HOME`, `${HOME}` at the start. */
function expandHome(s: string, home: string): string {
  if (s === '~' || s.startsWith('~/')) return home + s.slice(1);
  const user = /^~([^/]+)(\/.*)?$/.exec(s);
  if (user) return `${posix.dirname(home)}/${user[1] ?? ''}${user[2] ?? ''}`;
  const env = /^\$(?:HOME|\{HOME\})(?=\/|$)/.exec(s);
  return env ? home + s.slice(env[0].length) : s;
}

/** Windows reading: `\` separates, `C:` is a drive root, trailing dots and spaces of a name are ignored. */
function windowsView(s: string): string {
  let t = s.replace(/\\/g, '/');
  const drive = /^\/*([a-zA-Z]):(?=\/|$)/.exec(t);
  if (drive) t = `/${(drive[1] ?? '').toLowerCase()}:${t.slice(drive[0].length)}`;
  // `\\?\C:\x` and `\\.\C:\x` device paths.
  t = t.replace(/^\/\/[?.]\/([a-zA-Z]):/, (_m, d: string) => `/${d.toLowerCase()}:`);
  return t
    .split('/')
    .map((seg) => {
      if (seg === '.' || seg === '..' || seg === '') return seg;
      const trimmed = seg.replace(/[. ]+$/, '');
      // A name of dots and spaces only ("...", ".. ") is taken as `..`: stricter than any reading.
      return trimmed === '' ? '..' : trimmed;
    })
    .join('/');
}

/** A reading as an absolute path, `..` not yet resolved. */
function absolute(s: string, ctx: PathContext): string {
  const t = expandHome(s.replace(/^file:\/\/(?:localhost)?(?=\/)/i, ''), ctx.home);
  return t.startsWith('/') ? t : `${ctx.cwd}/${t}`;
}

function resolveView(s: string, ctx: PathContext): string {
  return posix.resolve(absolute(s, ctx));
}

/**
 * Every reading of `raw` as an absolute path, before `..` is resolved; the literal one first.
 * Readings: as written, NUL-truncated, percent-decoded up to 3 times, Unicode-folded, Windows.
 */
function readings(raw: string, ctx: PathContext): string[] {
  const out = new Set<string>();
  const bases: string[] = [raw];
  const nul = raw.indexOf('\0');
  // C code stops at NUL: `/ok/file\0/../../etc/passwd` may be read as `/ok/file`.
  if (nul >= 0) bases.push(raw.slice(0, nul));
  for (const base of bases) {
    let decoded = base;
    for (let round = 0; round <= MAX_DECODE; round++) {
      for (const text of new Set([decoded, unicodeFold(decoded)])) {
        out.add(absolute(text, ctx));
        out.add(absolute(windowsView(text), ctx));
      }
      const next = percentDecode(decoded);
      if (next === decoded) break;
      decoded = next;
    }
  }
  return [...out];
}

/**
 * Every reading of `raw` as an absolute, normalised POSIX path (`..`, `.` and
 * repeated slashes resolved; Windows paths as `/c:/…`).
 * @param raw the argument's value as the client sent it
 * @returns distinct views, the literal one first
 */
export function pathViews(raw: string, ctx: PathContext): string[] {
  return resolvedViews(readings(raw, ctx), ctx);
}

/** `/proc/self/root/x` is `/x` and `/proc/self/cwd/x` is `<cwd>/x` on Linux: the magic links reach the same file. */
const PROC_LINK = /^\/proc\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/(root|cwd)(?=\/|$)/;

function resolvedViews(reads: readonly string[], ctx: PathContext): string[] {
  const out = new Set<string>();
  for (const r of reads) {
    // The kernel follows the link before any `..` after it: substitute on the unresolved reading too.
    const m0 = PROC_LINK.exec(r.replace(/\/+/g, '/'));
    if (m0) out.add(posix.resolve(m0[1] === 'root' ? '/' : ctx.cwd, `.${r.replace(/\/+/g, '/').slice(m0[0].length)}`));
    let v = posix.resolve(r);
    out.add(v);
    for (let i = 0; i < 4; i++) {
      const m = PROC_LINK.exec(v);
      if (!m) break;
      v = posix.resolve(m[1] === 'root' ? '/' : ctx.cwd, `.${v.slice(m[0].length)}`);
      out.add(v);
    }
  }
  return [...out];
}

/** `..` segments in an unresolved absolute path. */
const dotDots = (abs: string): number => abs.split('/').filter((seg) => seg === '..').length;

/**
 * True when a `..` climbs to the file system root: `/srv/project/../../etc/passwd`,
 * `../../../../etc/passwd` from a shallow directory. Ordinary paths climb within a tree, never to `/`.
 */
function climbsToRoot(abs: string): boolean {
  let depth = 0;
  for (const seg of abs.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (depth <= 1) return true;
      depth--;
    } else depth++;
  }
  return false;
}

/**
 * A Windows directory (`C:\\Users\\me`) in the form path readings use (`/c:/Users/me`);
 * POSIX paths are returned unchanged. For the home and working directories on Windows.
 */
export function posixDir(dir: string): string {
  const m = /^([a-zA-Z]):[\\/]/.exec(dir);
  return m ? `/${(m[1] ?? '').toLowerCase()}:/${dir.slice(3).replace(/\\/g, '/')}`.replace(/\/+$/, '') || '/' : dir;
}

/** `true` when `path` is `root` or below it (both normalised absolute paths). */
export function underRoot(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/** Normalise a configured root or deny-glob prefix: `~` expanded, resolved, no trailing slash. */
export function normalizeRoot(root: string, ctx: PathContext): string {
  return resolveView(posixDir(root), ctx);
}

/** A compiled glob set; matching ignores case (macOS and Windows file systems do). */
export type GlobSet = (path: string) => string | undefined;

/**
 * Compile globs (`~` expanded) into a matcher that names the first glob a path matches.
 * Uses picomatch (dot files match; `**` spans directories; a glob `dir/**` also matches `dir`).
 */
export function globSet(globs: readonly string[], ctx: PathContext): GlobSet {
  if (globs.length === 0) return () => undefined;
  // Compiled on first use: the proxy starts without picomatch (tens of ms).
  let compiled: Array<{ glob: string; match: (p: string) => boolean }> | undefined;
  return (path) => {
    compiled ??= globs.map((g) => {
      picomatch ??= require('picomatch') as typeof picomatchType;
      const expanded = g.startsWith('~/') ? ctx.home + g.slice(1) : g;
      return { glob: g, match: picomatch(expanded, { dot: true, nocase: true }) };
    });
    return compiled.find((c) => c.match(path))?.glob;
  };
}

/**
 * Deny globs on by default: SSH keys, .env files, AWS credentials, and the MCP configs of the agents
 * `setup` knows (src/clients/*.ts): a server that can write those can make the agent run anything.
 */
export const DEFAULT_DENY = [
  '~/.ssh/**',
  '**/.env',
  '~/.aws/**',
  '/etc/shadow',
  '/etc/gshadow',
  '~/.claude.json',
  '**/.mcp.json',
  '~/.claude/**/settings*.json',
  '~/Library/Application Support/Claude/claude_desktop_config.json',
  '~/.config/Claude/claude_desktop_config.json',
  '**/AppData/Roaming/Claude/claude_desktop_config.json',
  '**/.cursor/mcp.json',
  '**/.vscode/mcp.json',
  '**/Code/User/mcp.json',
  '**/Code - Insiders/User/mcp.json',
  '~/.codeium/windsurf/mcp_config.json',
  '**/.gemini/settings.json',
  '~/.codex/config.toml',
  '**/.junie/mcp/mcp.json',
];

/**
 * Sensitive files: reading one is allowed, but it starts the exfiltration-chain
 * session rule (a following outbound call that carries data is blocked).
 */
export const DEFAULT_SENSITIVE = [
  '**/.netrc',
  '**/.git-credentials',
  '**/.npmrc',
  '**/.pypirc',
  '**/.env.*',
  '**/*.pem',
  '**/*.key',
  '**/*.p12',
  '**/*.pfx',
  '**/id_rsa*',
  '**/id_ecdsa*',
  '**/id_ed25519*',
  '**/.gnupg/**',
  '**/.kube/config',
  '**/.docker/config.json',
  '**/credentials',
  '**/credentials.json',
  '**/.config/gcloud/**',
  '**/.azure/**',
  '/etc/passwd',
  '**/.bash_history',
  '**/.zsh_history',
];

/** One problem with a path argument. */
export interface PathProblem {
  readonly rule: 'path-nul' | 'path-denied' | 'path-outside-roots' | 'path-traversal' | 'path-encoded-traversal';
  readonly reason: string;
}

/** What {@link checkPath} found. */
export interface PathCheck {
  readonly problems: PathProblem[];
  /** Every view that matched a sensitive (or denied) glob: the session rules treat the call as a sensitive read. */
  readonly sensitive: boolean;
  /** The literal view, normalised (for the same-path session rule). */
  readonly normalised: string;
}

/**
 * Check one path argument.
 * @param roots normalised allowed prefixes; empty = no sandbox (only the deny globs apply)
 */
export function checkPath(raw: string, ctx: PathContext, roots: readonly string[], deny: GlobSet, sensitive: GlobSet): PathCheck {
  const reads = readings(raw, ctx);
  const views = resolvedViews(reads, ctx);
  const problems: PathProblem[] = [];
  if (raw.includes('\0')) problems.push({ rule: 'path-nul', reason: 'the path contains a NUL character, which truncates it in C code' });
  const literal = dotDots(reads[0] ?? '');
  if (reads.some((r) => dotDots(r) > literal)) problems.push({ rule: 'path-encoded-traversal', reason: 'the path spells .. in an encoding (percent, Unicode or Windows separators)' });
  else if (reads.some(climbsToRoot)) problems.push({ rule: 'path-traversal', reason: 'the path climbs with .. to the file system root' });
  let denied: string | undefined;
  let outside = false;
  let touchy = false;
  for (const v of views) {
    const d = deny(v);
    if (d !== undefined) denied ??= d;
    if (d !== undefined || sensitive(v) !== undefined) touchy = true;
    if (roots.length > 0 && !roots.some((r) => underRoot(v, r))) outside = true;
  }
  if (denied !== undefined) problems.push({ rule: 'path-denied', reason: `the path resolves to a denied location (${denied})` });
  if (outside) {
    const shown = roots.slice(0, 3).join(', ') + (roots.length > 3 ? `, +${roots.length - 3} more` : '');
    problems.push({ rule: 'path-outside-roots', reason: `the path resolves outside the allowed roots (${shown})` });
  }
  return { problems, sensitive: touchy, normalised: views[0] ?? raw };
}
