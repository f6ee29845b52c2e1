/**
 * Decisions of a running proxy (the built CLI, the SDK's real Client, the evil
 * fixture server) reach a real rsyslogd (RFC 5424 over TCP, octet-counted) and
 * a loopback OTLP/HTTP receiver (protobuf decoded with the official layout, and
 * JSON); a collector that is down costs dropped, counted events, never a
 * blocked relay.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer as createTlsServer } from 'node:tls';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/scan/validators.js';
import { connectProxied, errorOf, EVIL, tempDir } from '../helpers.js';
import { attributes, decode } from './otlp-decode.js';

const RSYSLOGD = '/usr/sbin/rsyslogd';

/** A GitHub classic PAT with a valid CRC32 checksum (random body, not a real credential). */
function fakeGithubToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 30; i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `ghp_${body}${base62(crc32(body), 6)}`;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Run the proxy with `logging` config in front of the evil server: list tools, make one blocked call, close. */
async function proxyDecisions(logging: string): Promise<{ stderr: string; token: string }> {
  const dir = tempDir();
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, `logging:\n${logging}`);
  const proxied = await connectProxied([EVIL], ['--name', 'evil', '-c', cfg]);
  const token = fakeGithubToken();
  try {
    await proxied.client.listTools();
    const err = await errorOf(proxied.client.callTool({ name: 'report_args', arguments: { note: token } }));
    expect(err.code).toBe(-32001);
  } finally {
    await proxied.close();
  }
  return { stderr: proxied.stderr(), token };
}

/** RFC 5424 §6 (with the SD-ELEMENT grammar of §6.3), as one regex per part. */
function parse5424(line: string): { pri: number; appName: string; msgId: string; sd: Array<{ id: string; params: Array<[string, string]> }>; msg: string } {
  const m = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/.exec(line);
  if (!m) throw new Error(`not RFC 5424: ${line}`);
  expect(Number.isNaN(Date.parse(m[2] as string))).toBe(false);
  let rest = m[7] as string;
  const sd: Array<{ id: string; params: Array<[string, string]> }> = [];
  if (rest.startsWith('-')) rest = rest.slice(1);
  while (rest.startsWith('[')) {
    const el = /^\[([^\s=\]"]{1,32})((?: [^\s=\]"]{1,32}="(?:[^"\\\]]|\\["\\\]])*")*)\]/.exec(rest);
    if (!el) throw new Error(`bad SD-ELEMENT: ${rest}`);
    const params = [...(el[2] as string).matchAll(/ ([^\s=\]"]{1,32})="((?:[^"\\\]]|\\["\\\]])*)"/g)].map((p) => [p[1] as string, (p[2] as string).replace(/\\(["\\\]])/g, '$1')] as [string, string]);
    sd.push({ id: el[1] as string, params });
    rest = rest.slice(el[0].length);
  }
  return { pri: Number(m[1]), appName: m[4] as string, msgId: m[6] as string, sd, msg: rest.replace(/^ /, '').replace(/^\uFEFF/, '') };
}

describe.skipIf(!existsSync(RSYSLOGD))('syslog: a real rsyslogd', () => {
  let rsyslog: ChildProcess | undefined;
  afterAll(() => {
    if (rsyslog?.pid !== undefined && rsyslog.exitCode === null) rsyslog.kill('SIGTERM');
  });

  it('receives the block decision as RFC 5424 with action, rule and server in structured data', async () => {
    const dir = tempDir();
    const port = await freePort();
    const out = join(dir, 'received.log');
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      [
        `global(workDirectory="${dir}")`,
        'module(load="imtcp")',
        `input(type="imtcp" address="127.0.0.1" port="${port}")`,
        `*.* action(type="omfile" file="${out}" template="RSYSLOG_SyslogProtocol23Format")`,
        '',
      ].join('\n'),
    );
    rsyslog = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let rsErr = '';
    rsyslog.stderr?.on('data', (c: Buffer) => (rsErr += c.toString()));
    await until(`rsyslogd on port ${port} (${rsErr})`, () =>
      new Promise<true | undefined>((r) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          r(true);
        });
        s.on('error', () => r(undefined));
      }),
    );

    const { token } = await proxyDecisions(`  syslog:\n    address: "127.0.0.1:${port}"\n    protocol: tcp\n    facility: local3\n    app_name: mcp-guard-test\n`);
    const line = await until('the block in rsyslog output', () => {
      const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
      return text.split('\n').find((l) => l.includes('action="block"'));
    });
    const msg = parse5424(line);
    expect(msg.pri).toBe(19 * 8 + 3); // local3, err
    expect(msg.appName).toBe('mcp-guard-test');
    expect(msg.msgId).toBe('decision');
    const el = msg.sd.find((e) => e.id === 'mcpguard@32473');
    expect(el).toBeDefined();
    const params = el?.params ?? [];
    expect(params).toContainEqual(['action', 'block']);
    expect(params).toContainEqual(['server', 'evil']);
    expect(params).toContainEqual(['method', 'tools/call']);
    expect(params.some(([k, v]) => k === 'rule' && v.startsWith('github'))).toBe(true);
    expect(params.some(([k, v]) => k === 'seq' && /^\d+$/.test(v))).toBe(false); // no chained file configured: no seq
    expect(msg.msg).toMatch(/^block client-to-server tools\/call report_args: github/);
    expect(readFileSync(out, 'utf8')).not.toContain(token);
    // The poisoned tool removed from tools/list is a decision too.
    expect(readFileSync(out, 'utf8')).toMatch(/action="filter"/);
  });

  it('a collector that is down: the calls still answer, the excess is dropped and counted', async () => {
    const port = await freePort(); // nothing listens there
    const { stderr } = await proxyDecisions(`  syslog:\n    address: "127.0.0.1:${port}"\n    buffer: 1\n`);
    expect(stderr).toMatch(/audit export: 2 decisions not delivered to syslog 127\.0\.0\.1:\d+ \(collector down or slow\): 1 past the buffer, 1 still queued at exit/);
  });
});

describe('syslog: UDP and TLS transports', () => {
  it('udp: one RFC 5424 message per datagram', async () => {
    const sock = createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    try {
      await proxyDecisions(`  syslog:\n    address: "127.0.0.1:${sock.address().port}"\n    protocol: udp\n`);
      const line = await until('a datagram', () => got.find((g) => g.includes('action="block"')));
      expect(line.startsWith('<131>1 ')).toBe(true); // local0 (16) * 8 + err (3); no octet count in UDP
      expect(parse5424(line).sd[0]?.params).toContainEqual(['server', 'evil']);
    } finally {
      sock.close();
    }
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status !== 0)('tls: octet-counted frames over TLS, the collector checked against ca_file', async () => {
    const dir = tempDir();
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    expect(gen.status).toBe(0);
    let received = Buffer.alloc(0);
    const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => s.on('data', (c: Buffer) => (received = Buffer.concat([received, c]))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await proxyDecisions(`  syslog:\n    address: "localhost:${port}"\n    protocol: tls\n    ca_file: "${cert}"\n`);
      const frames = await until('two frames', () => {
        const out: string[] = [];
        let rest = received;
        for (;;) {
          const sp = rest.indexOf(0x20);
          if (sp < 0) break;
          const len = Number(rest.subarray(0, sp).toString('ascii'));
          if (!Number.isInteger(len) || rest.length < sp + 1 + len) break;
          out.push(rest.subarray(sp + 1, sp + 1 + len).toString('utf8'));
          rest = rest.subarray(sp + 1 + len);
        }
        return out.length >= 2 ? out : undefined;
      });
      expect(frames.map((f) => parse5424(f).sd[0]?.params.find(([k]) => k === 'action')?.[1])).toEqual(['filter', 'block']);
    } finally {
      server.close();
    }
  });

  it('tls: a collector whose certificate is not trusted gets nothing', async () => {
    const dir = tempDir();
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    let received = 0;
    const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => s.on('data', (c: Buffer) => (received += c.length)));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const { stderr } = await proxyDecisions(`  syslog:\n    address: "localhost:${port}"\n    protocol: tls\n`); // no ca_file: Node's roots
      expect(received).toBe(0);
      expect(stderr).toMatch(/2 decisions not delivered to syslog localhost:\d+/);
    } finally {
      server.close();
    }
  });
});

/** A loopback OTLP/HTTP receiver: collects request bodies by path. */
async function otlpReceiver(): Promise<{ url: string; bodies: Map<string, Array<{ type: string; body: Buffer; headers: IncomingMessage['headers'] }>>; close(): Promise<void> }> {
  const bodies = new Map<string, Array<{ type: string; body: Buffer; headers: IncomingMessage['headers'] }>>();
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = bodies.get(req.url ?? '') ?? [];
      list.push({ type: String(req.headers['content-type']), body: Buffer.concat(chunks), headers: req.headers });
      bodies.set(req.url ?? '', list);
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : Buffer.alloc(0));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('OTLP export', () => {
  it('http/protobuf: each decision is a log record, and mcp_guard.decisions counts them, decoded with the official layout', async () => {
    const rx = await otlpReceiver();
    const file = join(tempDir(), 'audit.jsonl');
    try {
      const { token } = await proxyDecisions(`  output: both\n  file: "${file}"\n  otlp:\n    endpoint: "${rx.url}"\n    headers:\n      x-api-key: test-key\n    metric_interval_ms: 60000\n`);
      const logBodies = await until('logs', () => rx.bodies.get('/v1/logs'));
      const metricBodies = await until('metrics', () => rx.bodies.get('/v1/metrics'));
      expect(logBodies[0]?.type).toBe('application/x-protobuf');
      expect(logBodies[0]?.headers['x-api-key']).toBe('test-key');
      const records = logBodies.flatMap((b) => {
        const req = decode('ExportLogsServiceRequest', b.body) as { resourceLogs: Array<{ resource: { attributes: unknown }; scopeLogs: Array<{ scope: { name: string }; logRecords: Array<Record<string, unknown>> }> }> };
        return req.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r): Record<string, unknown> => ({ ...r, resource: attributes(rl.resource.attributes), scope: sl.scope.name }))));
      });
      const block = records.find((r) => attributes(r['attributes'])['mcp.guard.action'] === 'block');
      expect(block).toBeDefined();
      const a = attributes(block?.['attributes']);
      expect(block?.['eventName']).toBe('mcp_guard.decision');
      expect(block?.['severityNumber']).toBe(17);
      expect(block?.['scope']).toBe('mcp-guard');
      expect((block?.['resource'] as Record<string, unknown>)['service.name']).toBe('mcp-guard');
      expect(a['mcp.method.name']).toBe('tools/call');
      expect(a['gen_ai.tool.name']).toBe('report_args');
      expect((block?.['resource'] as Record<string, unknown>)['mcp.guard.server']).toBe('evil');
      expect(a['mcp.guard.direction']).toBe('client-to-server');
      expect((a['mcp.guard.rules'] as string[]).some((r) => r.startsWith('github'))).toBe(true);
      expect(a['mcp.guard.categories']).toContain('dlp');
      expect(typeof block?.['timeUnixNano']).toBe('bigint');
      // The record names its line in the chained file: a remote anchor for `audit verify`.
      const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('"action":"block"'));
      expect(JSON.parse(line as string)).toMatchObject({ seq: a['mcp.guard.audit.seq'], hash: a['mcp.guard.audit.hash'] });
      expect(records.some((r) => attributes(r['attributes'])['mcp.guard.action'] === 'filter')).toBe(true);
      expect(logBodies.map((b) => b.body.toString('latin1')).join('')).not.toContain(token);

      const points = metricBodies.flatMap((b) => {
        const req = decode('ExportMetricsServiceRequest', b.body) as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string; unit?: string; sum?: { isMonotonic?: boolean; dataPoints: Array<{ attributes: unknown; asInt?: bigint }> } }> }> }> };
        return req.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.filter((m) => m.name === 'mcp_guard.decisions')));
      });
      expect(points.length).toBeGreaterThan(0);
      expect(points[0]?.sum?.isMonotonic).toBe(true);
      const dp = points.flatMap((m) => m.sum?.dataPoints ?? []).map((p): Record<string, unknown> => ({ ...attributes(p.attributes), n: p.asInt }));
      expect(dp).toContainEqual({ 'mcp.guard.action': 'block', 'mcp.guard.category': 'dlp', n: 1n });
      expect(dp.some((p) => p['mcp.guard.action'] === 'filter' && p['mcp.guard.category'] === 'tool-poisoning')).toBe(true);
    } finally {
      await rx.close();
    }
  });

  it('http/json goes to the same paths as OTLP JSON', async () => {
    const rx = await otlpReceiver();
    try {
      await proxyDecisions(`  otlp:\n    endpoint: "${rx.url}/"\n    protocol: http/json\n`);
      const logBodies = await until('logs', () => rx.bodies.get('/v1/logs'));
      expect(logBodies[0]?.type).toBe('application/json');
      const req = JSON.parse(logBodies.map((b) => b.body.toString()).join('')) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }> };
      const actions = req.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.flatMap((r) => r.attributes.filter((kv) => kv.key === 'mcp.guard.action').map((kv) => kv.value.stringValue))));
      expect(actions).toContain('block');
    } finally {
      await rx.close();
    }
  });

  it('an unreachable endpoint never blocks or crashes the proxy', async () => {
    const port = await freePort();
    const { stderr } = await proxyDecisions(`  otlp:\n    endpoint: "http://127.0.0.1:${port}"\n`);
    expect(stderr).not.toMatch(/internal error|Unhandled|ECONNREFUSED/);
  });
});
