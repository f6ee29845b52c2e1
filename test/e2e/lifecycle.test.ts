/** Child lifecycle, environment and framing behaviour of the built CLI. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, EVIL, ROOT, jsonLines, runCli } from '../helpers.js';

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const call = (id: number, name: string, args: object): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('child lifecycle', () => {
  it("propagates the server's exit code", async () => {
    const r = await runCli(['proxy', '--', process.execPath, '-e', 'process.exit(7)']);
    expect(r.code).toBe(7);
  });

  it('exits 127 with a clear message when the command cannot be started', async () => {
    const r = await runCli(['proxy', '--', 'definitely-not-a-command-xyz', '--flag']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('cannot start "definitely-not-a-command-xyz": command not found');
  });

  it('exits 2 on usage errors', async () => {
    expect((await runCli(['proxy'])).code).toBe(2);
    expect((await runCli(['no-such-command'])).code).toBe(2);
  });

  it('shows examples in --help', async () => {
    const r = await runCli(['proxy', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ mcp-guard proxy -- npx -y @modelcontextprotocol\/server-everything/);
  });

  it('answers pending requests with -32000 when the server dies', async () => {
    const input = [INIT, call(2, 'add', { a: 1, b: 2 })].join('\n') + '\n';
    const r = await runCli(['proxy', '--env', 'FIXTURE_MODE', '--', process.execPath, EVIL], input, { FIXTURE_MODE: 'crash-on-call' }, { keepOpenMs: 3000 });
    expect(r.code).toBe(3);
    const out = jsonLines(r.stdout);
    expect(out.find((m) => m['id'] === 2)).toEqual({ jsonrpc: '2.0', id: 2, error: { code: -32000, message: 'mcp-guard: server exited' } });
  });

  it('never forwards non-JSON server output, and logs it', async () => {
    const input = [INIT, call(2, 'add', { a: 1, b: 2 })].join('\n') + '\n';
    const r = await runCli(['proxy', '--env', 'FIXTURE_MODE', '--', process.execPath, EVIL], input, { FIXTURE_MODE: 'garbage' });
    expect(r.stdout).not.toContain('this is not json');
    expect(jsonLines(r.stdout).map((m) => m['id'])).toEqual([1, 2]);
    expect(r.stderr).toMatch(/server wrote a line that is not JSON \(16 bytes\); not forwarded/);
  });

  it('answers malformed client lines with -32700 and batches with -32600, losing nothing else', async () => {
    const input = ['{not json', INIT, '[{"jsonrpc":"2.0","id":5,"method":"ping"}]', '', call(2, 'add', { a: 2, b: 2 })].join('\r\n') + '\r\n';
    const r = await runCli(['proxy', '--', process.execPath, EVIL], input);
    const out = jsonLines(r.stdout);
    expect(out[0]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(out[1]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(out.find((m) => m['id'] === 2)).toMatchObject({ result: { content: [{ text: '4' }] } });
  });

  it('forwards SIGTERM to the server and reports its signal exit', async () => {
    const child = spawn(process.execPath, [BIN, 'proxy', '--', process.execPath, '-e', "process.on('SIGTERM',()=>{console.error('got-term');process.exit(42)});setInterval(()=>{},1000)"], { cwd: ROOT });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise((r) => setTimeout(r, 800));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(err).toContain('got-term');
    expect(code).toBe(42);
  });
});

describe('child environment', () => {
  const dump = "process.stdout.write(JSON.stringify({jsonrpc:'2.0',method:'env',params:process.env})+'\\n')";

  it('gets only the safe allowlist plus --env names', async () => {
    const r = await runCli(['proxy', '--env', 'WANTED', '--env', 'SET_HERE=v1', '--', process.execPath, '-e', dump], '', { WANTED: 'yes', SECRET_THING: 'hidden', LANG: 'C.UTF-8' });
    const env = jsonLines(r.stdout)[0]?.['params'] as Record<string, string>;
    expect(env['WANTED']).toBe('yes');
    expect(env['SET_HERE']).toBe('v1');
    expect(env['LANG']).toBe('C.UTF-8');
    expect(env['PATH']).toBeDefined();
    expect(env['SECRET_THING']).toBeUndefined();
  });

  it('a server that writes and exits before the chain is loaded loses none of its output', async () => {
    // The chain's modules load after the spawn; Node discards an exited child's unread output
    // unless the proxy keeps it (child-process.ts, `early`). 40 KB stays under the pipe buffer,
    // so the server really exits before anything reads it.
    const burst = "for(let i=0;i<40;i++)process.stdout.write(JSON.stringify({jsonrpc:'2.0',method:'n',params:{i,pad:'x'.repeat(1000)}})+'\\n')";
    for (let run = 0; run < 3; run++) {
      const r = await runCli(['proxy', '--', process.execPath, '-e', burst]);
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout).map((m) => (m['params'] as { i: number }).i)).toEqual([...Array(40).keys()]);
    }
  });

  it('--inherit-env passes everything', async () => {
    const r = await runCli(['proxy', '--inherit-env', '--', process.execPath, '-e', dump], '', { SECRET_THING: 'hidden' });
    expect((jsonLines(r.stdout)[0]?.['params'] as Record<string, string>)['SECRET_THING']).toBe('hidden');
  });

  it('refuses --env for injection vectors', async () => {
    for (const name of ['LD_PRELOAD', 'DYLD_INSERT_LIBRARIES', 'NODE_OPTIONS']) {
      const r = await runCli(['proxy', '--env', `${name}=/tmp/x`, '--', process.execPath, '-e', '']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--env ${name} refused`);
    }
  });

  it('names (never values) of withheld variables when the server fails at start', async () => {
    const r = await runCli(['proxy', '--', process.execPath, '-e', 'process.exit(1)'], '', { MY_API_TOKEN: 'supersecretvalue123456' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Withheld: .*MY_API_TOKEN/);
    expect(r.stderr).not.toContain('supersecretvalue123456');
  });
});
