#!/usr/bin/env node
// The only place that exits the process: everything else returns exit codes (see src/cli/main.ts).
import { hostname } from 'node:os';
import { run } from '../dist/cli/main.js';
import { ExitCode } from '../dist/errors.js';
import { processDeps } from '../dist/ops/deps.js';

/** How long a step that does not watch the signal may keep running after Ctrl-C. */
const GRACE_MS = 5000;

const controller = new AbortController();
let reported = false;

function exitInterrupted() {
  if (!reported) process.stderr.write('error: interrupted\n');
  process.exit(ExitCode.interrupted);
}

// One listener for the whole run: removing the last SIGINT listener restores the default action, and a
// Ctrl-C landing in that window would kill the process by signal instead of exiting 130.
process.on('SIGINT', () => {
  if (reported) process.exit(); // the result is out; only the event loop was still draining
  if (controller.signal.aborted) exitInterrupted(); // a second Ctrl-C ends the run at once
  controller.abort();
  setTimeout(exitInterrupted, GRACE_MS).unref();
});

const code = await run(process.argv.slice(2), processDeps(hostname, controller.signal));
reported = true;
process.exitCode = code;
