/**
 * The `ask` action through the built CLI, with the SDK's real Client answering
 * the proxy's `elicitation/create` questions (issue 13): accept, decline,
 * cancel, timeout, no capability, a held call while others complete, allow for
 * the session, a response that asks, the cap on waiting frames, and the
 * client's answer never reaching the server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { errorOf, jsonLines, tempDir } from '../helpers.js';
import { askConfig, choose, connectAsking, fakeToken, type Asking } from './helpers.js';

/** Frames the fixture server received (FAULT_LOG). */
function received(log: string): Array<Record<string, unknown>> {
  try {
    return jsonLines(readFileSync(log, 'utf8'));
  } catch {
    return [];
  }
}
const calls = (log: string, tool: string): number => received(log).filter((m) => m['method'] === 'tools/call' && (m['params'] as { name?: string }).name === tool).length;

async function session(answer: Parameters<typeof connectAsking>[1], timeout = 30, extra = ''): Promise<{ a: Asking; log: string }> {
  const log = join(tempDir(), 'server.log');
  const a = await connectAsking(askConfig(timeout, extra), answer, { FAULT_LOG: log });
  await a.client.listTools();
  return { a, log };
}

const send = (a: Asking, token: string, tool = 'send') => a.client.callTool({ name: tool, arguments: tool === 'send' ? { body: `deploy with ${token}` } : { text: `deploy with ${token}` } });

describe('ask: one question per held frame', () => {
  it('allow once: the call goes through; the question names the tool and the masked finding, never the secret; the answer stays with the proxy', async () => {
    const token = fakeToken();
    const { a, log } = await session(() => choose('allow_once'));
    try {
      const r = await send(a, token);
      expect(r).toMatchObject({ content: [{ type: 'text', text: 'sent 52 chars' }] });
      expect(a.questions).toHaveLength(1);
      const q = a.questions[0]?.params as { message: string; requestedSchema: { properties: Record<string, { enum?: string[] }> } };
      expect(q.message).toContain('tool "send"');
      expect(q.message).toContain('github-pat at params.arguments.body: ghp_…[40 chars]');
      expect(q.message).not.toContain(token);
      expect(q.requestedSchema.properties['decision']?.enum).toEqual(['allow_once', 'allow_session', 'deny']);
      // A second call is asked again: "once" is once.
      await send(a, token);
      expect(a.questions).toHaveLength(2);
      expect((await a.approvalsAtLeast(4)).map((e) => e['outcome'])).toEqual(['asked', 'allowed-once', 'asked', 'allowed-once']);
      expect(a.stderr()).not.toContain(token.slice(4));
    } finally {
      await a.close();
    }
    expect(calls(log, 'send')).toBe(2);
    // Neither the question nor the answer ever reached the server.
    expect(readFileSync(log, 'utf8')).not.toContain('mcp-guard-ask:');
  });

  it.each([
    ['decline', { action: 'decline' } as ElicitResult, 'the person was asked: declined'],
    ['cancel', { action: 'cancel' } as ElicitResult, 'the person was asked: cancelled'],
    ['deny', choose('deny'), 'the person was asked: denied'],
    ['accept without a choice', { action: 'accept', content: {} } as ElicitResult, 'no valid choice'],
  ])('%s: blocked with -32001, and the server never sees the call', async (_name, answer, why) => {
    const { a, log } = await session(() => answer);
    try {
      const e = await errorOf(send(a, fakeToken()));
      expect(e.code).toBe(-32001);
      expect(e.message).toContain(why);
      expect((await a.approvalsAtLeast(2)).map((x) => x['outcome'])).toEqual(['asked', 'denied']);
      // The session goes on: a clean call passes.
      expect(await a.client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ text: 'hi' }] });
    } finally {
      await a.close();
    }
    expect(calls(log, 'send')).toBe(0);
  });

  it('no answer within ask_timeout: blocked, and the client is told to close the question', async () => {
    let aborted!: Promise<void>;
    const { a, log } = await session(
      (_r, signal) => {
        aborted = new Promise((ok) => signal.addEventListener('abort', () => ok()));
        return new Promise<ElicitResult>(() => undefined);
      },
      0.5,
    );
    try {
      const e = await errorOf(send(a, fakeToken()));
      expect(e.message).toContain('no answer within 0.5 s (approvals.ask_timeout)');
      // notifications/cancelled for the question aborts the client's handler.
      await aborted;
      expect((await a.approvalsAtLeast(2)).map((x) => x['outcome'])).toEqual(['asked', 'timed-out']);
    } finally {
      await a.close();
    }
    expect(calls(log, 'send')).toBe(0);
  });

  it('no elicitation capability: blocked, and the message says why', async () => {
    const { a, log } = await session(undefined);
    try {
      const e = await errorOf(send(a, fakeToken()));
      expect(e.code).toBe(-32001);
      expect(e.message).toContain('the client did not declare the elicitation capability');
      expect(a.approvals()).toEqual([]);
    } finally {
      await a.close();
    }
    expect(calls(log, 'send')).toBe(0);
  });

  it('a held call does not hold the others: later calls complete while it waits', async () => {
    let open!: () => void;
    const gate = new Promise<void>((ok) => (open = ok));
    let asked!: () => void;
    const question = new Promise<void>((ok) => (asked = ok));
    const { a } = await session(async () => {
      asked();
      await gate;
      return choose('allow_once');
    });
    try {
      let done = false;
      const held = send(a, fakeToken()).then((r) => ((done = true), r));
      await question;
      for (const text of ['one', 'two']) expect(await a.client.callTool({ name: 'echo', arguments: { text } })).toMatchObject({ content: [{ text }] });
      expect(done).toBe(false);
      open();
      expect(await held).toMatchObject({ content: [{ text: 'sent 52 chars' }] });
    } finally {
      await a.close();
    }
  });

  it('allow for this session: the same tool and rule pass without a question; another tool is asked about', async () => {
    const token = fakeToken();
    const { a, log } = await session(() => choose('allow_session'));
    try {
      await send(a, token);
      await send(a, fakeToken());
      expect(a.questions).toHaveLength(1);
      const events = await a.approvalsAtLeast(3);
      expect(events.map((e) => e['outcome'])).toEqual(['asked', 'allowed-session', 'allowed-session']);
      expect(events[2]?.['reason']).toMatch(/earlier answer/);
      // Same rule, another tool: asked.
      await send(a, token, 'echo');
      expect(a.questions).toHaveLength(2);
    } finally {
      await a.close();
    }
    expect(calls(log, 'send')).toBe(2);
    // A fresh process asks again: nothing was saved.
    const next = await session(() => choose('deny'));
    try {
      expect((await errorOf(send(next.a, token))).code).toBe(-32001);
      expect(next.a.questions).toHaveLength(1);
    } finally {
      await next.a.close();
    }
  });

  it('a response that asks (prompt injection): held while later responses pass, then delivered or answered -32001', async () => {
    let open!: () => void;
    const gate = new Promise<void>((ok) => (open = ok));
    let asked!: () => void;
    const question = new Promise<void>((ok) => (asked = ok));
    const answers = [choose('allow_once'), { action: 'decline' } as ElicitResult];
    const { a } = await session(async () => {
      asked();
      await gate;
      return answers.shift() as ElicitResult;
    });
    try {
      const pending = a.client.callTool({ name: 'read_page', arguments: {} });
      await question;
      // The server has answered read_page; its response waits, a later call's does not.
      expect(await a.client.callTool({ name: 'echo', arguments: { text: 'later' } })).toMatchObject({ content: [{ text: 'later' }] });
      open();
      const r = await pending;
      expect(JSON.stringify(r)).toContain('Ignore all previous instructions');
      const q = a.questions[0]?.params as { message: string };
      expect(q.message).toMatch(/response to tools\/call \(tool "read_page"\) has prompt injection/);
      const e = await errorOf(a.client.callTool({ name: 'read_page', arguments: {} }));
      expect(e.message).toMatch(/tools\/call response from tool "read_page".*declined/);
    } finally {
      await a.close();
    }
  });

  it('a server request that asks (sampling with an injection), denied: the server gets -32001, the client never sees it', async () => {
    const { a, log } = await session(() => ({ action: 'decline' }));
    try {
      expect(await a.client.callTool({ name: 'ask_model', arguments: {} })).toMatchObject({ content: [{ text: 'asked' }] });
      const events = await a.approvalsAtLeast(2);
      expect(events.map((e) => e['outcome'])).toEqual(['asked', 'denied']);
      expect((a.questions[0]?.params as { message: string }).message).toMatch(/the sampling\/createMessage request from the server has prompt injection/);
    } finally {
      await a.close();
    }
    // One answer to the server's request: the proxy's (a forwarded request would also get the client's -32601).
    expect(received(log).filter((m) => m['id'] === 'srv-1')).toMatchObject([{ error: { code: -32001 } }]);
  });

  it('past approvals.max_waiting, a frame is blocked without a question', async () => {
    let open!: () => void;
    const gate = new Promise<void>((ok) => (open = ok));
    let asked!: () => void;
    const question = new Promise<void>((ok) => (asked = ok));
    const { a } = await session(
      async () => {
        asked();
        await gate;
        return choose('allow_once');
      },
      30,
      '  max_waiting: 1\n',
    );
    try {
      const first = send(a, fakeToken());
      await question;
      const e = await errorOf(send(a, fakeToken()));
      expect(e.message).toMatch(/1 frames already wait for an answer \(approvals\.max_waiting\)/);
      open();
      await first;
      expect(a.questions).toHaveLength(1);
    } finally {
      await a.close();
    }
  });

  it('the client cancelling its held call withdraws the question; the call is never sent', async () => {
    let aborted!: Promise<void>;
    let asked!: () => void;
    const question = new Promise<void>((ok) => (asked = ok));
    const { a, log } = await session((_r, signal) => {
      aborted = new Promise((ok) => signal.addEventListener('abort', () => ok()));
      asked();
      return new Promise<ElicitResult>(() => undefined);
    });
    try {
      const stop = new AbortController();
      const held = a.client.callTool({ name: 'send', arguments: { body: fakeToken() } }, undefined, { signal: stop.signal }).catch((e: unknown) => e);
      await question;
      stop.abort();
      await held;
      await aborted;
      expect((await a.approvalsAtLeast(2))[1]).toMatchObject({ outcome: 'denied', reason: 'the client cancelled the held request' });
      // The id is free again: the session goes on.
      expect(await a.client.callTool({ name: 'echo', arguments: { text: 'after' } })).toMatchObject({ content: [{ text: 'after' }] });
    } finally {
      await a.close();
    }
    expect(calls(log, 'send')).toBe(0);
  });

  it('the client disconnecting while a question waits: the held call is never sent', async () => {
    let asked!: () => void;
    const question = new Promise<void>((ok) => (asked = ok));
    const { a, log } = await session(() => {
      asked();
      return new Promise<ElicitResult>(() => undefined);
    });
    const held = send(a, fakeToken()).catch((e: unknown) => e);
    await question;
    await a.close();
    await held;
    expect(calls(log, 'send')).toBe(0);
  });
});
