/**
 * A Relay on PassThrough streams (the proxy core's injected-stream design), for
 * in-process tests of decisions: what reached the server, the client and the audit log.
 */
import { PassThrough } from 'node:stream';
import { Relay } from '../../src/proxy/relay.js';
import type { ScanChain } from '../../src/scan/chain.js';
import { AuditLog } from '../../src/log/audit.js';

/** The streams of a {@link pipedRelay} and everything written to its outputs so far. */
export interface PipedRelay {
  readonly relay: Relay;
  /** Resolves when the client's input has ended (`relay.start()`). */
  readonly done: Promise<void>;
  readonly clientIn: PassThrough;
  readonly serverOut: PassThrough;
  /** Text the relay wrote to the server, to the client, and to the audit log. */
  toServer(): string;
  toClient(): string;
  log(): string;
}

/**
 * Start a Relay over `chain` with a JSON audit log (blocked frames always logged;
 * allowed ones when `includeAllowed`), a 1 MiB frame limit and parse errors blocked.
 */
export function pipedRelay(chain: ScanChain, options: { server?: string; includeAllowed?: boolean } = {}): PipedRelay {
  const clientIn = new PassThrough();
  const clientOut = new PassThrough();
  const serverIn = new PassThrough();
  const serverOut = new PassThrough();
  const logStream = new PassThrough();
  let toServer = '';
  let toClient = '';
  let log = '';
  serverIn.on('data', (b: Buffer) => (toServer += b.toString('utf8')));
  clientOut.on('data', (b: Buffer) => (toClient += b.toString('utf8')));
  logStream.on('data', (b: Buffer) => (log += b.toString('utf8')));
  const audit = new AuditLog({ server: options.server ?? 't', format: 'json', toStderr: true, includeAllowed: options.includeAllowed ?? false, includeBlocked: true, stderr: logStream });
  const relay = new Relay({ clientIn, clientOut, serverIn, serverOut, chain, log: audit, maxFrameBytes: 1 << 20, onParseError: 'block' });
  const done = relay.start();
  return { relay, done, clientIn, serverOut, toServer: () => toServer, toClient: () => toClient, log: () => log };
}
