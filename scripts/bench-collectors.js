#!/usr/bin/env node
// Loopback collectors for scripts/bench-audit.js, in their own process so their
// work does not sit in the timing loop: a TCP syslog receiver and an OTLP/HTTP
// receiver that read and discard everything. Prints {"syslog":PORT,"otlp":PORT}
// on stdout, then runs until its stdin ends.
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';

const syslog = createServer((s) => s.on('data', () => {}).on('error', () => {}));
const otlp = createHttpServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? '').includes('json') ? 'application/json' : 'application/x-protobuf' });
    res.end(String(req.headers['content-type'] ?? '').includes('json') ? '{}' : '');
  });
});
await Promise.all([new Promise((r) => syslog.listen(0, '127.0.0.1', r)), new Promise((r) => otlp.listen(0, '127.0.0.1', r))]);
process.stdout.write(`${JSON.stringify({ syslog: syslog.address().port, otlp: otlp.address().port })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
