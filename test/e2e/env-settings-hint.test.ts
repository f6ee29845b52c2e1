/**
 * Withheld settings are named at start: a variable such as server-memory's
 * MEMORY_FILE_PATH that the proxy does not pass makes a server fall back to a
 * default location without a word, so the proxy warns about withheld names that
 * look like settings (*_PATH, *_DIR, *_FILE, *_URL), names only, never values.
 * Through the built CLI with @modelcontextprotocol/server-everything, whose
 * get-env tool shows what the server really got (server-memory is not installed).
 */
import { describe, expect, it } from 'vitest';
import { EVERYTHING, connectProxied } from '../helpers.js';

const PATH_VALUE = '/tmp/mcp-guard-memory-7c1d/graph.jsonl';
// Secret-looking values: neither may ever appear in the proxy's output.
const DB_URL = 'postgres://app:Zq8vR2mXk5LpT9wN@db.internal:5432/prod';
const TOKEN = 'ghp_' + 'Qm7vT2xKp9LwZ3nR8sYc4HjB6dFa1E0rXy5W';

function proxyEnv(): Record<string, string> {
  return { MEMORY_FILE_PATH: PATH_VALUE, DATABASE_URL: DB_URL, GITHUB_TOKEN: TOKEN, UNRELATED_FLAG: 'on', GIT_EXEC_PATH: '/nonexistent/git-core' };
}

/** The pino lines on stderr that carry `withheld_settings`. */
function settingsWarnings(stderr: string): Array<{ level: number; msg: string; withheld_settings: string[] }> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('withheld_settings'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; withheld_settings: string[] });
}

describe('withheld settings at start', () => {
  it('warns, naming MEMORY_FILE_PATH and DATABASE_URL with the --env hint, and never a value', async () => {
    const p = await connectProxied([EVERYTHING, 'stdio'], ['--name', 'everything'], proxyEnv());
    try {
      const env = JSON.stringify((await p.client.callTool({ name: 'get-env', arguments: {} })).content);
      // the server really did not get them
      expect(env).not.toContain('MEMORY_FILE_PATH');
      expect(env).not.toContain('GITHUB_TOKEN');
      const [warning, ...others] = settingsWarnings(p.stderr());
      expect(others).toEqual([]);
      expect(warning?.level).toBe(40);
      expect(warning?.withheld_settings).toEqual(['DATABASE_URL', 'MEMORY_FILE_PATH']);
      expect(warning?.msg).toContain('MEMORY_FILE_PATH');
      expect(warning?.msg).toMatch(/--env DATABASE_URL\b/);
      // only names that look like settings: not the token, not the unrelated flag
      expect(warning?.msg).not.toContain('GITHUB_TOKEN');
      expect(warning?.msg).not.toContain('UNRELATED_FLAG');
      // --env would refuse it, so the hint leaves it out
      expect(warning?.msg).not.toContain('GIT_EXEC_PATH');
      for (const value of [PATH_VALUE, DB_URL, 'Zq8vR2mXk5LpT9wN', TOKEN]) expect(p.stderr()).not.toContain(value);
    } finally {
      await p.close();
    }
    // Passed with --env: the server gets it and the warning names only what is still withheld.
    const q = await connectProxied([EVERYTHING, 'stdio'], ['--name', 'everything', '--env', 'MEMORY_FILE_PATH'], proxyEnv());
    try {
      const env = JSON.stringify((await q.client.callTool({ name: 'get-env', arguments: {} })).content);
      expect(env).toContain(PATH_VALUE);
      expect(settingsWarnings(q.stderr()).map((w) => w.withheld_settings)).toEqual([['DATABASE_URL']]);
      for (const value of [DB_URL, TOKEN]) expect(q.stderr()).not.toContain(value);
    } finally {
      await q.close();
    }
  }, 30_000);
});
