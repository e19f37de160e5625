#!/usr/bin/env node
// `mcpgw upgrade` from LiteLLM 1.77.3 (the seed's, built in DB mode by the test recipes) to the builtin release, on
// this machine's engine. The bar: the gateway's downtime no longer than the new LiteLLM's own start.
// Prints, from the same run: the longest gap in which LiteLLM's published port did not answer /health/liveliness
// (polled every 100 ms from outside), the downtime upgrade measured (old stopped → new ready), the new LiteLLM's
// own start in that cut-over (its container started → ready with its database), and the ratios.
import { spawn, spawnSync } from 'node:child_process';
import { bin, manifest, mcpServerYaml, stackHeaderYaml, writeStack } from './common.mjs';

const OLD_IMAGE = process.env.BENCH_OLD_LITELLM ?? 'mcpgw-test/litellm-db:1.77.3';
const name = 'mcpgwbench-upgrade';
const port = 14203;
const dir = writeStack(
  `mcpgw-bench-${name}`,
  `${stackHeaderYaml(name)}litellm: { image: ${OLD_IMAGE}, port: ${port} }
postgres: { image: ${manifest.images.postgres}, network: ${name}-pg }
mcp_servers:
${mcpServerYaml('everything', 'http', 48203)}`,
  { LITELLM_MASTER_KEY: 'sk-bench-master-000000', LITELLM_SALT_KEY: 'sk-bench-salt-000000', POSTGRES_PASSWORD: 'benchpassword' },
);

async function answers() {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/liveliness`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

try {
  const up = spawnSync(process.execPath, [bin, '-q', 'up', '--no-probe'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`mcpgw up failed:\n${up.stderr}`);
  const child = spawn(process.execPath, [bin, '--json', 'upgrade', '--yes'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ended = new Promise((resolve) => child.on('close', resolve));
  let done = false;
  void ended.then(() => (done = true));
  let longestGap = 0;
  let downSince;
  while (!done) {
    const now = Date.now();
    if (await answers()) {
      if (downSince !== undefined) longestGap = Math.max(longestGap, now - downSince);
      downSince = undefined;
    } else downSince ??= now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if ((await ended) !== 0) throw new Error(`mcpgw upgrade failed:\n${stderr}`);
  const report = JSON.parse(stdout);
  const { downtimeMs } = report.cutover;
  const startMs = report.cutover.ownStartMs;
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`${OLD_IMAGE} → ${report.target.image}, ${report.cutover.migrations} migrations`);
  console.log(`gateway not answering (seen from outside) ${s(longestGap)}; upgrade's downtime ${s(downtimeMs)}; new LiteLLM's own start ${s(startMs)}`);
  console.log(`downtime / own start: ${(downtimeMs / startMs).toFixed(2)}x measured by upgrade, ${(longestGap / startMs).toFixed(2)}x seen from outside`);
} finally {
  spawnSync(process.execPath, [bin, '-q', 'down', '--volumes'], { cwd: dir });
}
