/**
 * SSRF test vectors for `url` arguments: every spelling of an internal address,
 * each its own case, plus public look-alikes that must pass.
 */
import { describe, expect, it } from 'vitest';
import { checkUrl, type UrlOptions } from '../../src/policy/urls.js';

const DEFAULTS: UrlOptions = { blockPrivate: true, allowHosts: [], denyHosts: [] };
const rules = (url: string, o: UrlOptions = DEFAULTS): string[] => checkUrl(url, o).problems.map((p) => p.rule);

const BLOCKED: Array<[string, string, string]> = [
  ['metadata, dotted', 'http://169.254.169.254/latest/meta-data/iam/', 'url-metadata'],
  ['metadata, decimal', 'http://2852039166/', 'url-metadata'],
  ['metadata, octal', 'http://0251.0376.0251.0376/', 'url-metadata'],
  ['metadata, hex', 'http://0xa9fea9fe/', 'url-metadata'],
  ['metadata, dotted hex', 'http://0xa9.0xfe.0xa9.0xfe/', 'url-metadata'],
  ['metadata, mixed short form', 'http://169.16689662/', 'url-metadata'],
  ['metadata, IPv4-mapped IPv6 (hex)', 'http://[::ffff:a9fe:a9fe]/', 'url-metadata'],
  ['metadata, IPv4-mapped IPv6 (dotted)', 'http://[::ffff:169.254.169.254]/', 'url-metadata'],
  ['metadata, IPv4-mapped IPv6 (long form)', 'http://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'url-metadata'],
  ['metadata, userinfo trick', 'http://good.com@169.254.169.254/', 'url-metadata'],
  ['metadata, userinfo with password', 'http://user:pass@169.254.169.254/', 'url-metadata'],
  ['metadata, backslash userinfo (read by urllib-style parsers)', 'http://good.com\\@169.254.169.254/', 'url-metadata'],
  ['metadata, trailing dot', 'http://169.254.169.254./', 'url-metadata'],
  ['metadata, percent-encoded dot', 'http://169.254.169%2e254/', 'url-metadata'],
  ['metadata, fullwidth digits', 'http://１６９.２５４.１６９.２５４/', 'url-metadata'],
  ['metadata, circled digits', 'http://①⑥⑨.②⑤④.①⑥⑨.②⑤④/', 'url-metadata'],
  ['metadata, by name (GCP)', 'http://metadata.google.internal/computeMetadata/v1/', 'url-metadata'],
  ['metadata, AWS IPv6', 'http://[fd00:ec2::254]/latest/meta-data/', 'url-metadata'],
  ['metadata, Azure wire server', 'http://168.63.129.16/', 'url-metadata'],
  ['metadata, Alibaba', 'http://100.100.100.200/latest/meta-data/', 'url-metadata'],
  ['metadata, ECS task credentials', 'http://169.254.170.2/v2/credentials', 'url-metadata'],
  ['metadata, bare host without scheme', '169.254.169.254/latest/meta-data/', 'url-metadata'],
  ['metadata, scheme-relative', '//169.254.169.254/', 'url-metadata'],
  ['metadata, nip.io name', 'http://169.254.169.254.nip.io/', 'url-metadata'],
  ['metadata, port and path', 'https://169.254.169.254:443/x?y=z', 'url-metadata'],
  ['loopback', 'http://127.0.0.1:8080/', 'url-private-address'],
  ['loopback, short form', 'http://127.1/', 'url-private-address'],
  ['loopback, decimal', 'http://2130706433/', 'url-private-address'],
  ['loopback, octal', 'http://0177.0.0.1/', 'url-private-address'],
  ['loopback, hex', 'http://0x7f000001/', 'url-private-address'],
  ['loopback, IPv6', 'http://[::1]/', 'url-private-address'],
  ['loopback, IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]/', 'url-private-address'],
  ['zero address', 'http://0/', 'url-private-address'],
  ['zero address, dotted', 'http://0.0.0.0:6379/', 'url-private-address'],
  ['IPv6 unspecified', 'http://[::]/', 'url-private-address'],
  ['localhost', 'http://localhost/', 'url-private-address'],
  ['localhost, trailing dot', 'http://localhost./admin', 'url-private-address'],
  ['localhost, upper case', 'http://LOCALHOST/', 'url-private-address'],
  ['a *.localhost name', 'http://api.localhost/', 'url-private-address'],
  ['private 10/8', 'http://10.0.0.5/', 'url-private-address'],
  ['private 172.16/12', 'http://172.16.3.4/', 'url-private-address'],
  ['private 192.168/16', 'http://192.168.1.1/', 'url-private-address'],
  ['private, decimal', 'http://3232235777/', 'url-private-address'],
  ['link-local', 'http://169.254.1.1/', 'url-private-address'],
  ['IPv6 link-local', 'http://[fe80::1]/', 'url-private-address'],
  ['IPv6 unique local', 'http://[fd12:3456::1]/', 'url-private-address'],
  ['CGNAT', 'http://100.64.0.1/', 'url-private-address'],
  ['multicast', 'http://224.0.0.1/', 'url-private-address'],
  ['IPv6 multicast', 'http://[ff02::1]/', 'url-private-address'],
  ['broadcast', 'http://255.255.255.255/', 'url-private-address'],
  ['a *.internal name', 'http://db.internal/', 'url-private-address'],
  ['a dashed nip.io name', 'http://10-0-0-1.sslip.io/', 'url-private-address'],
  ['websocket to loopback', 'ws://127.0.0.1:9229/', 'url-private-address'],
  ['gopher scheme', 'gopher://127.0.0.1:6379/_SET', 'url-scheme'],
  ['dict scheme', 'dict://example.com:11211/stat', 'url-scheme'],
  ['unparsable URL', 'http://[::ffff:169.254.169.254/', 'url-unparsable'],
];

describe('SSRF vectors are refused', () => {
  for (const [name, url, rule] of BLOCKED) {
    it(`${name}: ${url}`, () => {
      expect(rules(url)).toContain(rule);
    });
  }
});

const PASSING: Array<[string, string]> = [
  ['a public host', 'https://example.com/latest/meta-data/'],
  ['a public address as a decimal', 'http://1572395042/'],
  ['a public IPv6 address', 'http://[2606:4700:4700::1111]/'],
  ['userinfo that names a private address, host public', 'http://169.254.169.254@example.com/'],
  ['a custom scheme (resource URI)', 'test://static/resource/1'],
  ['a data URI', 'data:text/plain;base64,aGVsbG8='],
  ['free text in a url-named argument', 'see the docs'],
  ['a host that merely starts with digits', 'https://1password.com/'],
];

describe('public URLs pass', () => {
  for (const [name, url] of PASSING) {
    it(`${name}: ${url}`, () => {
      expect(rules(url)).toEqual([]);
    });
  }
});

describe('host lists', () => {
  it('deny_hosts refuses a host and its subdomains with *.', () => {
    expect(rules('https://api.evil.example/x', { ...DEFAULTS, denyHosts: ['*.evil.example'] })).toEqual(['url-host-denied']);
    expect(rules('https://evil.example/x', { ...DEFAULTS, denyHosts: ['*.evil.example'] })).toEqual(['url-host-denied']);
  });
  it('allow_hosts admits only the listed hosts, private ones included', () => {
    const o = { ...DEFAULTS, allowHosts: ['localhost', 'api.example.com'] };
    expect(rules('http://localhost:3000/', o)).toEqual([]);
    expect(rules('https://api.example.com/', o)).toEqual([]);
    expect(rules('https://example.org/', o)).toEqual(['url-host-not-allowed']);
    // The userinfo trick does not get a listed name past the list.
    expect(rules('http://api.example.com@169.254.169.254/', o)).toEqual(['url-host-not-allowed']);
  });
  it('a file: URL is handed to the path checks', () => {
    expect(checkUrl('file:///home/u/.ssh/id_rsa', DEFAULTS).filePath).toBe('/home/u/.ssh/id_rsa');
  });
});
