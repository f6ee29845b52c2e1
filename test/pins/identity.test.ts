import { describe, expect, it } from 'vitest';
import { looksRandom, MAX_IDENTITY_LENGTH, REDACTED, serverIdentity } from '../../src/pins/identity.js';
import { RuleMatcher } from '../../src/scan/matcher.js';
import { loadBuiltinRules } from '../../src/scan/rule-pack.js';

/** A deterministic byte source (xorshift32). */
function seededBytes(seed: number): (n: number) => Buffer {
  let x = seed;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

const derive = (command: string, ...args: string[]): string => serverIdentity(undefined, command, args).id;

describe('serverIdentity', () => {
  it('uses --name when given', () => {
    expect(serverIdentity('github', 'npx', ['-y', 'x'])).toEqual({ id: 'github', derived: false });
    expect(serverIdentity('', 'node', ['s.js'])).toEqual({ id: 'node s.js', derived: true });
  });

  it('drops npx and -y, keeps package versions, readable command lines', () => {
    expect(serverIdentity(undefined, 'npx', ['-y', '@modelcontextprotocol/server-everything@2025.8.4'])).toEqual({
      id: '@modelcontextprotocol/server-everything@2025.8.4',
      derived: true,
    });
    expect(derive('npx', '@modelcontextprotocol/server-everything')).toBe('@modelcontextprotocol/server-everything');
    expect(derive('C:\\Program Files\\nodejs\\npx.cmd', '--yes', '@playwright/mcp@0.0.32')).toBe('@playwright/mcp@0.0.32');
    expect(derive('npx', '-y', '@modelcontextprotocol/server-filesystem', '/Users/alice/Projects/my-app')).toBe('@modelcontextprotocol/server-filesystem /Users/alice/Projects/my-app');
    expect(derive('/usr/local/bin/uvx', 'mcp-server-git', '--repository', '/home/bob/src/repo')).toBe('uvx mcp-server-git --repository /home/bob/src/repo');
    expect(derive('python3', '-m', 'mcp_server_time', '--local-timezone=America/New_York')).toBe('python3 -m mcp_server_time --local-timezone=America/New_York');
    expect(derive('docker', 'run', '-i', '--rm', 'ghcr.io/github/github-mcp-server:v0.1.0')).toBe('docker run -i --rm ghcr.io/github/github-mcp-server:v0.1.0');
    expect(derive('node', '/srv/mcp/weather server/index.js', '')).toBe('node "/srv/mcp/weather server/index.js" ""');
    expect(derive('npx')).toBe('npx');
    expect(derive('npx', '-y', 'pkg', '-y')).toBe('pkg -y');
  });

  it('is deterministic', () => {
    const args = ['-y', 'mcp-remote', 'https://mcp.example.com/sse', '--header', 'Authorization: Bearer abcdef123456'];
    expect(serverIdentity(undefined, 'npx', args)).toEqual(serverIdentity(undefined, 'npx', [...args]));
  });

  it('redacts values of secret-ish flags and assignments', () => {
    expect(derive('node', 'server.js', '--api-key', 'abcd1234efgh5678', '--port', '3000')).toBe(`node server.js --api-key ${REDACTED} --port 3000`);
    expect(derive('node', 'server.js', '--token=hunter22')).toBe(`node server.js --token=${REDACTED}`);
    expect(derive('docker', 'run', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN=abc123def', 'img')).toBe(`docker run -e GITHUB_PERSONAL_ACCESS_TOKEN=${REDACTED} img`);
    expect(derive('python', 'srv.py', 'DB_PASSWORD=s3cret!')).toBe(`python srv.py DB_PASSWORD=${REDACTED}`);
    expect(derive('npx', 'mcp-remote', 'https://x.example/sse', '--header', 'Authorization: Bearer abc.def')).toBe(`mcp-remote https://x.example/sse --header "Authorization: ${REDACTED}"`);
    expect(derive('npx', 'mcp-remote', 'https://x.example/sse?access_token=zzz&region=eu')).toBe(`mcp-remote https://x.example/sse?access_token=${REDACTED}&region=eu`);
    expect(derive('node', 's.js', '--secret', '--verbose')).toBe('node s.js --secret --verbose');
  });

  it('redacts URL credentials', () => {
    expect(derive('npx', 'mcp-remote', 'https://user:hunter2@mcp.example.com/sse')).toBe(`mcp-remote https://${REDACTED}@mcp.example.com/sse`);
    expect(derive('node', 's.js', 'postgres://app:pw@db.internal:5432/prod')).toBe(`node s.js postgres://${REDACTED}@db.internal:5432/prod`);
  });

  it('redacts every DLP rule example secret', () => {
    const rules = loadBuiltinRules();
    const matcher = new RuleMatcher(rules.filter((r) => r.category === 'dlp'));
    let checked = 0;
    for (const rule of rules.filter((r) => r.category === 'dlp')) {
      for (const example of rule.spec.examples.match) {
        const id = serverIdentity(undefined, 'node', ['server.js', example], rules).id;
        for (const hit of matcher.match(example, { firstPerRule: false })) {
          if (hit.matched.length < 8 || hit.variant !== 'raw') continue;
          expect(id, `${rule.id}: ${hit.masked}`).not.toContain(hit.matched);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('redacts long random tokens and keeps words, versions and dates', () => {
    // Seeded, so the run is reproducible: the heuristic misses about 1 in 2,000 random
    // 32-character tokens (1 in 500 for 24 letters-only characters); DLP rules and
    // secret-ish names catch real credentials first.
    const bytes = seededBytes(42);
    const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (let i = 0; i < 300; i++) {
      const base62 = [...bytes(32)].map((b) => BASE62[b % 62]).join('');
      for (const token of [bytes(16).toString('hex'), bytes(32).toString('base64url'), bytes(24).toString('base64'), base62]) {
        const id = derive('node', 's.js', `--x=${token}`);
        expect(id, token).toContain(REDACTED);
      }
    }
    expect(derive('node', 's.js', '--key-5d41402abc4b2a76b9719d911017c592')).toBe(`node s.js --key-${REDACTED}`);
    for (const word of ['server-everything-2025-01-15', 'modelcontextprotocol', 'mcp-server-sqlite-v1-2-3', 'node_modules', 'SomeLongCamelCaseName', 'ThisIsAVeryLongIdentifierName', 'ALLCAPSANDMORECAPSWORDS', 'python3.11', 'ubuntu-22.04-lts-server', '/home/alice/servers/weather-2024/dist/index.js']) {
      expect(looksRandom(word), word).toBe(false);
      expect(derive('node', 's.js', word)).toBe(`node s.js ${word}`);
    }
  });

  it('stays fast on very long arguments', () => {
    const started = Date.now();
    for (const arg of ['a'.repeat(100_000), `${'x'.repeat(50_000)}token`, 'https:'.repeat(20_000), `${'ab.'.repeat(30_000)}=`]) {
      expect(derive('node', 's.js', arg).length).toBeLessThanOrEqual(MAX_IDENTITY_LENGTH);
    }
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('replaces control and invisible characters', () => {
    expect(derive('node', 's.js', 'a\u001b[31mb', 'c\u202ed')).toBe('node s.js a?[31mb c?d');
  });

  it('stays within the length limit and distinct when cut', () => {
    const long = (tail: string): string => derive('node', '/very/long/path/'.repeat(10) + 'server.js', '--flag', tail);
    const a = long('one');
    const b = long('two');
    expect(a.length).toBeLessThanOrEqual(MAX_IDENTITY_LENGTH);
    expect(a).toMatch(/~[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(long('one')).toBe(a);
    const emoji = derive('node', '😀'.repeat(80));
    expect(emoji.length).toBeLessThanOrEqual(MAX_IDENTITY_LENGTH);
    expect(emoji).not.toMatch(/[\ud800-\udbff]~/);
  });
});
