import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverConfig, loadConfig, parseConfigText } from '../src/config/load.js';
import { GuardError } from '../src/errors.js';
import { ROOT, runCli, tempDir } from './helpers.js';

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'c.yaml');
  } catch (e) {
    if (e instanceof GuardError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('config', () => {
  it('applies secure defaults with no file', () => {
    const dir = tempDir();
    const { config, source } = loadConfig({ env: { HOME: dir }, cwd: dir });
    expect(source.kind).toBe('defaults');
    expect(config.enforce).toBe(true);
    expect(config.dlp).toMatchObject({ enabled: true, action: 'block' });
    expect(config.injection).toMatchObject({ enabled: true, action: 'block' });
    expect(config.poisoning.action).toBe('block');
    expect(config.drift).toMatchObject({ enabled: true, action: 'block' });
    expect(config.maxFrameBytes).toBe(16 * 1024 * 1024);
  });

  it('pipelock.example.yaml is valid and states exactly the built-in defaults', () => {
    const dir = tempDir();
    const example = loadConfig({ path: join(ROOT, 'pipelock.example.yaml'), env: {}, cwd: dir });
    expect(example.warnings).toEqual([]);
    expect(example.config).toEqual(loadConfig({ env: { HOME: dir }, cwd: dir }).config);
  });

  it('discovers -c, then $MCP_GUARD_CONFIG, then ./mcp-guard.yaml, then XDG', () => {
    const dir = tempDir();
    const xdg = join(dir, 'xdg');
    mkdirSync(join(xdg, 'mcp-guard'), { recursive: true });
    writeFileSync(join(xdg, 'mcp-guard', 'config.yaml'), 'mode: audit\n');
    const env = { HOME: dir, XDG_CONFIG_HOME: xdg };
    expect(discoverConfig({ env, cwd: dir })).toMatchObject({ via: 'xdg' });
    writeFileSync(join(dir, 'mcp-guard.yaml'), 'mode: strict\n');
    expect(discoverConfig({ env, cwd: dir })).toMatchObject({ via: 'cwd' });
    expect(discoverConfig({ env: { ...env, MCP_GUARD_CONFIG: 'x.yaml' }, cwd: dir })).toMatchObject({ via: 'MCP_GUARD_CONFIG' });
    expect(discoverConfig({ path: 'y.yaml', env: { ...env, MCP_GUARD_CONFIG: 'x.yaml' }, cwd: dir })).toMatchObject({ via: '-c' });
  });

  it('accepts a Pipelock config unchanged, warning once about sections that do not apply', () => {
    const text = `version: 1
mode: balanced
api_allowlist: ["github.com"]
fetch_proxy:
  listen: "127.0.0.1:8888"
dlp:
  scan_env: true
  include_defaults: false
  patterns:
    - name: "GitHub Token"
      regex: '(?:gh[pour]_[A-Za-z0-9_]{36,})'
      severity: critical
    - name: "Credit Card Number"
      regex: '\\b\\d{4}(?:[- ]?\\d){11,15}\\b'
      severity: medium
      validator: luhn
response_scanning:
  enabled: true
  action: warn
  patterns:
    - name: "System Override"
      regex: '(?im)^\\s*system\\s*:'
mcp_input_scanning: { enabled: true, action: block, on_parse_error: block }
mcp_tool_scanning: { enabled: true, action: warn, detect_drift: true, new_tool_admission: withhold }
mcp_tool_policy:
  enabled: true
  action: warn
  rules:
    - name: "Destructive File Delete"
      tool_pattern: '(?i)^(bash|shell)$'
      arg_pattern: '(?i)\\brm\\s+-rf'
      action: block
logging: { format: json, output: stdout, include_allowed: true, include_blocked: true }
sentry: { enabled: false }
suppress:
  - { rule: "GitHub Token", path: "*.fixture", reason: "test data" }
`;
    const { config, warnings } = parseConfigText(text, 'pipelock.yaml');
    expect(warnings[0]).toMatch(/Pipelock sections not used by mcp-guard \(ignored\): api_allowlist, fetch_proxy, sentry/);
    expect(config.dlp.patterns).toHaveLength(2);
    expect(config.dlp.includeDefaults).toBe(false);
    expect(config.injection.action).toBe('warn');
    expect(config.poisoning.action).toBe('warn');
    expect(config.toolPolicy.rules[0]).toMatchObject({ name: 'Destructive File Delete', action: 'block' });
    expect(config.logging.toStderr).toBe(true);
    expect(config.suppress[0]).toMatchObject({ rule: 'GitHub Token', path: '*.fixture' });
  });

  it('lists every problem with its YAML path and line', () => {
    const p = problems(`mode: fast
dlp:
  patterns:
    - name: ok
      regex: 'abc'
    - name: bad-re
      regex: '(?<=x)y'
response_scanning:
  enabeld: true
`);
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/^c\.yaml:1: mode: /), expect.stringMatching(/^c\.yaml:9: response_scanning\.enabeld: unknown key/)]));
    // RE2 errors are checked once the shape is valid.
    const re = problems(`dlp:\n  patterns:\n    - name: bad-re\n      regex: '(?<=x)y'\n`);
    expect(re[0]).toMatch(/^c\.yaml:4: dlp\.patterns\[0\]\.regex: rule bad-re: RE2 rejects its regex/);
  });

  it('rejects an unknown validator and malformed YAML', () => {
    expect(problems(`dlp:\n  patterns:\n    - { name: x, regex: 'a', validator: nope }\n`)[0]).toMatch(/unknown validator "nope"/);
    expect(problems('mode: [unclosed\n')[0]).toMatch(/^c\.yaml:\d+: /);
  });

  it('exits 2 before spawning the server on a bad config', async () => {
    const dir = tempDir();
    const marker = join(dir, 'spawned');
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'mode: nope\n');
    const r = await runCli(['proxy', '-c', cfg, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid config .*bad\.yaml\n {2}.*bad\.yaml:1: mode: /);
    expect(r.stdout).toBe('');
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('pipelock.example.yaml documents every key mcp-guard reads', () => {
  it('names each key of the schema', async () => {
    const { configSchema } = await import('../src/config/schema.js');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(ROOT, 'pipelock.example.yaml'), 'utf8');
    const keys: string[] = [];
    const walk = (schema: unknown, path: string): void => {
      let s = schema as { def?: { type?: string; innerType?: unknown; element?: unknown }; shape?: Record<string, unknown> };
      while (s.def?.type === 'optional' || s.def?.type === 'nullable') s = s.def.innerType as typeof s;
      if (s.def?.type === 'array') return walk(s.def.element, `${path}[]`);
      if (s.def?.type !== 'object' || s.shape === undefined) return;
      for (const [k, v] of Object.entries(s.shape)) {
        keys.push(`${path}${k}`);
        walk(v, `${path}${k}.`);
      }
    };
    walk(configSchema(), '');
    expect(keys.length).toBeGreaterThan(40);
    const missing = keys.filter((k) => !new RegExp(`\\b${k.split(/[.[\]]+/).filter(Boolean).pop()}\\b`).test(text));
    expect(missing).toEqual([]);
  });
});
