/** `mcp-guard scan [FILE|-]`: replay a recorded transcript through the chain. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { GuardError, ExitCode } from '../errors.js';
import { loadConfig } from '../config/load.js';
import type { ScanChain } from '../scan/chain.js';
import { Replayer, parseRecord } from '../proxy/transcript.js';
import type { CliIO } from './io.js';

const EXAMPLES = `
Input: JSON Lines, one record per frame: {"from":"client"|"server","message":<JSON-RPC object>}
(the format written by \`mcp-guard proxy --record FILE\`).

Output: one verdict per input line:
  {"index":N,"action":"allow"|"block"|"warn"|"redact"|"ask","findings":[{"rule","category","path","transform"?}]}
  ("ask": the live proxy would have asked the person, through MCP elicitation)

Exit status: 1 if any line was blocked or asks for approval, 0 if none, 2 on bad input (the line number is given).

Examples:
  $ mcp-guard scan session.jsonl
  $ mcp-guard scan -c stricter.yaml - < session.jsonl`;

/**
 * Replay `input` and write verdicts to `out`.
 * @returns exit code: 1 if any line was blocked or asks (nobody answers a replay), else 0
 * @throws GuardError `INPUT_INVALID` naming the first bad line
 */
export async function scanTranscript(input: NodeJS.ReadableStream, out: NodeJS.WritableStream, chain: ScanChain): Promise<number> {
  const replay = new Replayer(chain);
  let blocked = false;
  let n = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    const verdict = replay.next(parseRecord(line, n));
    if (verdict.action === 'block' || verdict.action === 'ask') blocked = true;
    out.write(`${JSON.stringify(verdict)}\n`);
  }
  return blocked ? ExitCode.FINDINGS : ExitCode.OK;
}

/** Register `scan`. */
export function registerScanCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('scan')
    .description('replay recorded MCP traffic through the scanner chain')
    .argument('[file]', 'transcript file, or - for stdin', '-')
    .option('-c, --config <file>', 'config file')
    .option('--name <name>', 'server identity, for the per-server parts of guard_policy (as proxy --name)')
    .addHelpText('after', EXAMPLES)
    .action(async (file: string, opts: { config?: string; name?: string }) => {
      const { config, warnings } = loadConfig({ path: opts.config, env: io.env, cwd: io.cwd });
      for (const w of warnings) io.stderr.write(`mcp-guard: warning: ${w}\n`);
      // Loaded here, not at the top: `proxy` shares this module list and must not pay for the chain before it spawns.
      const { ScanChain } = await import('../scan/chain.js');
      const chain = new ScanChain({ config, env: io.env, server: opts.name, cwd: io.cwd });
      let input: NodeJS.ReadableStream = io.stdin;
      if (file !== '-') {
        const stream = createReadStream(file);
        await new Promise<void>((ok, fail) => {
          stream.once('open', () => ok());
          stream.once('error', (e: NodeJS.ErrnoException) => fail(new GuardError('INPUT_INVALID', `cannot read ${file}: ${e.code ?? e.message}`)));
        });
        input = stream;
      }
      setExit(await scanTranscript(input, io.stdout, chain));
    });
}
