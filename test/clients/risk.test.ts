import { describe, expect, it } from 'vitest';
import { classifyRisk } from '../../src/clients/risk.js';

describe('classifyRisk', () => {
  it.each([
    ['filesystem', 'npx', ['-y', '@modelcontextprotocol/server-filesystem', '/home/me'], 'high', 'filesystem'],
    ['gh', 'docker', ['run', '-i', '--rm', 'ghcr.io/github/github-mcp-server'], 'high', 'git'],
    ['db', 'uvx', ['mcp-server-sqlite', '--db-path', '/x.db'], 'high', 'database'],
    ['x', 'python3', ['-m', 'mcp_shell_server'], 'high', 'shell'],
    ['browser', 'npx', ['@playwright/mcp@latest'], 'high', 'browser'],
    ['web', 'uvx', ['mcp-server-fetch'], 'high', 'fetch'],
    ['team', 'npx', ['-y', '@modelcontextprotocol/server-slack'], 'high', 'chat'],
    ['inbox', 'node', ['/opt/servers/gmail-mcp/dist/index.js'], 'high', 'email'],
    ['brave-search', 'npx', ['-y', '@modelcontextprotocol/server-brave-search'], 'medium', 'search'],
    ['memory', 'npx', ['-y', '@modelcontextprotocol/server-memory'], 'medium', 'memory'],
  ] as const)('%s → %s', (name, command, args, level, category) => {
    expect(classifyRisk(name, command, args)).toMatchObject({ level, category });
  });

  it('is low when nothing indicates a capability', () => {
    expect(classifyRisk('time', 'mcp-server-time', [])).toEqual({ level: 'low' });
    expect(classifyRisk('everything', 'npx', ['-y', '@modelcontextprotocol/server-everything'])).toEqual({ level: 'low' });
  });

  it('ignores paths and flags, and matches whole words only', () => {
    expect(classifyRisk('docs', 'node', ['/home/me/git/files/docs-server/index.js', '--profile', 'dev']).level).toBe('low');
    expect(classifyRisk('profiles', 'npx', ['profile-server']).level).toBe('low');
  });

  it('classifies remote servers by name and host', () => {
    expect(classifyRisk('remote', undefined, [], 'https://api.githubcopilot.com/mcp/')).toMatchObject({ level: 'low' });
    expect(classifyRisk('remote', undefined, [], 'https://mcp.slack.example/mcp')).toMatchObject({ level: 'high', category: 'chat' });
  });
});
