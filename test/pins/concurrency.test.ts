/**
 * Several processes update one store at the same moment (an agent starts all
 * its wrapped servers together): the lock and the re-read in `update` must
 * keep every process's pins.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { tempStoreDir } from './helpers.js';

const VITE_NODE = join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const STORE = resolve(ROOT, 'src', 'pins', 'store.ts');

const CHILD = `
import { existsSync, writeFileSync } from 'node:fs';
import { PinStore, emptyServerPins } from ${JSON.stringify(STORE)};
const [path, name, dir] = process.argv.slice(2);
writeFileSync(dir + '/ready-' + name, '');
while (!existsSync(dir + '/go')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
const store = new PinStore(path);
for (let i = 0; i < 25; i++) store.update((f) => void (f.servers[name + '-' + i] = emptyServerPins(new Date().toISOString())));
`;

let t: ReturnType<typeof tempStoreDir>;
beforeEach(() => {
  t = tempStoreDir();
});
afterEach(() => t.cleanup());

it('keeps every pin when four processes update the store at once', async () => {
  const script = join(t.dir, 'child.ts');
  writeFileSync(script, CHILD);
  const names = ['a', 'b', 'c', 'd'];
  const children = names.map((n) => spawn(process.execPath, [VITE_NODE, script, t.path, n, t.dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
  const stderr: string[] = names.map(() => '');
  children.forEach((c, i) => c.stderr.on('data', (d: Buffer) => (stderr[i] += d.toString())));
  const exited = children.map((c) => new Promise<number | null>((ok) => c.on('exit', ok)));
  const deadline = Date.now() + 30_000;
  while (!names.every((n) => existsSync(join(t.dir, `ready-${n}`))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  writeFileSync(join(t.dir, 'go'), '');
  expect(await Promise.all(exited), stderr.join('\n')).toEqual([0, 0, 0, 0]);
  const servers = Object.keys(JSON.parse(readFileSync(t.path, 'utf8')).servers);
  expect(servers).toHaveLength(100);
  expect(existsSync(`${t.path}.lock`)).toBe(false);
});
