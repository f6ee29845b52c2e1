/**
 * The text form of an assessment: one table per config file, mcp-guard's own
 * state, the summary line and the grade with its deductions. Colour (ANSI)
 * only when asked, i.e. when stdout is a TTY and NO_COLOR is unset.
 */
import type { Assessment, AssessedServer, ConfigStatus } from './assess.js';
import { sep } from 'node:path';
import { homeDir, tildify } from './paths.js';

type Paint = (code: number, s: string) => string;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function table(rows: readonly string[][], indent: string): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.replace(ANSI, '').length)));
  return rows.map((row) => indent + row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - c.replace(ANSI, '').length + 2))).join('').trimEnd());
}

function serverRow(s: AssessedServer, paint: Paint): string[] {
  const wrapped = s.kind !== 'stdio' ? paint(2, '-') : s.wrapped ? paint(32, s.config !== null ? `yes (-c ${s.config})` : 'yes') : paint(31, 'NO');
  const riskColour = s.risk.level === 'high' ? 31 : s.risk.level === 'medium' ? 33 : 2;
  const risk = paint(riskColour, s.risk.category !== undefined ? `${s.risk.level} (${s.risk.category})` : s.risk.level);
  const stored = s.storedSecrets.length > 0 ? `stored: ${s.storedSecrets.map((x) => (x.present === false ? paint(31, `${x.variable} (MISSING)`) : paint(32, x.variable))).join(', ')}` : '';
  const inline = s.secrets.length === 0 ? '' : paint(31, s.secrets.map((x) => `${x.location} ${x.masked}`).join(', '));
  const secrets = [inline, stored].filter((x) => x !== '').join('; ') || '-';
  const name = s.scope === 'local' ? `${s.name} [${s.section[1] ?? ''}]` : s.name;
  return [name, s.scope, s.kind === 'invalid' ? 'invalid' : s.transport, wrapped, risk, secrets];
}

function configLine(c: ConfigStatus, env: NodeJS.ProcessEnv, paint: Paint): string {
  const where = c.path === null ? 'built-in defaults' : `${tildify(c.path, env)} (${c.via})`;
  if (!c.valid) return `${where}: ${paint(31, 'INVALID')}: ${c.problems.join('; ')}`;
  const enforcing = c.enforce === true ? paint(32, `enforcing (${c.mode ?? ''})`) : paint(33, `audit-only (mode ${c.mode ?? ''})`);
  return `${where}: valid, ${enforcing}${c.warnings.length > 0 ? `; ${c.warnings.length} warning(s)` : ''}`;
}

/** Render an assessment for people. @param color use ANSI colours */
export function formatAssessment(a: Assessment, options: { color: boolean; env: NodeJS.ProcessEnv }): string {
  const paint: Paint = (code, s) => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [];
  for (const f of a.files) {
    out.push(paint(1, `${f.clientName}  ${tildify(f.file, options.env)}  (${f.scope})`));
    if (f.error !== undefined) out.push(`  ${paint(31, 'cannot read')}: ${f.error}`);
    const rows = a.servers.filter((s) => s.file === f.file && s.client === f.client).map((s) => serverRow(s, paint));
    if (rows.length === 0 && f.error === undefined) out.push('  (no servers)');
    else if (rows.length > 0) out.push(...table([['NAME', 'SCOPE', 'TRANSPORT', 'WRAPPED', 'RISK', 'SECRETS'].map((h) => paint(2, h)), ...rows], '  '));
    out.push('');
  }
  if (a.files.length === 0) out.push('No MCP config file found.', '');
  const g = a.guard;
  const rules = g.rules.error !== undefined ? `${paint(31, 'FAILED')}: ${g.rules.error}` : `${g.rules.loaded} loaded (${g.rules.dlp} dlp, ${g.rules.injection} injection, ${g.rules.toolPoisoning} tool-poisoning)`;
  const pins = g.pinStore.present ? `${tildify(g.pinStore.path, options.env)}: present, mode ${g.pinStore.mode ?? '?'}${g.pinStore.writableByOthers === true ? paint(31, ' (writable by others)') : ''}` : `${tildify(g.pinStore.path, options.env)}: not created yet`;
  out.push(paint(1, 'mcp-guard'));
  out.push(...table([['config', configLine(g.configs[0] as ConfigStatus, options.env, paint)], ...g.configs.slice(1).map((c) => ['', configLine(c, options.env, paint)]), ['rules', rules], ['pin store', pins]], '  '));
  out.push('');
  out.push(`Summary: ${a.summary.line}`);
  const gradeColour = a.grade.letter === 'A' ? 32 : a.grade.letter === 'B' || a.grade.letter === 'C' ? 33 : 31;
  out.push(`Grade: ${paint(gradeColour, a.grade.letter)} (${a.grade.score}/100)`);
  const home = homeDir(options.env) + sep;
  for (const d of a.grade.deductions) out.push(`  -${String(d.points).padEnd(3)} ${d.reason.split(home).join(`~${sep}`)}`);
  return `${out.join('\n')}\n`;
}
