/**
 * End to end: the SDK's real Client → built `mcp-guard proxy` → real
 * @modelcontextprotocol/server-everything. Everything must work as without the proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { connectProxied, EVERYTHING, ROOT, type Proxied } from '../helpers.js';

let proxied: Proxied;
let bare: Client;

beforeAll(async () => {
  proxied = await connectProxied([EVERYTHING, 'stdio']);
  bare = new Client({ name: 'bare', version: '1.0.0' });
  await bare.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], cwd: ROOT, stderr: 'ignore' }));
});

afterAll(async () => {
  await proxied?.close();
  await bare?.close();
});

describe('server-everything through mcp-guard', () => {
  it('lists every tool exactly as the bare server does', async () => {
    const direct = await bare.listTools();
    const through = await proxied.client.listTools();
    expect(direct.tools.length).toBeGreaterThan(5);
    expect(through.tools).toEqual(direct.tools);
  });

  it('round-trips echo exactly, including non-ASCII text', async () => {
    const message = 'héllo wörld — 你好 🚀 "quoted" \\ back\\slash';
    const res = await proxied.client.callTool({ name: 'echo', arguments: { message } });
    expect(res).toEqual(await bare.callTool({ name: 'echo', arguments: { message } }));
    expect(JSON.stringify(res.content)).toContain(JSON.stringify(`Echo: ${message}`).slice(1, -1));
  });

  it('passes get-structured-content results unchanged', async () => {
    const args = { location: 'New York' };
    const through = await proxied.client.callTool({ name: 'get-structured-content', arguments: args });
    expect(through.structuredContent).toBeDefined();
    expect(through).toEqual(await bare.callTool({ name: 'get-structured-content', arguments: args }));
  });

  it('serves resources and prompts', async () => {
    const resources = await proxied.client.listResources();
    expect(resources.resources).toEqual((await bare.listResources()).resources);
    const first = resources.resources[0];
    expect(first).toBeDefined();
    const read = await proxied.client.readResource({ uri: first!.uri });
    expect(read).toEqual(await bare.readResource({ uri: first!.uri }));
    const prompts = await proxied.client.listPrompts();
    expect(prompts.prompts.length).toBeGreaterThan(0);
    expect(prompts.prompts).toEqual((await bare.listPrompts()).prompts);
    const simple = prompts.prompts.find((p) => (p.arguments ?? []).every((a) => !a.required));
    expect(simple).toBeDefined();
    expect(await proxied.client.getPrompt({ name: simple!.name })).toEqual(await bare.getPrompt({ name: simple!.name }));
  });
});
