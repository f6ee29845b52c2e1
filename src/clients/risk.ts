/**
 * A coarse risk class for a server from what it is called and what it runs:
 * the server name, the command's base name, package-like arguments
 * (`@scope/pkg`, `mcp-server-git`, `pkg@1.2`), a script's file and folder
 * names, and a remote entry's host. Words are matched whole after splitting on
 * punctuation, so paths and free text do not leak in (`profile` is not `file`).
 */

/** Risk levels, most severe first. */
export type RiskLevel = 'high' | 'medium' | 'low';

/** The class given to a server, with the word that decided it. */
export interface RiskClass {
  readonly level: RiskLevel;
  /** Capability, e.g. `shell`, `filesystem`; undefined for low. */
  readonly category?: string;
  /** The word that matched, e.g. `server-filesystem`. */
  readonly matched?: string;
}

/** Capability → words that indicate it. High: can act on the machine or the outside world; medium: read-mostly. */
const CATEGORIES: ReadonlyArray<[RiskLevel, string, readonly string[]]> = [
  ['high', 'shell', ['shell', 'bash', 'zsh', 'powershell', 'pwsh', 'terminal', 'cmd', 'ssh', 'tmux']],
  ['high', 'exec', ['exec', 'execute', 'command', 'commander', 'commands', 'runner', 'interpreter', 'repl', 'sandbox', 'e2b', 'kubernetes', 'kubectl']],
  ['high', 'filesystem', ['filesystem', 'fs', 'file', 'files', 'disk', 'directory']],
  ['high', 'git', ['git', 'github', 'gitlab', 'bitbucket', 'gitea']],
  ['high', 'database', ['database', 'db', 'sql', 'sqlite', 'postgres', 'postgresql', 'mysql', 'mariadb', 'mongo', 'mongodb', 'redis', 'supabase', 'neon', 'bigquery', 'snowflake', 'duckdb', 'dynamodb', 'elasticsearch', 'clickhouse', 'prisma']],
  ['high', 'browser', ['browser', 'puppeteer', 'playwright', 'chrome', 'chromium', 'selenium', 'browserbase', 'browsermcp']],
  ['high', 'fetch', ['fetch', 'curl', 'scrape', 'scraper', 'crawl', 'crawler', 'firecrawl', 'requests']],
  ['high', 'email', ['email', 'mail', 'gmail', 'smtp', 'imap', 'outlook', 'sendgrid', 'mailgun', 'resend']],
  ['high', 'chat', ['chat', 'slack', 'discord', 'telegram', 'teams', 'whatsapp', 'twilio', 'sms']],
  ['medium', 'search', ['search', 'brave', 'tavily', 'exa', 'perplexity', 'serper', 'serpapi', 'kagi', 'bing', 'duckduckgo', 'google']],
  ['medium', 'memory', ['memory', 'memories', 'knowledge', 'vector', 'qdrant', 'chroma', 'pinecone', 'mem0']],
];

const WORDS: ReadonlyMap<string, [RiskLevel, string]> = new Map(
  CATEGORIES.flatMap(([level, category, words]) => words.map((w): [string, [RiskLevel, string]] => [w, [level, category]])),
);

// npm (`@scope/pkg@1`), PyPI (`mcp-server-git`) and image (`ghcr.io/org/img:tag`) names.
const PACKAGE_LIKE = /^(?:@?[\w.-]+\/)*[\w.-]+(?:[@:][\w.^~<>=*-]+)?$/;
const SCRIPT = /\.(?:c?m?[jt]s|py|rb|sh|go|exe)$/i;
const GENERIC_FILE = /^(?:index|main|server|cli|app|run|start|dist|build|src|lib|bin)$/i;
const RUNNERS = new Set(['npx', 'node', 'uvx', 'uv', 'python', 'python3', 'bunx', 'bun', 'deno', 'pnpm', 'pnpx', 'yarn', 'npm', 'pipx', 'docker', 'cmd']);

/** Words that describe a server, with their origin, most telling first. */
function subjects(name: string, command: string | undefined, args: readonly string[], url: string | undefined): string[] {
  const out = [name];
  const cmdBase = command?.split(/[\\/]/).pop()?.replace(SCRIPT, '');
  if (cmdBase !== undefined && !RUNNERS.has(cmdBase.toLowerCase())) out.push(cmdBase);
  for (const a of args) {
    if (a.startsWith('-') || /^[a-z]+:\/\//i.test(a)) continue;
    if (SCRIPT.test(a)) {
      const parts = a.split(/[\\/]/).filter((p) => p !== '');
      const file = (parts.pop() ?? '').replace(SCRIPT, '');
      if (!GENERIC_FILE.test(file)) out.push(file);
      // index.js / dist/server.js: the package folder names the server
      const folder = [...parts].reverse().find((p) => !GENERIC_FILE.test(p) && p !== 'node_modules');
      if (folder !== undefined) out.push(folder);
    } else if (PACKAGE_LIKE.test(a) && !RUNNERS.has(a)) out.push(a);
  }
  if (url !== undefined) {
    try {
      const u = new URL(url);
      out.push(u.hostname.split('.').slice(0, -1).join('.'), u.pathname);
    } catch {
      // not a URL: nothing to learn
    }
  }
  return out;
}

/**
 * Classify a server.
 * @param command the server's own command (for a wrapped entry, the command after `--`)
 * @returns the most severe class any word indicates; `low` when none does
 */
export function classifyRisk(name: string, command: string | undefined, args: readonly string[], url?: string): RiskClass {
  let best: RiskClass = { level: 'low' };
  const rank = { high: 2, medium: 1, low: 0 } as const;
  for (const subject of subjects(name, command, args, url)) {
    for (const word of subject.toLowerCase().split(/[^a-z0-9]+/)) {
      const hit = WORDS.get(word);
      if (hit !== undefined && rank[hit[0]] > rank[best.level]) best = { level: hit[0], category: hit[1], matched: subject };
    }
    if (best.level === 'high') break;
  }
  return best;
}
