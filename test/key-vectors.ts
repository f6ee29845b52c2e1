/**
 * Throwaway private keys for the multi-line secret tests, made fresh on every
 * run: by `ssh-keygen`, `openssl` and `gpg` where they are installed, and in
 * code (node:crypto) for the formats no tool here writes: PuTTY `.ppk` v3, age
 * identities, Google service-account key files. None grants anything.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** True when `bin` is on PATH. */
export function have(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Run a key tool; its progress output is discarded.
 * @throws Error naming the command when it exits non-zero
 */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Files written by `ssh-keygen`: RSA in PEM and OpenSSH form, ed25519, ECDSA. */
export function sshKeys(dir: string): Record<string, string> {
  const gen = (name: string, ...args: string[]): string => {
    const f = join(dir, name);
    run('ssh-keygen', ['-q', '-N', '', '-C', 'mcp-guard-test', '-f', f, ...args]);
    return f;
  };
  return {
    'rsa-pem (ssh-keygen -m PEM)': gen('id_rsa_pem', '-t', 'rsa', '-b', '2048', '-m', 'PEM'),
    'openssh-rsa (ssh-keygen)': gen('id_rsa', '-t', 'rsa', '-b', '2048'),
    'openssh-ed25519 (ssh-keygen)': gen('id_ed25519', '-t', 'ed25519'),
    'openssh-ecdsa (ssh-keygen)': gen('id_ecdsa', '-t', 'ecdsa', '-b', '256'),
  };
}

/**
 * Files written by `openssl`: PKCS#8 RSA and ed25519 (`genpkey`), SEC1 EC with its
 * parameters block (`ecparam -genkey`), encrypted PKCS#8, traditional encrypted
 * RSA (Proc-Type/DEK-Info headers, RFC 1421 § 4.6) and traditional DSA.
 */
export function opensslKeys(dir: string): Record<string, string> {
  const f = (name: string): string => join(dir, name);
  run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('pkcs8.pem')]);
  run('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', f('ed25519-pkcs8.pem')]);
  run('openssl', ['ecparam', '-genkey', '-name', 'prime256v1', '-out', f('ec.pem')]);
  run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes-256-cbc', '-pass', 'pass:test-only', '-out', f('pkcs8-enc.pem')]);
  run('openssl', ['rsa', '-in', f('pkcs8.pem'), '-traditional', '-aes128', '-passout', 'pass:test-only', '-out', f('rsa-enc.pem')]);
  run('openssl', ['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024', '-out', f('dsa-params.pem')]);
  run('openssl', ['genpkey', '-paramfile', f('dsa-params.pem'), '-out', f('dsa-pkcs8.pem')]);
  run('openssl', ['pkey', '-in', f('dsa-pkcs8.pem'), '-traditional', '-out', f('dsa.pem')]);
  return {
    'pkcs8-rsa (openssl genpkey)': f('pkcs8.pem'),
    'pkcs8-ed25519 (openssl genpkey)': f('ed25519-pkcs8.pem'),
    'ec (openssl ecparam -genkey)': f('ec.pem'),
    'encrypted-pkcs8 (openssl genpkey -aes-256-cbc)': f('pkcs8-enc.pem'),
    'encrypted-rsa-pem (openssl rsa -traditional -aes128)': f('rsa-enc.pem'),
    'dsa (openssl pkey -traditional)': f('dsa.pem'),
  };
}

/**
 * An ASCII-armored OpenPGP export (RFC 9580 § 6.2) from a throwaway GNUPGHOME:
 * the public key block, then the secret key block (ed25519 + cv25519 subkey, no passphrase).
 */
export function gpgExport(): string {
  const home = mkdtempSync('/tmp/mcp-guard-gpg-');
  const env = { ...process.env, GNUPGHOME: home };
  const base = ['--batch', '--pinentry-mode', 'loopback', '--passphrase', ''];
  try {
    run('gpg', [...base, '--quick-gen-key', 'mcp-guard test <test@example.invalid>', 'future-default', 'default', 'never'], env);
    const pub = run('gpg', [...base, '--armor', '--export'], env);
    const sec = run('gpg', [...base, '--armor', '--export-secret-keys'], env);
    return `${pub}\n${sec}`;
  } finally {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  }
}

/** SSH wire `string` (RFC 4251 § 5): uint32 length, then the bytes. */
function sshString(b: Buffer | string): Buffer {
  const bytes = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** SSH `mpint` (RFC 4251 § 5) from a JWK base64url big-endian integer. */
function mpint(b64url: string): Buffer {
  let b = Buffer.from(b64url, 'base64url');
  if (b.length > 0 && (b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

const wrap = (b64: string, width = 64): string[] => b64.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];

/**
 * An unencrypted PuTTY `.ppk` version 3 file for a fresh RSA 2048 key, laid out
 * as PuTTY's Appendix C says: public blob (`ssh-rsa`, e, n), private blob
 * (d, p, q, iqmp), 64-character base64 lines, and `Private-MAC` = HMAC-SHA-256
 * with an empty key over alg, encryption, comment, public and private blobs.
 * Source: https://the.earth.li/~sgtatham/putty/0.78/htmldoc/AppendixC.html
 */
export function puttyKey(): string {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const need = (k: string | undefined): string => {
    if (k === undefined) throw new Error('RSA JWK is missing a member');
    return k;
  };
  const pub = Buffer.concat([sshString('ssh-rsa'), mpint(need(jwk.e)), mpint(need(jwk.n))]);
  const priv = Buffer.concat([mpint(need(jwk.d)), mpint(need(jwk.p)), mpint(need(jwk.q)), mpint(need(jwk.qi))]);
  const comment = 'mcp-guard-test';
  const mac = createHmac('sha256', Buffer.alloc(0))
    .update(Buffer.concat([sshString('ssh-rsa'), sshString('none'), sshString(comment), sshString(pub), sshString(priv)]))
    .digest('hex');
  const pubLines = wrap(pub.toString('base64'));
  const privLines = wrap(priv.toString('base64'));
  return [
    'PuTTY-User-Key-File-3: ssh-rsa',
    'Encryption: none',
    `Comment: ${comment}`,
    `Public-Lines: ${pubLines.length}`,
    ...pubLines,
    `Private-Lines: ${privLines.length}`,
    ...privLines,
    `Private-MAC: ${mac}`,
    '',
  ].join('\n');
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** Bech32 (BIP-173) encoding of `bytes` under `hrp`, lower case. */
function bech32(hrp: string, bytes: Buffer): string {
  const words: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const polymod = (values: number[]): number => {
    let chk = 1;
    for (const v of values) {
      const top = chk >> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (let i = 0; i < 5; i++) if ((top >> i) & 1) chk ^= gen[i] ?? 0;
    }
    return chk;
  };
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  const mod = polymod([...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const check = Array.from({ length: 6 }, (_v, i) => (mod >> (5 * (5 - i))) & 31);
  return `${hrp}1${[...words, ...check].map((w) => BECH32[w]).join('')}`;
}

/**
 * An age identity file as `age-keygen` writes it (age-encryption.org/v1,
 * "X25519 recipient type"): comments, then `AGE-SECRET-KEY-1…`, a Bech32 X25519
 * private key in upper case.
 */
export function ageIdentity(): { file: string; secretLine: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const secretLine = bech32('age-secret-key-', d).toUpperCase();
  return { file: `# created: 2026-12-07T00:00:00Z\n# public key: ${bech32('age', x)}\n${secretLine}\n`, secretLine };
}

/**
 * A post-quantum age identity as `age-keygen -pq` (age 1.3) writes it: the
 * 32-byte ML-KEM-768 + X25519 seed, Bech32 under `AGE-SECRET-KEY-PQ-` in upper
 * case (c2sp.org/age, mlkem768x25519). The `age1pq1…` public key comment is
 * syntactically valid Bech32 over 1216 random bytes, not derived from the seed.
 */
export function agePqIdentity(): { file: string; secretLine: string } {
  const secretLine = bech32('age-secret-key-pq-', randomBytes(32)).toUpperCase();
  return { file: `# created: 2026-12-07T00:00:00Z\n# public key: ${bech32('age1pq', randomBytes(1216))}\n${secretLine}\n`, secretLine };
}

/**
 * An age-encrypted file in ASCII armor (age-encryption.org/v1 § ASCII armor):
 * ciphertext, not a secret, so it must pass unchanged.
 */
export function ageArmor(): string {
  const header = `age-encryption.org/v1\n-> X25519 ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n${randomBytes(32).toString('base64').replace(/=+$/, '')}\n--- ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n`;
  const body = Buffer.concat([Buffer.from(header), randomBytes(96)]).toString('base64');
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${wrap(body).join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`;
}

/**
 * A Google service-account key file (https://cloud.google.com/iam/docs/keys-create-delete):
 * JSON whose `private_key` is a PKCS#8 PEM with `\n` escapes, from `openssl genpkey` when
 * given, else node:crypto.
 */
export function serviceAccountJson(pkcs8File?: string): { file: string; pem: string } {
  const pem = pkcs8File !== undefined
    ? readFileSync(pkcs8File, 'utf8')
    : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const doc = {
    type: 'service_account',
    project_id: 'mcp-guard-test',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: pem,
    client_email: 'keys-test@mcp-guard-test.iam.gserviceaccount.com',
    client_id: '104857600000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    universe_domain: 'googleapis.com',
  };
  return { file: `${JSON.stringify(doc, null, 2)}\n`, pem };
}

/**
 * The body lines of every private-key block in `text`: the lines strictly
 * between a `-----BEGIN … PRIVATE KEY…-----` line and its `-----END` line (PEM
 * headers included), the private part of a PuTTY file (after `Private-Lines:`
 * up to and including `Private-MAC:`), and `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…` lines. Text
 * with `\n` escapes (JSON) is split on them too. Blank lines are left out.
 */
export function bodyLines(text: string): string[] {
  const lines = text.split(/\r?\n|\\n/);
  const out: string[] = [];
  let inside: 'pem' | 'ppk' | undefined;
  for (const line of lines) {
    if (/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/.test(line.replace(/^.*?(?=-----BEGIN)/, ''))) inside = 'pem';
    else if (inside === 'pem' && line.startsWith('-----END')) inside = undefined;
    else if (line.startsWith('Private-Lines:')) inside = 'ppk';
    else if (inside === 'ppk' && line.startsWith('Private-MAC:')) {
      out.push(line);
      inside = undefined;
    } else if (inside !== undefined && line.trim() !== '') out.push(line);
    else if (/AGE-SECRET-KEY-(?:PQ-)?1/.test(line)) out.push(line);
  }
  return out;
}

/** The lines of `body` that appear in `received` (lines under 8 characters only as whole lines). */
export function leakedLines(body: readonly string[], received: string): string[] {
  const whole = new Set(received.split(/\r?\n|\\n/));
  return body.filter((l) => (l.length >= 8 ? received.includes(l) : whole.has(l)));
}

/** `text` with the END line of its last private block and everything after it cut off. */
export function withoutEnd(text: string): string {
  const at = Math.max(text.lastIndexOf('-----END'), text.lastIndexOf('Private-MAC:'));
  if (at < 0) throw new Error('no END line to remove');
  return text.slice(0, at);
}
