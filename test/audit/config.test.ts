/** The audit keys of `logging`: defaults, normalisation, and errors that name the key. */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { GuardError } from '../../src/errors.js';

describe('logging: audit keys', () => {
  it('is all off by default: no dir, no exports; chain on for any file', () => {
    const { config } = parseConfigText('{}', 'c.yaml');
    expect(config.logging.toStderr).toBe(true);
    expect(config.logging.audit).toEqual({ chain: true });
  });

  it('normalises syslog and otlp with their defaults', () => {
    const { config } = parseConfigText(
      ['logging:', '  output: both', '  dir: /var/log/g', '  max_bytes: 65536', '  syslog:', '    address: "[::1]:1514"', '  otlp:', '    endpoint: http://localhost:4318'].join('\n'),
      'c.yaml',
    );
    expect(config.logging.audit).toEqual({
      dir: '/var/log/g',
      chain: true,
      maxBytes: 65536,
      syslog: { host: '::1', port: 1514, protocol: 'tcp', facility: 'local0', appName: 'mcp-guard', bufferMessages: 1000 },
      otlp: { endpoint: 'http://localhost:4318', headers: {}, protocol: 'http/protobuf', metricIntervalMs: 10000 },
    });
  });

  it('dir alone, with output stderr, writes no file (as logging.file)', () => {
    expect(parseConfigText('logging:\n  dir: /x\n', 'c.yaml').config.logging.audit.dir).toBeUndefined();
    expect(parseConfigText('logging:\n  output: file\n  dir: /x\n', 'c.yaml').config.logging.toStderr).toBe(false);
  });

  it('refuses a bad address, protocol, facility, endpoint or tiny max_bytes, naming each key', () => {
    let err: unknown;
    try {
      parseConfigText(
        ['logging:', '  max_bytes: 10', '  syslog:', '    address: "host:70000"', '    protocol: quic', '    facility: nope', '  otlp:', '    endpoint: not a url'].join('\n'),
        'c.yaml',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GuardError);
    const text = [(err as GuardError).message, ...(err as GuardError).problems].join('\n');
    for (const key of ['logging.max_bytes', 'logging.syslog.protocol', 'logging.syslog.facility', 'logging.otlp.endpoint']) expect(text).toContain(key);
  });

  it('refuses a bad port even when the other keys are fine', () => {
    expect(() => parseConfigText('logging:\n  syslog:\n    address: "host:70000"\n', 'c.yaml')).toThrow(GuardError);
  });
});
