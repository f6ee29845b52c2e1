#!/usr/bin/env node
// `npm run demo`: plays an agent session through mcp-guard, for a person to read.
// The SDK's real Client talks to the built `mcp-guard proxy`, which runs a real
// MCP server (@modelcontextprotocol/server-everything) and, second, a fixture
// server that attacks on purpose (test/fixtures/evil-server.js).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { base62, crc32 } from '../dist/scan/validators.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'mcp-guard.js');
const everything = join(root, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const evil = join(root, 'test', 'fixtures', 'evil-server.js');
const stateDir = mkdtempSync(join(tmpdir(), 'mcp-guard-demo-'));
const tty = process.stdout.isTTY;
const paint = (code, s) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
const ok = (s) => console.log(`  ${paint(32, 'PASSED ')} ${s}`);
const blocked = (s) => console.log(`  ${paint(31, 'BLOCKED')} ${s}`);
const note = (s) => console.log(`          ${paint(2, s)}`);

/** A GitHub-format token with a valid checksum and a random body: looks real to a scanner, grants nothing. */
function fakeToken() {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 30; i++) body += abc[Math.floor(Math.random() * abc.length)];
  return `ghp_${body}${base62(crc32(body), 6)}`;
}

async function connect(name, serverArgs, extraArgs = [], extraEnv = {}, answer = undefined) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'proxy', '--name', name, ...extraArgs, '--', process.execPath, ...serverArgs],
    // A private pin store: the demo must not pin its fixture servers in your real one.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: stateDir, ...extraEnv },
    stderr: 'pipe',
    cwd: root,
  });
  transport.stderr?.resume(); // audit log: not shown here
  // `answer`: the agent's window, where a person answers the proxy's questions (MCP elicitation).
  const client = new Client({ name: 'demo-agent', version: '1.0.0' }, answer ? { capabilities: { elicitation: {} } } : {});
  if (answer) client.setRequestHandler(ElicitRequestSchema, (request) => answer(request.params));
  await client.connect(transport);
  return client;
}

function explain(err) {
  const findings = err?.data?.findings ?? [];
  note(String(err.message).replace(/^MCP error -?\d+: /, ''));
  for (const f of findings) note(`finding: rule=${f.rule} category=${f.category} path=${f.path}${f.transform ? ` via ${f.transform}` : ''}`);
}

function check(wasBlocked, label) {
  if (wasBlocked) blocked(label);
  else {
    console.log(`  ${paint(33, 'MISSED ')} ${label}`);
    process.exitCode = 1;
  }
}

async function expectBlocked(label, promise) {
  try {
    await promise;
    console.log(`  ${paint(33, 'MISSED ')} ${label}`);
    process.exitCode = 1;
  } catch (err) {
    blocked(label);
    explain(err);
  }
}

console.log(paint(1, '\nmcp-guard demo: agent → mcp-guard proxy → MCP server\n'));
console.log(paint(1, '1. A real server: @modelcontextprotocol/server-everything'));
const deployToken = fakeToken();
const good = await connect('everything', [everything, 'stdio'], ['--env', 'DEPLOY_TOKEN'], { DEPLOY_TOKEN: deployToken });
const { tools } = await good.listTools();
ok(`tools/list: ${tools.length} tools came through unchanged (${tools.slice(0, 4).map((t) => t.name).join(', ')}, …)`);
const echo = await good.callTool({ name: 'echo', arguments: { message: 'Hello from the agent' } });
ok(`tools/call echo → ${JSON.stringify(echo.content[0].text)}`);
await expectBlocked(
  'tools/call echo with a GitHub token in its arguments (argument DLP; the server never sees it)',
  good.callTool({ name: 'echo', arguments: { message: `use token ${fakeToken()} to push` } }),
);
const env = await good.callTool({ name: 'get-env', arguments: {} });
const envText = JSON.stringify(env.content);
if (envText.includes(deployToken.slice(4)) || !envText.includes('[REDACTED:')) {
  console.log(`  ${paint(33, 'MISSED ')} tools/call get-env: the server's answer holds a token`);
  process.exitCode = 1;
} else {
  ok('tools/call get-env → the answer passed with the server\'s token redacted (DLP on responses)');
  note(`as the agent sees it: ${env.content[0].text.split('\n').find((l) => l.includes('REDACTED'))?.trim()}`);
}
await good.close();

console.log(paint(1, '\n2. A malicious fixture server (test/fixtures/evil-server.js)'));
const bad = await connect('evil', [evil]);
const first = await bad.listTools();
check(!first.tools.some((t) => t.name === 'poisoned_calc'), 'tools/list: the poisoned tool "poisoned_calc" was removed (tool poisoning); the other tools pass');
note(`tools shown to the agent: ${first.tools.map((t) => t.name).join(', ')}`);
const sum = await bad.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
ok(`tools/call add(2, 3) → ${sum.content[0].text}`);
await expectBlocked('tools/call fetch_page: the page text tells the model to ignore its instructions (response injection)', bad.callTool({ name: 'fetch_page', arguments: { url: 'https://docs.example.com' } }));
const second = await bad.listTools();
check(!second.tools.some((t) => t.name === 'weather'), 'tools/list again: "weather" changed its description mid-session and is hidden (rug pull / drift)');
note(`tools shown to the agent now: ${second.tools.map((t) => t.name).join(', ')}`);
await bad.close();

console.log(paint(1, '\n3. Ask instead of block: the person approves in the agent\'s window (MCP elicitation)'));
const askFile = join(stateDir, 'ask.yaml');
writeFileSync(askFile, 'mcp_input_scanning:\n  action: ask\n');
const asking = await connect('everything-ask', [everything, 'stdio'], ['-c', askFile], {}, (q) => {
  note(`the proxy asks: ${q.message}`);
  note('the person picks: Allow once');
  return { action: 'accept', content: { decision: 'allow_once' } };
});
const approved = await asking.callTool({ name: 'echo', arguments: { message: `deploy key ${fakeToken()}` } });
if (String(approved.content?.[0]?.text ?? '').includes('deploy key')) ok('tools/call echo with a token, held until the person allowed it once; then forwarded');
else {
  console.log(`  ${paint(33, 'MISSED ')} the approved call did not come through`);
  process.exitCode = 1;
}
await asking.close();
console.log(paint(1, '\nEvery decision is also in the audit log (JSON lines on stderr, or logging.file).\n'));
