/**
 * Surfaces a field-by-field scanner misses (issue 9, "What the proxy does not
 * scan yet"): schema extension keys, `$defs` names, `required` entries,
 * annotations, `_meta`, deep nesting of tool definitions; embedded blobs,
 * `structuredContent` keys, progress / task / cancellation messages and
 * untyped resource blobs. The SDK's real Client talks through the built CLI
 * to test/fixtures/hidden-surface-server.js; each poisoned item is blocked or
 * filtered and its benign twin arrives unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallToolResultSchema, CancelledNotificationSchema, GetTaskResultSchema, ListTasksResultSchema, ListToolsResultSchema,
  McpError, ProgressNotificationSchema, ResourceUpdatedNotificationSchema, TaskStatusNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { base62, crc32 } from '../../src/scan/validators.js';
import { ROOT, connectProxied, type Proxied } from '../helpers.js';
import { BENIGN, BENIGN_TOOLS, CALL_RESULTS, RESOURCES, TOOL_PAIRS, callResult, listedTools } from '../fixtures/hidden-surfaces.js';

const SERVER = `${ROOT}/test/fixtures/hidden-surface-server.js`;
// A GitHub-format token with a valid checksum over a fixed body: not a real credential.
const body = 'Hd7Qm2Vx9Lp4Rt6Yz1Nc8Bw3Kf5Gj0';
const TOKEN = `ghp_${body}${base62(crc32(body), 6)}`;

let proxied: Proxied;
let tools: unknown[];
let names: string[];

beforeAll(async () => {
  proxied = await connectProxied([SERVER], ['--name', 'hidden', '--env', 'FIXTURE_TOKEN'], { FIXTURE_TOKEN: TOKEN });
  // Calls need a tool the client was shown (session binding), so list first.
  ({ tools } = await proxied.client.listTools());
  names = (tools as Array<{ name: string }>).map((t) => t.name);
});

afterAll(async () => {
  await proxied?.close();
});

/** The -32001 error a blocked request gets, with its finding categories. */
async function blocked(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof McpError && e.code === -32001) return (e.data as { findings: Array<{ category: string }> }).findings.map((f) => f.category);
    throw e;
  }
  throw new Error('expected the request to be blocked');
}

describe('tools/list: every string of a tool definition is scanned', () => {
  it.each(Object.keys(TOOL_PAIRS))('filters the tool with an injection in %s; its benign twin passes', (name) => {
    expect(names).not.toContain(name);
    expect(names).toContain(`${name}_ok`);
  });

  it('filters a tool nested deeper than the depth cap (tool-too-deep), passes a nested benign one', () => {
    expect(names).not.toContain('too_deep');
    expect(names).toContain('too_deep_ok');
    const at = listedTools().findIndex((t) => t.name === 'too_deep');
    expect(proxied.stderr()).toContain(`"rule":"tool-too-deep","category":"tool-poisoning","severity":"high","path":"result.tools[${at}]"`);
  });

  it('blocks a page with a tool nested 20,000 levels deep as frame-too-deep, before any walk or re-serialisation recurses', async () => {
    // Nesting past the frame cap (MAX_FRAME_DEPTH, 128) refuses the whole frame; between the tool cap (64) and it, only the tool is filtered (above).
    const e = await proxied.client.listTools({ cursor: 'hostile' }).then(
      () => undefined,
      (err: unknown) => err as { code?: number; message?: string },
    );
    expect(e?.code).toBe(-32001);
    expect(e?.message).toMatch(/frame-too-deep/);
  });

  it('passes exactly the benign tools, unchanged', () => {
    const sent = listedTools().filter((t) => BENIGN_TOOLS.includes(t.name));
    expect(tools).toEqual(ListToolsResultSchema.parse({ tools: sent }).tools);
  });
});

describe('tool results: embedded blobs, image data and structuredContent keys', () => {
  it.each(Object.keys(CALL_RESULTS))('blocks an injection in %s; its benign twin passes unchanged', async (name) => {
    expect(await blocked(proxied.client.callTool({ name, arguments: {} }))).toContain('injection');
    const ok = await proxied.client.callTool({ name: `${name}_ok`, arguments: {} });
    expect(ok).toEqual(CallToolResultSchema.parse(callResult(`${name}_ok`)));
  });
});

describe('credentials where redaction cannot rewrite them in place', () => {
  it.each(['secret_key', 'secret_image'])('%s: a token in a structuredContent key or in image data is blocked (dlp), never forwarded', async (name) => {
    expect(await blocked(proxied.client.callTool({ name, arguments: {} }))).toContain('dlp');
    const leak = proxied.stderr().indexOf(body);
    expect(leak === -1 ? '' : proxied.stderr().slice(Math.max(0, leak - 400), leak + 60).replaceAll(body, '<BODY>')).toBe('');
  });
});

describe('notifications: progress, task status, cancellation, resource updates', () => {
  const seen = { progress: [] as unknown[], statuses: [] as unknown[], reasons: [] as unknown[], uris: [] as unknown[] };
  beforeAll(async () => {
    proxied.client.setNotificationHandler(TaskStatusNotificationSchema, (n) => void seen.statuses.push(n.params.statusMessage));
    proxied.client.setNotificationHandler(CancelledNotificationSchema, (n) => void seen.reasons.push(n.params.reason));
    proxied.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.uris.push(n.params.uri));
    // Progress is observed as the notification itself, not through `onprogress`: the SDK dispatches
    // notifications a microtask late but drops a call's progress handler as soon as its result is
    // read, so when a loaded machine delivers progress and result in one chunk, `onprogress` never
    // fires, whatever the proxy did. The token is set by hand since no `onprogress` is given.
    proxied.client.setNotificationHandler(ProgressNotificationSchema, (n) => void seen.progress.push(n.params.message));
    // The server sends each notification (poisoned, then benign) before this call's result, on the
    // same stream, so every forwarded one has arrived once the call resolves.
    const r = await proxied.client.callTool({ name: 'notify', arguments: {}, _meta: { progressToken: 7 } });
    expect(r.content).toEqual([{ type: 'text', text: 'notified' }]);
  });

  it('drops a notifications/progress whose message carries an injection; passes the benign one', () => {
    expect(seen.progress).toEqual(['Step 2 of 2.']);
  });

  it('drops a notifications/tasks/status whose statusMessage carries an injection; passes the benign one', () => {
    expect(seen.statuses).toEqual(['Working on it.']);
  });

  it('drops a notifications/cancelled whose reason carries an injection; passes the benign one', () => {
    expect(seen.reasons).toEqual(['Timed out.']);
  });

  it('drops a notifications/resources/updated whose uri carries an injection; passes the benign one', () => {
    expect(seen.uris).toEqual(['file:///notes.txt']);
  });
});

describe('tasks: statusMessage in tasks/get and tasks/list results', () => {
  it('blocks tasks/get with an injected statusMessage; a benign one passes', async () => {
    expect(await blocked(proxied.client.request({ method: 'tasks/get', params: { taskId: 't-bad' } }, GetTaskResultSchema))).toContain('injection');
    expect(await proxied.client.request({ method: 'tasks/get', params: { taskId: 't-ok' } }, GetTaskResultSchema)).toMatchObject({ statusMessage: 'Working on it.' });
  });

  it('blocks tasks/list when one task has an injected statusMessage; a benign list passes', async () => {
    expect(await blocked(proxied.client.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema))).toContain('injection');
    const ok = await proxied.client.request({ method: 'tasks/list', params: { cursor: 'ok' } }, ListTasksResultSchema);
    expect(ok.tasks.map((t) => t.statusMessage)).toEqual(['Working on it.']);
  });
});

describe('resources/read: blobs without a recognised MIME type', () => {
  it.each(['file:///no-mime.bin', 'file:///custom.dat'])('blocks a UTF-8 blob carrying an injection at %s; its benign twin passes unchanged', async (uri) => {
    expect(await blocked(proxied.client.readResource({ uri }))).toContain('injection');
    const twin = uri.replace(/(\.\w+)$/, '-ok$1');
    const ok = await proxied.client.readResource({ uri: twin });
    expect(ok.contents).toEqual([{ uri: twin, ...RESOURCES[twin] }]);
    expect(Buffer.from((ok.contents[0] as { blob: string }).blob, 'base64').toString('utf8')).toBe(BENIGN);
  });

  it('passes a binary (not UTF-8) blob without a MIME type untouched', async () => {
    const ok = await proxied.client.readResource({ uri: 'file:///raw.bin' });
    expect(ok.contents).toEqual([{ uri: 'file:///raw.bin', ...RESOURCES['file:///raw.bin'] }]);
  });
});
