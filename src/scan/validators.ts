/**
 * The validator registry for DLP rules (checks in checksums.ts, bip39.ts and secret-heuristics.ts). A rule naming a validator
 * reports a match only when the validator accepts the matched text (the
 * `secret` group when the rule has one, else the whole match), so random
 * look-alikes do not fire. Every validator is a pure `(text) => boolean`.
 */
import {
  awsKeyId, base64, credentialPair, genericSecret, highEntropy, mixedAlnum, password, tokenValue,
} from './secret-heuristics.js';
import { bip39Mnemonic } from './bip39.js';
import { cloudflareCrc32, discordBotToken, githubCrc32, jwt, luhn, mod97, npmCrc32, pypiMacaroon, wif, xprv } from './checksums.js';

export { bip39Mnemonic } from './bip39.js';
export { base62, crc32, cloudflareCrc32, discordBotToken, githubCrc32, jwt, luhn, mod97, npmCrc32, pypiMacaroon, wif, xprv } from './checksums.js';
export { awsKeyId, base64, credentialPair, genericSecret, highEntropy, mixedAlnum, password, shannonEntropy, tokenValue } from './secret-heuristics.js';

/** Names usable in a rule's `validator` field (and Pipelock's `dlp.patterns[].validator`). */
export const VALIDATOR_NAMES = [
  'luhn',
  'mod97',
  'github-crc32',
  'npm-crc32',
  'cloudflare-crc32',
  'pypi-macaroon',
  'jwt',
  'discord-bot-token',
  'wif',
  'xprv',
  'bip39',
  'entropy',
  'aws-key-id',
  'mixed-alnum',
  'base64',
  'token-value',
  'generic-secret',
  'password',
  'credential-pair',
] as const;
export type ValidatorName = (typeof VALIDATOR_NAMES)[number];

/**
 * Validators that judge the whole match (the variable name and the value), not
 * just the `secret` group that a rule uses to narrow its reported span.
 */
export const WHOLE_MATCH_VALIDATORS: ReadonlySet<ValidatorName> = new Set<ValidatorName>(['generic-secret', 'password']);

const VALIDATORS: Record<ValidatorName, (text: string) => boolean> = {
  luhn,
  mod97,
  'github-crc32': githubCrc32,
  'npm-crc32': npmCrc32,
  'cloudflare-crc32': cloudflareCrc32,
  'pypi-macaroon': pypiMacaroon,
  jwt,
  'discord-bot-token': discordBotToken,
  wif,
  xprv,
  bip39: bip39Mnemonic,
  entropy: highEntropy,
  'aws-key-id': awsKeyId,
  'mixed-alnum': mixedAlnum,
  base64,
  'token-value': tokenValue,
  'generic-secret': genericSecret,
  password,
  'credential-pair': credentialPair,
};

/** Run a named validator. Unknown names never reach here (the rule schema rejects them). */
export function runValidator(name: ValidatorName, text: string): boolean {
  return VALIDATORS[name](text);
}
