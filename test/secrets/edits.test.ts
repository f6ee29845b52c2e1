/**
 * The pure parts of moving secrets: finding an env value's literal in each way
 * a config can write it, rewriting the proxy's `--env`, the record tokens, and
 * the stderr masker at chunk boundaries.
 */
import { describe, expect, it } from 'vitest';
import { envLiteral, scrubRecord, secretReferences, secretToken, unscrubRecord, withSecretEnvArgs } from '../../src/clients/move-secrets.js';
import { MaskingWriter, MAX_PENDING } from '../../src/secrets/stderr-mask.js';
import { parseEnvSpecs } from '../../src/proxy/env.js';
import type { SetupRecord } from '../../src/clients/state.js';

const V = 'Zq4Lr8Xw2Nv6Tb1Hy9Kd3Mf7Pc5Gs0Ja';
const container = { path: ['mcp_servers'], scope: 'user' as const };
const span = (text: string, format: 'json' | 'toml', c = container): string | undefined => {
  const s = envLiteral(text, format, c, 'gh', 'TOKEN', V);
  return s === undefined ? undefined : text.slice(s.start, s.end);
};

describe('envLiteral', () => {
  it('finds the value in TOML inline tables, dotted keys, env tables and literal strings', () => {
    expect(span(`[mcp_servers.gh]\ncommand = "x"\nenv = { OTHER = "a", "TOKEN" = "${V}" }\n`, 'toml')).toBe(`"${V}"`);
    expect(span(`[mcp_servers.gh]\ncommand = "x"\nenv.TOKEN = '${V}'\n`, 'toml')).toBe(`'${V}'`);
    expect(span(`[mcp_servers.gh]\ncommand = "x"\n\n[mcp_servers.gh.env]\nTOKEN = "${V}"\n\n[mcp_servers.other]\nTOKEN = "y"\n`, 'toml')).toBe(`"${V}"`);
    // Another server's TOKEN is not this one's.
    expect(span(`[mcp_servers.other]\nenv = { TOKEN = "${V}" }\n[mcp_servers.gh]\ncommand = "x"\n`, 'toml')).toBeUndefined();
  });

  it('finds it in JSON, and refuses literals that are not the value byte for byte', () => {
    const json = (lit: string): string => `{"mcpServers": {"gh": {"command": "x", "env": {"TOKEN": ${lit}}}}}`;
    const c = { path: ['mcpServers'], scope: 'user' as const };
    expect(span(json(`"${V}"`), 'json', c)).toBe(`"${V}"`);
    // An escaped character: the text is not the value, so it is not edited.
    expect(span(json(`"\\u005a${V.slice(1)}"`), 'json', c)).toBeUndefined();
    expect(span(`[mcp_servers.gh]\nenv = { TOKEN = """${V}""" }\n`, 'toml')).toBeUndefined();
  });
});

describe('the proxy arguments', () => {
  const args = ['/bin/mcp-guard.js', 'proxy', '--name', 'gh', '--env', 'TOKEN', '--env=OTHER', '--', 'node', '--env', 'TOKEN'];
  it('turn --env NAME into --env NAME=secret:STORE before the --, and only there', () => {
    const out = withSecretEnvArgs(args, [{ variable: 'TOKEN', store: 'c/gh/TOKEN' }, { variable: 'OTHER', store: 'c/gh/OTHER' }, { variable: 'NEW', store: 'c/gh/NEW' }]);
    expect(out).toEqual(['/bin/mcp-guard.js', 'proxy', '--name', 'gh', '--env', 'TOKEN=secret:c/gh/TOKEN', '--env=OTHER=secret:c/gh/OTHER', '--env', 'NEW=secret:c/gh/NEW', '--', 'node', '--env', 'TOKEN']);
    expect(secretReferences(out).map((r) => r.variable)).toEqual(['TOKEN', 'OTHER', 'NEW']);
  });

  it('refuses a bad store name, and never treats a reference as a literal value', () => {
    expect(parseEnvSpecs(['K=secret:a/b'])).toEqual([{ name: 'K', secret: 'a/b' }]);
    expect(() => parseEnvSpecs(['K=secret:'])).toThrow(/invalid secret store name/);
    expect(() => parseEnvSpecs(['K=secret:a b'])).toThrow(/invalid secret store name/);
    expect(() => parseEnvSpecs(['LD_PRELOAD=secret:a'])).toThrow(/refused/);
  });
});

describe('setup records', () => {
  it('hold a token instead of the value, and get it back exactly', () => {
    const record: SetupRecord = { file: 'f', container: ['mcpServers'], name: 'gh', originalText: `{"env": {"TOKEN": "${V}"}}`, original: { env: { TOKEN: V } }, wrappedText: 'w', wrapped: {}, at: 't' };
    const scrubbed = scrubRecord(record, [[V, 'c/gh/TOKEN']], [{ variable: 'TOKEN', store: 'c/gh/TOKEN' }]);
    expect(JSON.stringify(scrubbed)).not.toContain(V);
    expect(scrubbed.originalText).toContain(secretToken('c/gh/TOKEN'));
    expect(unscrubRecord(scrubbed, new Map([['c/gh/TOKEN', V]]))).toEqual({ ...record, secrets: [{ variable: 'TOKEN', store: 'c/gh/TOKEN' }] });
  });
});

describe('MaskingWriter', () => {
  const collect = (): { out: NodeJS.WritableStream; text: () => string } => {
    let t = '';
    return { out: { write: (c: string) => ((t += c), true) } as unknown as NodeJS.WritableStream, text: () => t };
  };

  it('masks a value split over chunks and over a multi-byte character', () => {
    const c = collect();
    const w = new MaskingWriter(c.out, [V]);
    const bytes = Buffer.from(`é ${V} é\n`, 'utf8');
    for (let i = 0; i < bytes.length; i++) w.write(bytes.subarray(i, i + 1));
    w.flush();
    expect(c.text()).toBe(`é Zq4L…[32 chars] é\n`);
  });

  it('never cuts through a value when a long line without newline is written early', () => {
    const c = collect();
    const w = new MaskingWriter(c.out, [V]);
    const filler = 'x'.repeat(MAX_PENDING - 10);
    w.write(filler + V);
    w.write('x'.repeat(100));
    w.flush();
    expect(c.text()).not.toContain(V.slice(4, 20));
    expect(c.text()).toContain('Zq4L…[32 chars]');
  });
});

describe('the scan chain with stored secrets', () => {
  it('blocks a stored value cut across two arguments, and redacts it in a result', async () => {
    const { ScanChain } = await import('../../src/scan/chain.js');
    const { normalizeConfig } = await import('../../src/config/normalize.js');
    const chain = new ScanChain({ config: normalizeConfig({}), env: {}, storedSecrets: { K: V }, models: null });
    const request = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { a: V.slice(0, 16), b: V.slice(16) } } };
    const verdict = chain.evaluate({ direction: 'client-to-server', message: request } as never);
    expect(verdict.action).toBe('block');
    expect(verdict.findings.map((f) => [f.rule, f.transform])).toContainEqual(['env-secret', 'join']);
    const response = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: `K=${V}` }], _meta: { note: 'fine' } } };
    const r = chain.evaluate({ direction: 'server-to-client', message: response, context: { method: 'tools/call', tool: 'x' } } as never);
    expect(r.action).toBe('redact');
  });
});
