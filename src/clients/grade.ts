/**
 * The grade of an assessment: 100 points, minus a stated number for each
 * problem, so every lost point has a reason the user can act on.
 */
import type { AssessedFile, AssessedServer, GuardStatus } from './assess.js';

/** Points lost, and why. */
export interface Deduction {
  readonly points: number;
  readonly reason: string;
}

/** A letter, the score out of 100 and the deductions behind it (largest first). */
export interface Grade {
  readonly letter: 'A' | 'B' | 'C' | 'D' | 'F';
  readonly score: number;
  readonly deductions: readonly Deduction[];
}

/** Points lost per problem. */
export const PENALTY = {
  unwrapped: { high: 25, medium: 15, low: 10 },
  invalidConfig: 40,
  rulesBroken: 40,
  noDlpRules: 20,
  auditOnly: 20,
  inlineSecrets: 10,
  missingSecret: 25,
  remote: 5,
  unreadableFile: 10,
  pinStoreOpen: 10,
} as const;

function where(s: AssessedServer): string {
  return `${s.name} (${s.clientName}, ${s.file}${s.section.length > 1 ? ` ${s.section.join('.')}` : ''})`;
}

/**
 * Compute the grade. Pure: the same inputs give the same grade.
 * @param secretStore how the secret store is named in reasons (its description)
 */
export function gradeAssessment(files: readonly AssessedFile[], servers: readonly AssessedServer[], guard: GuardStatus, secretStore = 'the secret store'): Grade {
  const d: Deduction[] = [];
  for (const s of servers) {
    if (s.kind === 'stdio' && !s.wrapped) {
      const risk = s.risk.category !== undefined ? `${s.risk.level}-risk (${s.risk.category})` : `${s.risk.level}-risk`;
      d.push({ points: PENALTY.unwrapped[s.risk.level], reason: `${where(s)} is not wrapped: a ${risk} server runs unprotected` });
    }
    if (s.kind === 'remote') d.push({ points: PENALTY.remote, reason: `${where(s)} is a remote (${s.transport}) server: mcp-guard protects stdio servers only` });
    if (s.secrets.length > 0) {
      // A stored secret (`--env NAME=secret:…`) costs nothing; an inline one costs points and names its fix.
      const list = s.secrets.map((x) => `${x.location} ${x.rule} ${x.masked}`).join(', ');
      const movable = s.kind === 'stdio' && s.secrets.some((x) => x.location.startsWith('env.'));
      const fix = movable
        ? `run \`mcp-guard ${s.client} setup --move-secrets\` to move them to the secret store`
        : s.kind === 'stdio'
          ? `pass them as environment variables, then run \`mcp-guard ${s.client} setup --move-secrets\``
          : 'keep them in the environment or a secret store';
      d.push({ points: PENALTY.inlineSecrets, reason: `${where(s)} has secrets written inline (${list}): ${fix}` });
    }
  }
  for (const s of servers) {
    for (const x of s.storedSecrets.filter((y) => y.present === false)) {
      d.push({ points: PENALTY.missingSecret, reason: `${where(s)} names secret:${x.store} for ${x.variable}, which is not in ${secretStore}: the proxy will refuse to start it (mcp-guard secrets set ${x.store})` });
    }
  }
  for (const f of files) {
    if (f.error !== undefined) d.push({ points: PENALTY.unreadableFile, reason: `${f.file} could not be read, its servers are unknown: ${f.error}` });
  }
  for (const c of guard.configs) {
    const name = c.path ?? 'built-in defaults';
    if (!c.valid) d.push({ points: PENALTY.invalidConfig, reason: `mcp-guard config ${name} is invalid: the proxy refuses to start with it (${c.problems[0] ?? ''})` });
    else if (c.enforce === false) d.push({ points: PENALTY.auditOnly, reason: `mcp-guard config ${name} is audit-only (mode ${c.mode ?? '?'}): findings are logged, never blocked` });
  }
  if (guard.rules.error !== undefined) d.push({ points: PENALTY.rulesBroken, reason: `rule packs do not load: ${guard.rules.error}` });
  else if (guard.rules.dlp === 0) d.push({ points: PENALTY.noDlpRules, reason: 'no DLP rules are loaded: secrets in arguments, and inline secrets in these configs, go undetected' });
  if (guard.pinStore.writableByOthers === true) {
    d.push({ points: PENALTY.pinStoreOpen, reason: `pin store ${guard.pinStore.path} has mode ${guard.pinStore.mode ?? '?'}: other users can change the pins (chmod 600)` });
  }
  d.sort((a, b) => b.points - a.points);
  const score = Math.max(0, 100 - d.reduce((n, x) => n + x.points, 0));
  const letter = score >= 90 ? 'A' : score >= 80 ? 'B' : score >= 70 ? 'C' : score >= 60 ? 'D' : 'F';
  return { letter, score, deductions: d };
}
