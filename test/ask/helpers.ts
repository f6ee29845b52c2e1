/** Helpers for the `ask` tests: the SDK's real Client, with or without the elicitation capability, through the built CLI. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { base62, crc32 } from '../../src/scan/validators.js';
import { BIN, ROOT, jsonLines, tempDir } from '../helpers.js';

export const ASK_SERVER = join(ROOT, 'test', 'fixtures', 'ask-server.js');

/** Every scanner asks; questions wait `timeout` seconds. */
export function askConfig(timeout = 30, extra = ''): string {
  const file = join(tempDir(), 'mcp-guard.yaml');
  writeFileSync(
    file,
    `mcp_input_scanning:\n  action: ask\nresponse_scanning:\n  action: ask\nmcp_tool_scanning:\n  action: ask\n  new_tool_admission: ask\napprovals:\n  ask_timeout: ${timeout}\n${extra}`,
  );
  return file;
}

/** A GitHub classic PAT with a valid CRC32 checksum over a random body (not a real credential). */
export function fakeToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 30; i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `ghp_${body}${base62(crc32(body), 6)}`;
}

/** Answers the proxy's questions; undefined: the client does not declare elicitation. */
export type Answerer = (request: ElicitRequest, signal: AbortSignal) => Promise<ElicitResult> | ElicitResult;

export interface Asking {
  readonly client: Client;
  /** The questions the client was asked, in order. */
  readonly questions: ElicitRequest[];
  stderr(): string;
  /** The audit log's `approval` events. */
  approvals(): Array<Record<string, unknown>>;
  /** The `approval` events once there are at least `n` (stderr may lag behind stdout; gives up after 10 s). */
  approvalsAtLeast(n: number): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/**
 * `mcp-guard proxy -c <config> --name ask -- node ask-server.js`, with a real SDK Client.
 * @param env merged over PATH, HOME and a fresh XDG_STATE_HOME (pass one to share pins)
 */
export async function connectAsking(config: string, answer: Answerer | undefined, env: Record<string, string> = {}): Promise<Asking> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', '-c', config, '--name', 'ask', '--env', 'ASK_VARIANT', '--env', 'FAULT_LOG', '--', process.execPath, ASK_SERVER],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), ...env },
    stderr: 'pipe',
    cwd: ROOT,
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const client = new Client({ name: 'ask-test', version: '1.0.0' }, answer !== undefined ? { capabilities: { elicitation: {} } } : {});
  const questions: ElicitRequest[] = [];
  if (answer !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      questions.push(request);
      return answer(request, extra.signal);
    });
  }
  await client.connect(transport);
  const events = (): Array<Record<string, unknown>> => jsonLines(err.split('\n').filter((l) => l.startsWith('{')).join('\n'));
  return {
    client,
    questions,
    stderr: () => err,
    approvals: () => events().filter((e) => e['event'] === 'approval'),
    approvalsAtLeast: async (n) => {
      for (let i = 0; i < 500; i++) {
        const found = events().filter((e) => e['event'] === 'approval');
        if (found.length >= n) return found;
        await new Promise((ok) => setTimeout(ok, 20));
      }
      return events().filter((e) => e['event'] === 'approval');
    },
    close: () => client.close(),
  };
}

/** An answer choosing `decision`. */
export const choose = (decision: 'allow_once' | 'allow_session' | 'deny'): ElicitResult => ({ action: 'accept', content: { decision } });
