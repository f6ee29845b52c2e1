/**
 * `--env` and config `env.passthrough` refuse the same variables (code injection,
 * npm config, proxies, a changed PATH, shell function exports), with exit 2, a
 * message naming the variable and never its value, and no server started.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

const VALUE = 'refused-value-must-not-show-4f7e';

/** A server that leaves a marker file when it starts. */
function server(): { args: string[]; started: () => boolean } {
  const marker = join(tempDir(), 'started');
  return { args: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`], started: () => existsSync(marker) };
}

function config(text: string): string {
  const f = join(tempDir(), 'cfg.yaml');
  writeFileSync(f, text);
  return f;
}

describe('env.passthrough refusal', () => {
  for (const name of ['LD_PRELOAD', 'NODE_OPTIONS', 'npm_config_script_shell', 'NPM_CONFIG_REGISTRY', 'HTTPS_PROXY', 'all_proxy', 'PYTHONWARNINGS', 'OPENSSL_CONF', 'GIT_ASKPASS']) {
    it(`refuses env.passthrough ${name} with exit 2, naming the file and line`, async () => {
      const cfg = config(`env:\n  passthrough:\n    - HARMLESS\n    - ${name}\n`);
      const s = server();
      // LD_PRELOAD and NODE_OPTIONS would act on the proxy's own Node: leave them unset there.
      const env = name === 'LD_PRELOAD' || name === 'NODE_OPTIONS' ? {} : { [name]: VALUE };
      const r = await runCli(['proxy', '-c', cfg, '--', ...s.args], '', env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${cfg}:4: env.passthrough[1]: ${name} refused`);
      expect(r.stderr).not.toContain(VALUE);
      expect(s.started()).toBe(false);
    });
  }

  it('refuses a passed-through variable whose value is a shell function export', async () => {
    const cfg = config('env:\n  passthrough: [MY_FN]\n');
    const s = server();
    const r = await runCli(['proxy', '-c', cfg, '--', ...s.args], '', { MY_FN: `() { :; }; ${VALUE}` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('env.passthrough MY_FN refused: its value is a shell function export');
    expect(r.stderr).not.toContain(VALUE);
    expect(s.started()).toBe(false);
  });
});

describe('--env refusal', () => {
  for (const name of ['npm_config_node_options', 'HTTP_PROXY', 'https_proxy', 'PYTHONWARNINGS', 'PYTHONSTARTUP', 'OPENSSL_CONF', 'GIT_ASKPASS', 'GIT_SSH_COMMAND']) {
    it(`refuses --env ${name}=… with exit 2`, async () => {
      const s = server();
      const r = await runCli(['proxy', '--env', `${name}=${VALUE}`, '--', ...s.args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--env ${name} refused`);
      expect(r.stderr).not.toContain(VALUE);
      expect(s.started()).toBe(false);
    });
  }

  it('refuses a PATH other than its own, and accepts its own', async () => {
    const s = server();
    const r = await runCli(['proxy', '--env', `PATH=/tmp/${VALUE}:${process.env['PATH'] ?? ''}`, '--', ...s.args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--env PATH refused');
    expect(r.stderr).not.toContain(VALUE);
    expect(s.started()).toBe(false);
    const same = await runCli(['proxy', '--env', `PATH=${process.env['PATH'] ?? ''}`, '--', ...s.args]);
    expect(same.code).toBe(0);
    expect(s.started()).toBe(true);
  });

  it('refuses a function-export value, given or inherited', async () => {
    const given = await runCli(['proxy', '--env', `FN=() { :; }; ${VALUE}`, '--', process.execPath, '-e', '']);
    expect(given.code).toBe(2);
    expect(given.stderr).toContain('--env FN refused: its value is a shell function export');
    const inherited = await runCli(['proxy', '--env', 'FN', '--', process.execPath, '-e', ''], '', { FN: `() { ${VALUE}; }` });
    expect(inherited.code).toBe(2);
    expect(inherited.stderr).toContain('--env FN refused');
    expect(given.stderr + inherited.stderr).not.toContain(VALUE);
  });
});
