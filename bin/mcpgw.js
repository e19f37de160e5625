#!/usr/bin/env node
// The only place that exits the process: everything else returns exit codes (see src/cli/main.ts).
import { hostname } from 'node:os';
import { run } from '../dist/cli/main.js';
import { processDeps } from '../dist/cli/deps.js';

const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  // A second Ctrl-C, or a step that ignores the signal, still ends the run promptly.
  process.once('SIGINT', () => process.exit(130));
  setTimeout(() => process.exit(130), 5000).unref();
});

const code = await run(process.argv.slice(2), processDeps(hostname, controller.signal));
process.exitCode = code;
