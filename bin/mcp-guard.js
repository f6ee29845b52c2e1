#!/usr/bin/env node
// mcp-guard: a transparent security proxy for MCP stdio servers.
//
// Exit codes:
//   0    success (and, for `proxy`, the server exited with 0)
//   N    `proxy`: the server's own exit code N; 128 + signal number if it was killed by a signal
//   1    `scan`: at least one frame was blocked; `assess`: a stdio server is unwrapped or the config is invalid;
//        `secrets get|rm`: no secret of that name
//   2    usage error, invalid config, invalid rule pack, refused --env, bad input
//   127  `proxy`: the server command could not be started (not found, not executable)
import { run } from '../dist/cli/program.js';

process.exitCode = await run(process.argv.slice(2));
