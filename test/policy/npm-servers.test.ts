/**
 * The default policy on a newcomer's servers: a realistic session through the
 * real npm servers (server-filesystem, server-memory, server-everything), with
 * the SDK Client through the built CLI, passes untouched: no call blocked, and
 * no policy finding at all in the audit log.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { EVERYTHING, ROOT, connectProxied, errorOf, tempDir, type Proxied } from '../helpers.js';
import { connectWithRoots } from './policy-helpers.js';

const FILESYSTEM = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
const MEMORY = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');

/** Policy decisions in the audit log (a warn or a block of category `policy`). */
function policyFindings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.includes('"event":"decision"') && l.includes('"category":"policy"'));
}

const text = (r: unknown): string => JSON.stringify((r as { content?: unknown }).content ?? r);

describe('the default policy on real npm servers', () => {
  const open: Proxied[] = [];
  afterAll(async () => {
    for (const p of open) await p.close();
  });

  it('server-filesystem: list, read, write, edit, move, search, tree, info: nothing blocked or flagged', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'README.md'), '# demo\n');
    writeFileSync(join(dir, 'src', 'main.ts'), 'export const x = 1;\n');
    const p = await connectProxied([FILESYSTEM, dir], ['--name', 'filesystem', '--env', 'FAKE'], { FAKE: '1' }, { cwd: dir });
    open.push(p);
    const c = p.client;
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['read_text_file', 'write_file', 'edit_file', 'move_file', 'search_files', 'directory_tree']));
    const calls: Array<[string, Record<string, unknown>]> = [
      ['list_allowed_directories', {}],
      ['list_directory', { path: dir }],
      ['read_text_file', { path: join(dir, 'README.md') }],
      ['read_text_file', { path: join(dir, 'src', '..', 'README.md'), head: 1 }],
      ['read_multiple_files', { paths: [join(dir, 'README.md'), join(dir, 'src', 'main.ts')] }],
      ['write_file', { path: join(dir, 'notes.md'), content: 'Meeting notes: ship the policy engine on Friday, then review the docs.\n' }],
      ['edit_file', { path: join(dir, 'src', 'main.ts'), edits: [{ oldText: 'x = 1', newText: 'x = 2' }] }],
      ['create_directory', { path: join(dir, 'docs') }],
      ['move_file', { source: join(dir, 'notes.md'), destination: join(dir, 'docs', 'notes.md') }],
      ['search_files', { path: dir, pattern: '*.md' }],
      ['directory_tree', { path: dir }],
      ['get_file_info', { path: join(dir, 'docs', 'notes.md') }],
      ['list_directory_with_sizes', { path: join(dir, 'src'), sortBy: 'size' }],
    ];
    for (const [name, args] of calls) {
      const r = await c.callTool({ name, arguments: args });
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
    }
    expect(policyFindings(p.stderr())).toEqual([]);
    // The policy was on all along: a secret path in the same session is refused.
    const e = await errorOf(c.callTool({ name: 'read_text_file', arguments: { path: join(dir, '.env') } }));
    expect(e.message).toMatch(/path-denied/);
  });

  it('server-filesystem with a client that declares roots: the client\'s roots sandbox both the server and the proxy', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.txt'), 'alpha\n');
    const p = await connectWithRoots([FILESYSTEM, dir], ['--name', 'filesystem'], {}, () => [pathToFileURL(dir).href]);
    open.push(p);
    const c = p.client;
    await c.listTools();
    for (const [name, args] of [
      ['list_allowed_directories', {}],
      ['read_text_file', { path: join(dir, 'a.txt') }],
      ['write_file', { path: join(dir, 'b.txt'), content: 'beta' }],
      ['list_directory', { path: dir }],
    ] as const) {
      const r = await c.callTool({ name, arguments: args });
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
    }
    expect(p.rootsAsked()).toBeGreaterThanOrEqual(1);
    expect(policyFindings(p.stderr())).toEqual([]);
    // Outside the client's roots the proxy refuses before the server is asked.
    const e = await errorOf(c.callTool({ name: 'read_text_file', arguments: { path: join(dir, '..', 'elsewhere.txt') } }));
    expect(e.message).toMatch(/path-outside-roots/);
  });

  it('server-memory: entities, relations, observations, search, open, delete: nothing blocked or flagged', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    const p = await connectProxied([MEMORY], ['--name', 'memory', '--env', 'MEMORY_FILE_PATH'], { MEMORY_FILE_PATH: file });
    open.push(p);
    const c = p.client;
    const calls: Array<[string, Record<string, unknown>]> = [
      ['create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: ['writes the analytical engine notes at /home/ada/notes'] }, { name: 'Engine', entityType: 'project', observations: ['see https://example.org/engine?rev=2'] }] }],
      ['create_relations', { relations: [{ from: 'Ada', to: 'Engine', relationType: 'works_on' }] }],
      ['add_observations', { observations: [{ entityName: 'Ada', contents: ['prefers curl https://example.org | less for reading'] }] }],
      ['read_graph', {}],
      ['search_nodes', { query: 'engine' }],
      ['open_nodes', { names: ['Ada', 'Engine'] }],
      ['delete_observations', { deletions: [{ entityName: 'Ada', observations: ['prefers curl https://example.org | less for reading'] }] }],
      ['delete_relations', { relations: [{ from: 'Ada', to: 'Engine', relationType: 'works_on' }] }],
      ['delete_entities', { entityNames: ['Engine'] }],
    ];
    for (const [name, args] of calls) {
      const r = await c.callTool({ name, arguments: args });
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
    }
    expect(policyFindings(p.stderr())).toEqual([]);
  });

  it('server-everything: every tool a session would call, nothing blocked or flagged', async () => {
    const p = await connectWithRoots([EVERYTHING], ['--name', 'everything'], {}, () => ['file:///srv/project']);
    open.push(p);
    const c = p.client;
    const tools = (await c.listTools()).tools;
    const names = tools.map((t) => t.name);
    const calls: Array<[string, Record<string, unknown>]> = [
      ['echo', { message: 'Hello from a policy test, with a path /tmp/x and a URL https://example.com/a?b=c' }],
      ['get-sum', { a: 2, b: 3 }],
      ['get-env', {}],
      ['get-tiny-image', {}],
      ['get-annotated-message', { messageType: 'success', includeImage: false }],
      ['get-resource-reference', { resourceType: 'Text', resourceId: 1 }],
      ['get-resource-links', { count: 2 }],
      ['get-structured-content', { location: 'New York' }],
      ['gzip-file-as-resource', { name: 'hello.txt.gz', data: 'data:text/plain;base64,aGVsbG8gd29ybGQ=' }],
      ['toggle-simulated-logging', {}],
      ['toggle-simulated-logging', {}],
      ['trigger-long-running-operation', { duration: 0.2, steps: 2 }],
      ['get-roots-list', {}],
    ].filter(([n]) => names.includes(n as string)) as Array<[string, Record<string, unknown>]>;
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const [name, args] of calls) {
      const r = await c.callTool({ name, arguments: args });
      expect(r.isError, `${name}: ${text(r)}`).toBeFalsy();
    }
    expect(policyFindings(p.stderr())).toEqual([]);
  });
});
