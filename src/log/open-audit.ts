/**
 * Open the proxy's audit log from the config: the one place that turns
 * `logging.*` into {@link AuditOptions}, for `runProxy` and `runRemote` alike.
 */
import { createHash } from 'node:crypto';
import { GuardError } from '../errors.js';
// A cycle (program → proxy-command → run-proxy → here), read only when a proxy runs, after every module has loaded.
import { VERSION } from '../cli/program.js';
import type { GuardConfig } from '../config/normalize.js';
import { canonicalJson } from '../scan/drift.js';
import { AuditLog } from './audit.js';

/**
 * Open the audit log (`logging.*`) for one server identity.
 * @param stderr the stream used for "stderr" (fd 2 when it is `process.stderr`)
 * @param secrets values to mask in free-form messages (read at each message)
 * @throws GuardError `CONFIG_INVALID` when the log file or directory cannot be opened (names it and why)
 */
export function openAuditLog(config: GuardConfig, server: string, stderr: NodeJS.WritableStream, secrets: () => readonly string[]): AuditLog {
  try {
    return new AuditLog({
      server,
      format: config.logging.format,
      toStderr: config.logging.toStderr,
      file: config.logging.file,
      includeAllowed: config.logging.includeAllowed,
      includeBlocked: config.logging.includeBlocked,
      stderr: stderr === process.stderr ? undefined : stderr,
      secrets,
      audit: config.logging.audit,
      version: VERSION,
      configHash: createHash('sha256').update(canonicalJson(config)).digest('hex'),
    });
  } catch (err) {
    throw new GuardError('CONFIG_INVALID', `cannot open audit log ${config.logging.file ?? config.logging.audit.dir ?? ''}: ${(err as Error).message}`);
  }
}
