// Drive the built proxy with N sequential 1 KB tools/call round trips under --cpu-prof (profiles in prof/out).
// Usage: npm run build && node scripts/prof/drive.js [N]; then node scripts/prof/top.js prof/out/<file> (self time) or scripts/prof/incl.js (inclusive).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const root = new URL('../..', import.meta.url).pathname; // the repository
const N = Number(process.argv[2] ?? 3000);
const home = mkdtempSync(join(tmpdir(), 'prof-'));
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=' + join(root, 'prof/out'), join(root,'bin/mcp-guard.js'), 'proxy', '--', process.execPath, join(root,'test/fixtures/bench-server.js')], { cwd: root, stdio: ['pipe','pipe','ignore'], env: { PATH: process.env.PATH, HOME: home, MCP_GUARD_CONFIG: '', XDG_STATE_HOME: home, BENCH_TOOLS: '5' } });
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(23);
let id = 0, pending = '', seen = 0;
const send = () => { id++; child.stdin.write(JSON.stringify(id === 1 ? { jsonrpc: '2.0', id, method: 'tools/list', params: {} } : { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } }) + '\n'); };
child.stdout.on('data', (c) => { pending += c; let nl; while ((nl = pending.indexOf('\n')) !== -1) { pending = pending.slice(nl + 1); seen++; if (seen >= N) { child.stdin.end(); return; } send(); } });
child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'p', version: '1' } } }) + '\n');
child.on('exit', () => console.log('done', seen));
