/**
 * Text reports of setup and remove, for people: per file, what was wrapped,
 * skipped and left alone; then a summary and the restart reminder.
 */
import type { FileReport, ItemReport, ItemStatus } from './apply.js';
import { tildify } from './paths.js';
import type { Launcher } from './wrap.js';

const LABELS: Record<ItemStatus, string> = {
  wrapped: 'wrapped',
  'already-wrapped': 'already wrapped',
  'env-added': 'already wrapped, --env added',
  remote: 'left alone (remote)',
  invalid: 'skipped (invalid)',
  'read-only': 'skipped (edit by hand)',
  restored: 'restored',
  unwrapped: 'unwrapped in place',
  'not-wrapped': 'not wrapped',
  unrecorded: 'left wrapped (no record)',
  'secrets-kept': 'left wrapped (secrets in store)',
};

function label(item: ItemReport): string {
  const where = item.scope === 'local' ? ` [${item.container[1] ?? ''}]` : '';
  return `${item.name}${where}${item.status === 'remote' ? ` (${item.transport})` : ''}`;
}

function count(reports: readonly FileReport[], status: ItemStatus): number {
  return reports.reduce((n, r) => n + r.items.filter((i) => i.status === status).length, 0);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Options of {@link formatChangeReport}. */
export interface ChangeReportOptions {
  readonly action: 'setup' | 'remove';
  readonly dryRun: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Names of the agents covered, for the restart reminder and the "nothing found" line. */
  readonly clientNames: readonly string[];
}

/** The per-file report, the summary and the restart reminder, as text ending in a newline. */
export function formatChangeReport(reports: readonly FileReport[], o: ChangeReportOptions): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.client.name}  ${tildify(r.file, o.env)}${r.changed ? '' : '  (unchanged)'}`);
    if (r.error !== undefined) lines.push(`  error: ${r.error}`);
    const groups = new Map<ItemStatus, ItemReport[]>();
    for (const item of r.items) groups.set(item.status, [...(groups.get(item.status) ?? []), item]);
    for (const [status, items] of groups) lines.push(`  ${LABELS[status].padEnd(22)} ${items.map(label).join(', ')}`);
    for (const item of r.items) if (item.note !== undefined && item.status !== 'read-only' && item.status !== 'invalid') lines.push(`  note: ${item.name}: ${item.note}`);
    lines.push('');
  }
  if (reports.length === 0) lines.push(`No MCP config file found for ${o.clientNames.join(', ')}.`);
  const files = reports.filter((r) => r.changed).length;
  const errors = reports.filter((r) => r.error !== undefined).length;
  const verb = o.dryRun ? 'would change' : 'changed';
  if (o.action === 'setup') {
    lines.push(
      `Wrapped ${plural(count(reports, 'wrapped'), 'server')} (${verb} ${plural(files, 'file')}); ` +
        `${count(reports, 'already-wrapped') + count(reports, 'env-added')} already wrapped` +
        `${count(reports, 'env-added') > 0 ? ` (${count(reports, 'env-added')} now pass their env block)` : ''}; ${count(reports, 'remote')} remote left alone (mcp-guard protects stdio servers only)` +
        `${count(reports, 'read-only') + count(reports, 'invalid') > 0 ? `; ${count(reports, 'read-only') + count(reports, 'invalid')} skipped` : ''}.`,
    );
  } else {
    lines.push(`Restored ${plural(count(reports, 'restored'), 'server')} exactly, unwrapped ${count(reports, 'unwrapped')} in place (${verb} ${plural(files, 'file')}).`);
    const kept = count(reports, 'unrecorded');
    if (kept > 0) lines.push(`${plural(kept, 'server')} left wrapped: setup has no record of wrapping them; use --include-unrecorded to unwrap them too.`);
    const stored = count(reports, 'secrets-kept');
    if (stored > 0) lines.push(`${plural(stored, 'server')} left wrapped with references to the secret store; run remove --restore-secrets to write the values back inline.`);
  }
  if (errors > 0) lines.push(`${plural(errors, 'file')} could not be processed; see the errors above.`);
  if (o.dryRun) lines.push('Dry run: nothing was written.');
  else if (files > 0) {
    const names = [...new Set(reports.filter((r) => r.changed).map((r) => r.client.name))];
    lines.push(`Restart ${names.join(', ')} (or reload its MCP servers) so the change takes effect.`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A warning when the launcher would not outlive this run: mcp-guard started
 * from npx's cache, whose directory npm may delete at any time.
 */
export function launcherWarning(launcher: Launcher): string | undefined {
  const path = [launcher.command, ...launcher.args].find((p) => /[\\/]_npx[\\/]/.test(p));
  if (path === undefined) return undefined;
  return `warning: mcp-guard is running from npx's cache (${path}); wrapped servers would stop working when npm clears it. Install it globally from a checkout (npm install -g ., or npm pack and npm install -g ./mcp-guard-<version>.tgz) and run setup from there.\n`;
}
