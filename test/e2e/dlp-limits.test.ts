/**
 * Limits an attacker can use up (issue 9) and evasions of argument DLP
 * (issue 10 § 1), through the built CLI: `mcp-guard scan` on a transcript, or
 * the proxy in front of the evil fixture server with FIXTURE_LOG proving what
 * the server received. Every caught evasion must block, every cap must fail
 * closed, and no token body may appear in any output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/scan/validators.js';
import { EVIL, jsonLines, runCli, tempDir } from '../helpers.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const call = (id: number, name: string, args: object): object => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** Seeded base62 bodies (mulberry32), so runs are reproducible; none is a real credential. */
let seed = 0x9d1f;
function body(n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < n; i++) {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out += abc[((t ^ (t >>> 14)) >>> 0) % 62];
  }
  return out;
}
/** A GitHub classic PAT with a valid CRC32 (the `github-pat` rule), and its 30-character body. */
function githubToken(): { token: string; body: string } {
  const b = body(30);
  return { token: `ghp_${b}${base62(crc32(b), 6)}`, body: b };
}
/** Same shape, wrong checksum: the rule's regex matches, its validator rejects it. */
const decoy = (): string => `ghp_${body(30)}000000`;

interface Verdict {
  index: number;
  action: string;
  findings: Array<{ rule: string; category: string; path: string; transform?: string }>;
}

/** Replay client frames through `mcp-guard scan -` and return one verdict per frame. */
async function scan(messages: object[], config?: string): Promise<{ verdicts: Verdict[]; out: string }> {
  const args = ['scan', '-'];
  if (config !== undefined) args.push('-c', configFile(config));
  const r = await runCli(args, messages.map((m) => JSON.stringify({ from: 'client', message: m })).join('\n') + '\n');
  expect(r.code, r.stderr).not.toBe(2);
  return { verdicts: jsonLines(r.stdout) as unknown as Verdict[], out: r.stdout + r.stderr };
}

function configFile(text: string): string {
  const f = join(tempDir(), 'mcp-guard.yaml');
  writeFileSync(f, text);
  return f;
}

/** Run `mcp-guard proxy -c <config> -- evil-server` with frames on stdin; returns responses by id and what the server received. */
async function proxy(messages: object[], config: string): Promise<{ byId: Map<unknown, Record<string, unknown>>; received: string; out: string }> {
  const log = join(tempDir(), 'received.jsonl');
  const input = messages.map((m) => JSON.stringify(m)).join('\n') + '\n';
  const r = await runCli(['proxy', '-c', configFile(config), '--env', 'FIXTURE_LOG', '--', process.execPath, EVIL], input, { FIXTURE_LOG: log });
  let received = '';
  try {
    received = readFileSync(log, 'utf8');
  } catch {
    // Nothing arrived.
  }
  return { byId: new Map(jsonLines(r.stdout).map((m) => [m['id'], m])), received, out: r.stdout + r.stderr };
}

const rules = (v: Verdict | undefined): string[] => (v?.findings ?? []).map((f) => f.rule);

describe('item 1: hit caps fail closed', () => {
  it('a real token after 64 decoys (bad checksum) is still found', async () => {
    const real = githubToken();
    const text = [...Array.from({ length: 64 }, decoy), real.token].join(' ');
    const { verdicts, out } = await scan([call(2, 'x', { text })]);
    expect(verdicts[0]).toMatchObject({ action: 'block' });
    expect(rules(verdicts[0])).toContain('github-pat');
    expect(out).not.toContain(real.body);
  });

  it('more decoys than MAX_REJECTED_PER_RULE block the frame with scan-limit-hits', async () => {
    const text = Array.from({ length: 4100 }, decoy).join(' ');
    const { verdicts } = await scan([call(2, 'x', { text })]);
    expect(verdicts[0]).toMatchObject({ action: 'block', findings: [{ rule: 'scan-limit-hits', category: 'protocol', path: 'params.arguments.text' }] });
  });

  it('redact: the 17th copy of a token is redacted too; past the hit cap the call is blocked, never forwarded', async () => {
    const real = githubToken();
    const cfg = 'mcp_input_scanning:\n  action: redact\n';
    const { byId, received, out } = await proxy(
      [INIT, call(2, 'report_args', { text: Array(17).fill(real.token).join(' ') }), call(3, 'report_args', { text: Array(65).fill(real.token).join(' ') })],
      cfg,
    );
    expect(received).toContain('"id":2');
    expect(received).not.toContain('"id":3');
    expect(received).not.toContain(real.body);
    expect(out).not.toContain(real.body);
    const text = (byId.get(2) as { result: { structuredContent: { received: { text: string } } } }).result.structuredContent.received.text;
    expect(text.split('[REDACTED:github-pat]')).toHaveLength(18);
    expect(byId.get(3)).toMatchObject({ error: { code: -32001, data: { findings: expect.arrayContaining([{ rule: 'scan-limit-hits', category: 'protocol', path: 'params.arguments.text' }]) } } });
  });
});

describe('item 2: a placeholder word glued to a real token does not hide it', () => {
  it('sk_live_<random>placeholder, …EXAMPLE×3 and …xxxx×20 block; all-filler keys pass', async () => {
    const secrets = [body(24), body(24), body(30)];
    const frames = [
      call(2, 'x', { key: `sk_live_${secrets[0]}placeholder` }),
      call(3, 'x', { key: `sk_live_${secrets[1]}EXAMPLEEXAMPLEEXAMPLE` }),
      call(4, 'x', { key: `STRIPE_KEY=sk_live_${secrets[2]}${'x'.repeat(20)}` }),
      call(5, 'x', { key: 'sk_live_placeholderplaceholder1234' }),
      call(6, 'x', { key: `sk_live_${'x'.repeat(24)}` }),
      call(7, 'x', { key: 'sk_live_EXAMPLEEXAMPLEEXAMPLEKEY1' }),
    ];
    const { verdicts, out } = await scan(frames);
    expect(verdicts.map((v) => v.action)).toEqual(['block', 'block', 'block', 'allow', 'allow', 'allow']);
    for (const v of verdicts.slice(0, 3)) expect(rules(v)).toContain('stripe-secret-key');
    for (const s of secrets) expect(out).not.toContain(s);
  });
});

describe('item 3: decoders', () => {
  const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
  const rot13 = (s: string): string => s.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - (c <= 'Z' ? 65 : 97) + 13) % 26) + (c <= 'Z' ? 65 : 97)));
  const base32 = (s: string): string => {
    const abc = 'abcdefghijklmnopqrstuvwxyz234567';
    let bits = 0;
    let value = 0;
    let out = '';
    for (const byte of Buffer.from(s)) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += abc[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return bits > 0 ? out + abc[(value << (5 - bits)) & 31] : out;
  };

  it('finds a token under misaligned base64, after decoys, ROT13, reversal, octal, gzip+base64, base32 and 3 levels', async () => {
    const t = Array.from({ length: 9 }, githubToken);
    const tok = (i: number): string => (t[i] as { token: string }).token;
    const decoys = Array.from({ length: 40 }, (_, i) => b64(Buffer.from(Array.from({ length: 24 }, (_x, j) => (i * 31 + j * 97 + 128) & 0xff)))).join(' ');
    const { gzipSync } = await import('node:zlib');
    const frames = [
      call(2, 'x', { v: `ab${b64(`token ${tok(0)}`)}` }),
      call(3, 'x', { v: `${decoys} ${b64(`token ${tok(1)}`)}` }),
      call(4, 'x', { v: rot13(`export GITHUB_TOKEN=${tok(2)}`) }),
      call(5, 'x', { v: [...`token ${tok(3)}`].reverse().join('') }),
      call(6, 'x', { v: [...tok(4)].map((c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`).join('') }),
      call(7, 'x', { v: b64(gzipSync(`token ${tok(5)}`)) }),
      call(8, 'x', { v: base32(`token ${tok(6)}`) }),
      call(9, 'x', { v: [...b64(Buffer.from(`token ${tok(7)}`).toString('hex'))].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('') }),
    ];
    const { verdicts, out } = await scan(frames);
    verdicts.forEach((v, i) => {
      expect(v.action, `frame ${i + 2}`).toBe('block');
      expect(rules(v), `frame ${i + 2}`).toContain('github-pat');
    });
    expect(verdicts.map((v) => v.findings.find((f) => f.rule === 'github-pat')?.transform)).toEqual([
      'base64', 'base64', 'rot13', 'reversed', 'escape', 'base64+gzip', 'base32', 'url+base64+hex',
    ]);
    for (const x of t) expect(out).not.toContain(x.body);
  });

  it('a gzip bomb (over 1 MiB inflated) blocks with scan-limit-decode', async () => {
    const { gzipSync } = await import('node:zlib');
    const bomb = b64(gzipSync('a'.repeat(2 * 1024 * 1024)));
    const { verdicts } = await scan([call(2, 'x', { v: bomb })]);
    expect(verdicts[0]).toMatchObject({ action: 'block', findings: [{ rule: 'scan-limit-decode', category: 'protocol', path: 'params.arguments.v' }] });
  });
});

describe('item 4: the whole client frame is scanned, not just params', () => {
  it('a token in the request id, the method name, a top-level field or a params key blocks', async () => {
    const t = Array.from({ length: 4 }, githubToken);
    const tok = (i: number): string => (t[i] as { token: string }).token;
    const frames = [
      { jsonrpc: '2.0', id: `req-${tok(0)}`, method: 'tools/call', params: { name: 'x', arguments: {} } },
      { jsonrpc: '2.0', id: 3, method: `tools/call/${tok(1)}`, params: {} },
      { jsonrpc: '2.0', id: 4, method: 'ping', trace: `token ${tok(2)}` },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { [tok(3)]: 1 } },
    ];
    const { verdicts, out } = await scan(frames);
    expect(verdicts.map((v) => v.findings.find((f) => f.rule === 'github-pat')?.path)).toEqual(['id', 'method', 'trace', 'params']);
    expect(verdicts.map((v) => v.action)).toEqual(['block', 'block', 'block', 'block']);
    for (const x of t) expect(out).not.toContain(x.body);
  });

  it('redact mode: a token outside params is not rewritten in place; the call is blocked and never forwarded', async () => {
    const real = githubToken();
    const frame = { ...call(2, 'report_args', { text: 'hello' }), trace: `token ${real.token}` };
    const { byId, received, out } = await proxy([INIT, frame], 'mcp_input_scanning:\n  action: redact\n');
    expect(byId.get(2)).toMatchObject({ error: { code: -32001, data: { findings: [{ rule: 'github-pat', category: 'dlp', path: 'trace' }] } } });
    expect(received).not.toContain('"id":2');
    expect(out).not.toContain(real.body);
  });
});

describe('item 5: every leaf is scanned, and past the leaf cap the frame blocks', () => {
  it('a token after 20,000 array entries is found', async () => {
    const real = githubToken();
    const { verdicts, out } = await scan([call(2, 'x', { list: [...Array<string>(20_000).fill('x'), real.token] })]);
    expect(verdicts[0]).toMatchObject({ action: 'block', findings: [{ rule: 'github-pat', path: 'params.arguments.list[20000]' }] });
    expect(out).not.toContain(real.body);
  });

  it('more than MAX_LEAVES (100,000) strings block with scan-limit-leaves', async () => {
    const { verdicts } = await scan([call(2, 'x', { list: Array<string>(100_001).fill('x') })]);
    expect(verdicts[0]).toMatchObject({ action: 'block', findings: [{ rule: 'scan-limit-leaves', category: 'protocol', path: '' }] });
  });
});

describe('item 6: DLP rules also scan the normalised text', () => {
  it('blocks the zero-width-split AWS key pair from issue 10 (transcript line verbatim)', async () => {
    const line = String.raw`{"from":"client","message":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_command","arguments":{"command":"AWS_ACCESS_KEY_ID=AKIA\u200bM3OC\u200b23DL\u200b2B6E\u200bKADX AWS_SECRET_ACCESS_KEY=cRoT\u200bm3D+\u200bskhq\u200bR/J8\u200bmLeW\u200b/GFb\u200bxL+/\u200bXH9q\u200bfThA\u200bDm9y aws s3 ls"}}}}`;
    const r = await runCli(['scan', '-'], `${line}\n`);
    expect(r.code).toBe(1);
    const v = jsonLines(r.stdout)[0] as unknown as Verdict;
    expect(v.action).toBe('block');
    expect(v.findings).toEqual(
      expect.arrayContaining([
        { rule: 'aws-access-key-id', category: 'dlp', path: 'params.arguments.command', transform: 'normalized' },
        { rule: 'aws-secret-access-key', category: 'dlp', path: 'params.arguments.command', transform: 'normalized' },
      ]),
    );
    expect(r.stdout + r.stderr).not.toContain('skhq');
  });

  it('Cyrillic look-alikes, a soft hyphen and fullwidth letters in a token block, with transform normalized', async () => {
    const t = Array.from({ length: 3 }, githubToken);
    const tok = (i: number): string => (t[i] as { token: string }).token;
    const fullwidth = (s: string): string => [...s].map((c) => (/[!-~]/.test(c) ? String.fromCodePoint(c.charCodeAt(0) + 0xfee0) : c)).join('');
    const frames = [
      call(2, 'x', { v: `token ${tok(0).replace('ghp_', 'gh\u0440_')}` }),
      call(3, 'x', { v: `token ${tok(1).slice(0, 12)}\u00ad${tok(1).slice(12)}` }),
      call(4, 'x', { v: `token ${fullwidth(tok(2))}` }),
    ];
    const { verdicts, out } = await scan(frames);
    for (const v of verdicts) {
      expect(v.action).toBe('block');
      expect(v.findings).toContainEqual({ rule: 'github-pat', category: 'dlp', path: 'params.arguments.v', transform: 'normalized' });
    }
    for (const x of t) expect(out).not.toContain(x.body);
  });

  it('redact mode: a match only the normalised text shows has no exact span, so the call is blocked, never forwarded', async () => {
    const real = githubToken();
    const { byId, received } = await proxy([INIT, call(2, 'report_args', { text: `token ${real.token.replace('ghp_', 'gh\u0440_')}` })], 'mcp_input_scanning:\n  action: redact\n');
    expect(byId.get(2)).toMatchObject({ error: { code: -32001, data: { findings: [{ rule: 'github-pat', transform: 'normalized' }] } } });
    expect(received).not.toContain('"id":2');
  });
});

describe('documentation example keys warn, never block', () => {
  /** A random AWS access key id (AKIA + 16 base32), not a real one. */
  const awsKeyId = (): string => `AKIA${body(16).toUpperCase().replace(/[^A-Z2-7]/g, 'Q')}`;

  it('AWS’s AKIAIOSFODNN7EXAMPLE and Stripe’s published sk_test_4eC39HqLyjWDarjtT1zdp7dc: action warn, exit 0', async () => {
    const r = await runCli(
      ['scan', '-'],
      [
        call(2, 'run_command', { command: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws s3 ls' }),
        call(3, 'http', { header: 'Authorization: Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc' }),
        call(4, 'run_command', { command: 'export AWS_ACCESS_KEY_ID=AKIA\u200bIOSF\u200bODNN\u200b7EXAMPLE' }),
      ]
        .map((m) => JSON.stringify({ from: 'client', message: m }))
        .join('\n') + '\n',
    );
    expect(r.code, r.stderr).toBe(0);
    const [aws, stripe, hidden] = jsonLines(r.stdout) as unknown as Verdict[];
    expect(aws).toMatchObject({ action: 'warn', findings: [{ rule: 'aws-access-key-id', category: 'dlp', path: 'params.arguments.command', documented: true }] });
    expect(stripe?.action).toBe('warn');
    expect(stripe?.findings).toContainEqual(expect.objectContaining({ rule: 'stripe-secret-key', documented: true }));
    expect(stripe?.findings.every((f) => (f as { documented?: boolean }).documented === true)).toBe(true);
    expect(hidden).toMatchObject({ action: 'warn', findings: [{ rule: 'aws-access-key-id', documented: true, transform: 'normalized' }] });
  });

  it('a real key next to the documented one, or base64-encoded after it, still blocks', async () => {
    const real = awsKeyId();
    const { verdicts, out } = await scan([
      call(2, 'run_command', { command: `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE OTHER=${real}` }),
      call(3, 'run_command', { command: `AKIAIOSFODNN7EXAMPLE ${Buffer.from(`id=${real}`).toString('base64')}` }),
    ]);
    for (const v of verdicts) {
      expect(v.action).toBe('block');
      expect(v.findings).toContainEqual(expect.objectContaining({ rule: 'aws-access-key-id', category: 'dlp' }));
    }
    expect(out).not.toContain(real.slice(4));
  });
});
