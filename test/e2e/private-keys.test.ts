/**
 * Private keys a server returns are redacted whole (issue 19, blocker): keys
 * generated in the test by ssh-keygen, openssl and gpg (plus PuTTY, age and
 * service-account files built in code, see key-vectors.ts) are read through a
 * file server behind the built `mcp-guard proxy` with the SDK's real Client,
 * under the default `dlp.response_action: redact`. No body line of any key may
 * reach the client or the audit log; a key without its END line is blocked.
 *
 * The file server is test/fixtures/file-server.js, which answers like
 * @modelcontextprotocol/server-filesystem (`read_text_file` → one text block);
 * that package is not installed here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKED } from '../../src/proxy/jsonrpc.js';
import { ROOT, connectProxied, errorOf, jsonLines, tempDir, type Proxied } from '../helpers.js';
import {
  ageArmor, ageIdentity, agePqIdentity, bodyLines, gpgExport, have, leakedLines, opensslKeys, puttyKey, serviceAccountJson, sshKeys, withoutEnd,
} from '../key-vectors.js';

const FILE_SERVER = join(ROOT, 'test', 'fixtures', 'file-server.js');
const HAVE_SSH = have('ssh-keygen');
const HAVE_OPENSSL = have('openssl');
const HAVE_GPG = have('gpg');
const MARKER = /\[REDACTED:[a-z0-9-]+\]/;

const dir = tempDir();
/** Key files by format name; filled in beforeAll. */
const files: Record<string, string> = {};
let proxied: Proxied;

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
}

beforeAll(async () => {
  if (HAVE_SSH) Object.assign(files, sshKeys(dir));
  if (HAVE_OPENSSL) Object.assign(files, opensslKeys(dir));
  if (HAVE_GPG) files['pgp (gpg --export-secret-keys --armor)'] = write('pgp.asc', gpgExport());
  files['putty-ppk-v3 (built in code)'] = write('key.ppk', puttyKey());
  files['age identity (built in code)'] = write('age.txt', ageIdentity().file);
  files['age post-quantum identity (built in code)'] = write('age-pq.txt', agePqIdentity().file);
  files['service-account json (openssl genpkey PKCS#8)'] = write('sa.json', serviceAccountJson(HAVE_OPENSSL ? files['pkcs8-rsa (openssl genpkey)'] : undefined).file);
  proxied = await connectProxied([FILE_SERVER], ['--env', 'FILE_ROOT'], { FILE_ROOT: dir });
  await proxied.client.listTools();
});

afterAll(async () => {
  await proxied?.close();
});

/**
 * Read `path` with `read_text_file`. The path goes relative to FILE_ROOT: the
 * temporary directory's random name would otherwise be flagged as a secret of
 * the proxy's environment (env-secret) and the request blocked before the server is asked.
 */
async function readText(path: string): Promise<string> {
  const res = await proxied.client.callTool({ name: 'read_text_file', arguments: { path: relative(dir, path) } });
  expect(res.isError, 'the server answered with an error').not.toBe(true);
  const block = (res.content as Array<{ type: string; text?: string }>)[0];
  expect(block?.type).toBe('text');
  return block?.text ?? '';
}

const read = async (name: string): Promise<{ original: string; received: string }> => {
  const path = files[name];
  if (path === undefined) throw new Error(`no key file for ${name}`);
  return { original: readFileSync(path, 'utf8'), received: await readText(path) };
};

/** Assert no line of `body` is in `text`; a failure gives counts only, never key lines. */
function expectNoLeak(body: readonly string[], text: string, where: string): void {
  const leaked = leakedLines(body, text).length;
  expect(leaked, `${leaked} of ${body.length} body lines reached ${where}`).toBe(0);
}

/** Formats whose generator is missing are reported, not silently passed. */
const skipped = (tool: string, present: boolean): string => (present ? '' : ` [SKIPPED: ${tool} is not installed]`);

const SSH_FORMATS = ['rsa-pem (ssh-keygen -m PEM)', 'openssh-rsa (ssh-keygen)', 'openssh-ed25519 (ssh-keygen)', 'openssh-ecdsa (ssh-keygen)'];
const OPENSSL_FORMATS = [
  'pkcs8-rsa (openssl genpkey)',
  'pkcs8-ed25519 (openssl genpkey)',
  'ec (openssl ecparam -genkey)',
  'encrypted-pkcs8 (openssl genpkey -aes-256-cbc)',
  'encrypted-rsa-pem (openssl rsa -traditional -aes128)',
  'dsa (openssl pkey -traditional)',
];
const BLOCK_FORMATS: Array<[string, boolean, string]> = [
  ...SSH_FORMATS.map((f): [string, boolean, string] => [f, HAVE_SSH, 'ssh-keygen']),
  ...OPENSSL_FORMATS.map((f): [string, boolean, string] => [f, HAVE_OPENSSL, 'openssl']),
  ['pgp (gpg --export-secret-keys --armor)', HAVE_GPG, 'gpg'],
  ['putty-ppk-v3 (built in code)', true, ''],
];

describe('a private key read through the proxy is redacted from BEGIN to END', () => {
  for (const [name, present, tool] of BLOCK_FORMATS) {
    it.skipIf(!present)(`${name}: no body line reaches the client${skipped(tool, present)}`, async () => {
      const { original, received } = await read(name);
      const body = bodyLines(original);
      expect(body.length, 'the generated file has a body').toBeGreaterThan(0);
      expectNoLeak(body, received, 'the client');
      // Booleans, not toMatch: a failure must not print the received text.
      expect(MARKER.test(received), 'the redaction marker is there').toBe(true);
      // Whole: nothing of the block is left around the marker, and what is not key material is kept.
      expect(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY|-----END [A-Z0-9 ]*PRIVATE KEY|Private-MAC:/.test(received), 'BEGIN, END or MAC line left').toBe(false);
      if (name.startsWith('ec ')) expect(received.includes('-----BEGIN EC PARAMETERS-----'), 'EC parameters kept').toBe(true);
      if (name.startsWith('pgp')) expect(received.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----'), 'public key block kept').toBe(true);
    });

    it.skipIf(!present)(`${name}: without its END line the response is blocked${skipped(tool, present)}`, async () => {
          const original = readFileSync(files[name] ?? '', 'utf8');
      const cut = write(`truncated-${name.replace(/\W+/g, '-')}`, withoutEnd(original));
      const err = await errorOf(readText(cut));
      expect(err.code).toBe(BLOCKED);
      expect(err.message).toMatch(/blocked tools\/call response from tool "read_text_file": found a credential/);
      expect(err.message).toMatch(/has no END line after its key material \(missing, cut off, or past the 64 KiB scan window\)/);
      expectNoLeak(bodyLines(original), `${err.message}\n${JSON.stringify(err.data)}`, 'the block message');
    });
  }

  it.skipIf(!HAVE_SSH)(`a key in a resources/read text and blob is redacted whole${skipped('ssh-keygen', HAVE_SSH)}`, async () => {
    const path = files['openssh-ed25519 (ssh-keygen)'] ?? '';
      const body = bodyLines(readFileSync(path, 'utf8'));
    // URIs name the file relative to FILE_ROOT, for the reason given at readText.
    const uri = `file:///${relative(dir, path)}`;
    const asText = await proxied.client.readResource({ uri });
    const text = (asText.contents[0] as { text?: string }).text ?? '';
    expectNoLeak(body, text, 'the client (resource text)');
    expect(MARKER.test(text), 'marker in the text').toBe(true);
    const asBlob = await proxied.client.readResource({ uri: `${uri}?blob` });
    const decoded = Buffer.from((asBlob.contents[0] as { blob?: string }).blob ?? '', 'base64').toString('utf8');
    expectNoLeak(body, decoded, 'the client (resource blob)');
    expect(MARKER.test(decoded), 'marker in the blob').toBe(true);
  });

  it.skipIf(!HAVE_OPENSSL)(`a whole key followed by a truncated one in the same file is blocked${skipped('openssl', HAVE_OPENSSL)}`, async () => {
    const whole = readFileSync(files['pkcs8-rsa (openssl genpkey)'] ?? '', 'utf8');
    const cut = withoutEnd(readFileSync(files['dsa (openssl pkey -traditional)'] ?? '', 'utf8'));
    const err = await errorOf(readText(write('whole-then-cut.pem', `${whole}${cut}`)));
    expect(err.code).toBe(BLOCKED);
    expect(err.message).toMatch(/has no END line after its key material \(missing, cut off, or past the 64 KiB scan window\)/);
  });

  it('a key whose END lies past the scan window (64 KiB) is blocked', async () => {
    const lines = (randomBytes(48 * 1500).toString('base64').match(/.{64}/g) ?? []).join('\n');
    const f = write('huge.pem', `-----BEGIN RSA PRIVATE KEY-----\n${lines}\n-----END RSA PRIVATE KEY-----\n`);
    const err = await errorOf(readText(f));
    expect(err.code).toBe(BLOCKED);
    expect(err.message).toMatch(/blocked tools\/call response from tool "read_text_file": found a credential/);
    expect(err.message).toMatch(/has no END line after its key material \(missing, cut off, or past the 64 KiB scan window\)/);
  });

  it.skipIf(!HAVE_OPENSSL)(`a key with foreign text between BEGIN and END is blocked, not partly redacted${skipped('openssl', HAVE_OPENSSL)}`, async () => {
      const lines = readFileSync(files['pkcs8-rsa (openssl genpkey)'] ?? '', 'utf8').split('\n');
    lines.splice(5, 0, '> quoted from the vault: see below');
    const err = await errorOf(readText(write('interrupted.pem', lines.join('\n'))));
    expect(err.code).toBe(BLOCKED);
    expect(err.message).toMatch(/blocked tools\/call response from tool "read_text_file": found a credential/);
    expect(err.message).toMatch(/has no END line after its key material \(missing, cut off, or past the 64 KiB scan window\)/);
  });
});

describe('single-value and JSON-embedded keys', () => {
  it('a service-account key file: the whole private_key value is redacted, the JSON stays valid', async () => {
    const { original, received } = await read('service-account json (openssl genpkey PKCS#8)');
    const pemBody = bodyLines(original);
    expectNoLeak(pemBody, received, 'the client');
    const doc = JSON.parse(received) as Record<string, string>;
    expect(new RegExp(`^${MARKER.source}$`).test(doc['private_key'] ?? ''), 'private_key is one redaction marker').toBe(true);
    expect(doc['client_email']).toBe('keys-test@mcp-guard-test.iam.gserviceaccount.com');
  });

  it('an age identity: the AGE-SECRET-KEY line is redacted, the comments are kept', async () => {
    const { original, received } = await read('age identity (built in code)');
    expectNoLeak(bodyLines(original), received, 'the client');
    expect(MARKER.test(received), 'marker').toBe(true);
    expect(received.includes('# public key: age1'), 'comments kept').toBe(true);
  });

  it('a post-quantum age identity (age-keygen -pq): the AGE-SECRET-KEY-PQ line is redacted', async () => {
    const { original, received } = await read('age post-quantum identity (built in code)');
    expectNoLeak(bodyLines(original), received, 'the client');
    expect(MARKER.test(received), 'marker').toBe(true);
  });

  it('an age-encrypted file (ASCII armor) is not a secret and passes unchanged', async () => {
    const text = ageArmor();
    expect((await readText(write('secret.age', text))) === text, 'armor unchanged').toBe(true);
  });
});

describe('audit log of response-side DLP', () => {
  type Logged = { rule: string; category: string; masked?: string; unterminated?: boolean };
  const decisionsSince = (from: number): Array<Record<string, unknown>> =>
    jsonLines(proxied.stderr().slice(from).split('\n').filter((l) => l.startsWith('{')).join('\n'))
      .filter((e) => e['event'] === 'decision' && e['direction'] === 'server-to-client');
  const MASKED = /^.{0,4}…\[\d+ chars\]$|^\*\*\*\[\d+ chars\]$/;

  it('a redacted and a blocked response each log their credential findings with a masked preview', async () => {
    const ppk = files['putty-ppk-v3 (built in code)'] ?? '';
    const check = (d: Record<string, unknown> | undefined, action: string): Logged[] => {
      expect(d?.['action']).toBe(action);
      const findings = (d?.['findings'] ?? []) as Logged[];
      expect(findings.some((f) => f.rule === 'putty-private-key')).toBe(true);
      for (const f of findings.filter((x) => x.category === 'dlp')) expect(f.masked, `${f.rule}: masked preview`).toMatch(MASKED);
      return findings;
    };
    // The audit line goes to stderr, which may arrive after the answer on stdout: wait for it.
    const decisionAfter = async (from: number): Promise<Record<string, unknown> | undefined> => {
      for (let waited = 0; decisionsSince(from).length === 0 && waited < 10_000; waited += 20) await new Promise((ok) => setTimeout(ok, 20));
      return decisionsSince(from)[0];
    };
    let from = proxied.stderr().length;
    await readText(ppk);
    check(await decisionAfter(from), 'redact');
    from = proxied.stderr().length;
    await errorOf(readText(write('audit-cut.ppk', withoutEnd(readFileSync(ppk, 'utf8')))));
    const blocked = check(await decisionAfter(from), 'block');
    expect(blocked.find((f) => f.rule === 'putty-private-key')?.unterminated).toBe(true);
  });

  it('no body line of any key read in this file reached the audit log', () => {
    for (const path of Object.values(files)) {
      expectNoLeak(bodyLines(readFileSync(path, 'utf8')), proxied.stderr(), `the audit log (${relative(dir, path)})`);
    }
  });
});
