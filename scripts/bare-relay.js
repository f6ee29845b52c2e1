#!/usr/bin/env node
// The baseline for `npm run bench`: a bare line relay that spawns the server
// and only splits and forwards lines, with no scanning. Usage: bare-relay.js CMD [ARGS...]
import { spawn } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
const relay = (from, to) => {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop();
    for (const line of parts) to.write(`${line}\n`);
  });
};
relay(process.stdin, child.stdin);
relay(child.stdout, process.stdout);
process.stdin.on('end', () => child.stdin.end());
child.on('exit', (code) => (process.exitCode = code ?? 1));
