/**
 * `proxy --upstream URL` in front of the real server-everything in its Streamable HTTP
 * and its legacy SSE modes: the SDK Client over stdio through the built CLI gets
 * exactly what a direct connection gets, for every tool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, ROOT } from '../helpers.js';
import { connectStdioProxy, proxyEnv, startEverything, type Spawned } from './helpers.js';

/** Arguments per tool; tools not named here get none. */
const ARGS: Record<string, Record<string, unknown>> = {
  echo: { message: 'héllo — 你好 🚀 "quoted"' },
  'get-sum': { a: 2, b: 40 },
  'get-annotated-message': { messageType: 'success', includeImage: true },
  'get-resource-reference': { resourceType: 'Text', resourceId: 3 },
  'get-resource-links': { count: 3 },
  'trigger-long-running-operation': { duration: 0.2, steps: 2 },
  'gzip-file-as-resource': { name: 'hello.txt.gz', data: 'data:text/plain;base64,aGVsbG8gd29ybGQ=', outputType: 'resource' },
};
/** Task-based (needs the client's tasks capability); covered by the listing. */
const SKIP = new Set(['simulate-research-query']);

/**
 * Session ids differ between the two connections, and dynamic resources say when they were made
 * ("created at 3:28:53 AM", in text and in base64 blobs): everything else must not differ.
 */
function sameShape(value: unknown): unknown {
  const clean = (t: string): string => t.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>').replace(/created at [0-9:]+(?:\s?[AP]M)?/g, 'created at <time>');
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => (typeof v !== 'string' ? v : key === 'blob' ? clean(Buffer.from(v, 'base64').toString('utf8')) : clean(v)));
}

describe.each([
  ['streamableHttp', (url: string) => new StreamableHTTPClientTransport(new URL(url))],
  ['sse', (url: string) => new SSEClientTransport(new URL(url))],
] as const)('server-everything %s behind --upstream', (mode, direct) => {
  let server: Spawned;
  let bare: Client;
  let proxied: Awaited<ReturnType<typeof connectStdioProxy>>;

  beforeAll(async () => {
    server = await startEverything(mode);
    bare = new Client({ name: 'mcp-guard-test', version: '1.0.0' });
    await bare.connect(direct(server.url));
    proxied = await connectStdioProxy(['--name', `everything-${mode}`, '--upstream', server.url]);
  });

  afterAll(async () => {
    await proxied?.close();
    await bare?.close();
    await server?.stop();
  });

  it('lists the same tools, resources and prompts', async () => {
    const tools = await proxied.client.listTools();
    expect(tools.tools.length).toBeGreaterThan(8);
    expect(tools).toEqual(await bare.listTools());
    expect(await proxied.client.listResources()).toEqual(await bare.listResources());
    expect(await proxied.client.listPrompts()).toEqual(await bare.listPrompts());
  });

  it('every tool gives the same result as a direct connection', async () => {
    const { tools } = await bare.listTools();
    let called = 0;
    for (const tool of tools) {
      if (SKIP.has(tool.name)) continue;
      const args = ARGS[tool.name] ?? {};
      const through = await proxied.client.callTool({ name: tool.name, arguments: args });
      const straight = await bare.callTool({ name: tool.name, arguments: args });
      expect(sameShape(through), tool.name).toEqual(sameShape(straight));
      called++;
    }
    expect(called).toBeGreaterThanOrEqual(tools.length - SKIP.size);
    expect(proxied.stderr()).not.toMatch(/"level":50/);
  });

  it('passes progress notifications on', async () => {
    const seen: number[] = [];
    const res = await proxied.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    // The SDK's stdio client may settle the response before it handles a notification read in the same
    // chunk (it did so here for the last step, with the proxy's output in order), so the last one may be missed.
    expect(seen.slice(0, 2)).toEqual([1, 2]);
    expect(JSON.stringify(res)).toContain('completed');
  });

  it('a server-initiated request (sampling) reaches the client and its answer gets back', async () => {
    const client = new Client({ name: 'sampler', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      model: 'test-model-7',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: `sampled: ${JSON.stringify(req.params.messages[0]?.content)}` },
    }));
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'proxy', '--upstream', server.url], env: proxyEnv(), stderr: 'ignore', cwd: ROOT }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('trigger-sampling-request');
      const res = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello there', maxTokens: 5 } });
      expect(JSON.stringify(res)).toContain('test-model-7');
      expect(JSON.stringify(res)).toContain('hello there');
    } finally {
      await client.close();
    }
  });
});
