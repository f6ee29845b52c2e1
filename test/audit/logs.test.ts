/**
 * AuditLog.logs(action) is what the relay asks before building an allowed frame's
 * decision event (issue 11 hot path). Both it and decision() must follow the
 * documented rule: an allowed frame is logged iff include_allowed, a warned one
 * always, any other (redact, filter, block, drop) iff include_blocked.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/log/audit.js';

const ACTIONS = ['allow', 'warn', 'redact', 'filter', 'block', 'drop'] as const;

describe('AuditLog.logs', () => {
  for (const includeAllowed of [false, true]) {
    for (const includeBlocked of [false, true]) {
      it(`follows the include rule, as decision() does, with include_allowed ${includeAllowed}, include_blocked ${includeBlocked}`, () => {
        const lines: string[] = [];
        const stderr = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString('utf8')), done()) });
        const log = new AuditLog({ server: 't', format: 'json', toStderr: true, includeAllowed, includeBlocked, stderr });
        for (const action of ACTIONS) {
          const before = lines.length;
          log.decision({ direction: 'client-to-server', method: 'tools/call', id: 1, action, findings: [], scanUs: 1 });
          const expected = action === 'allow' ? includeAllowed : action === 'warn' || includeBlocked;
          expect({ action, logs: log.logs(action), wrote: lines.length > before }).toEqual({ action, logs: expected, wrote: expected });
        }
      });
    }
  }
});
