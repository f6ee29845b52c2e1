/** Model files (rules/models/*.json): validation at start, size budget, and the CLI's exit 2 on a bad file. */
import { cpSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinModelsDir, loadModels, parseModel } from '../../src/scan/model/loader.js';
import { GuardError } from '../../src/errors.js';
import { ROOT, tempDir } from '../helpers.js';

const file = (c: string): Record<string, unknown> => JSON.parse(readFileSync(join(builtinModelsDir(), `${c}.json`), 'utf8')) as Record<string, unknown>;

function problems(json: unknown): string[] {
  try {
    parseModel(json, 'x.json');
  } catch (err) {
    expect(err).toBeInstanceOf(GuardError);
    expect((err as GuardError).code).toBe('RULES_INVALID');
    return [...(err as GuardError).problems];
  }
  throw new Error('parsed');
}

describe('model files', () => {
  it('load, hold thresholds chosen on benign data and fit the 5 MB budget', () => {
    const m = loadModels();
    for (const c of ['injection', 'tool-poisoning'] as const) {
      expect(m[c].category).toBe(c);
      expect(m[c].warnThreshold).toBeLessThanOrEqual(m[c].threshold);
      expect(m[c].table.length).toBe(1 << m[c].bits);
      const t = file(c)['training'] as Record<string, unknown>;
      expect(t['command']).toBe('npm run train');
    }
    const bytes = ['injection', 'tool-poisoning'].reduce((n, c) => n + statSync(join(builtinModelsDir(), `${c}.json`)).size, 0);
    expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it('refuse a damaged file, naming each problem', () => {
    const good = file('injection');
    expect(problems({ ...good, format: 'other/1' }).join('\n')).toMatch(/format/);
    expect(problems({ ...good, threshold: 1.5 }).join('\n')).toMatch(/threshold/);
    expect(problems({ ...good, warn_threshold: 1, threshold: 0.9 }).join('\n')).toMatch(/warn_threshold/);
    expect(problems({ ...good, weights: { ...(good['weights'] as object), data: 'AAAA' } }).join('\n')).toMatch(/weights\.data/);
    const features = good['features'] as Record<string, unknown>;
    expect(problems({ ...good, features: { ...features, structural: ['url'] } }).join('\n')).toMatch(/structural/);
    expect(problems({ ...good, features: { ...features, char_ngrams: [2, 3, 4] } }).join('\n')).toMatch(/char_ngrams/);
    expect(problems({ ...good, bias: 'x' }).join('\n')).toMatch(/bias/);
  });

  it('a bad model file stops the built CLI with exit 2', () => {
    // A copy of the package whose injection model is damaged.
    const pkg = tempDir();
    for (const d of ['bin', 'dist', 'rules']) cpSync(join(ROOT, d), join(pkg, d), { recursive: true, preserveTimestamps: true });
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const env = { PATH: process.env['PATH'] ?? '', HOME: tempDir(), MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir() };
    const line = '{"from":"client","message":{"jsonrpc":"2.0","id":1,"method":"ping"}}\n';
    const ok = spawnSync(process.execPath, [join(pkg, 'bin', 'mcp-guard.js'), 'scan', '-'], { input: line, env, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    const m = file('injection');
    writeFileSync(join(pkg, 'rules', 'models', 'injection.json'), JSON.stringify({ ...m, threshold: 7 }));
    const bad = spawnSync(process.execPath, [join(pkg, 'bin', 'mcp-guard.js'), 'scan', '-'], { input: line, env, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/injection\.json/);
    expect(bad.stdout).toBe('');
  });
});
