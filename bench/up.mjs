#!/usr/bin/env node
// `mcpgw up` against `docker compose up -d --wait` on the same rendered files, on this machine's engine,
// with the locally built test images (bash test/stack/prepare.sh first). Prints ratios, never pass/fail times.
//   warm: both stacks already running, nothing to change (target: mcpgw ≤ 1.05× compose)
//   cold: from nothing to healthy (compose waits on healthchecks; mcpgw on real readiness)
//   down: `mcpgw down --volumes` against `docker compose down -v`, both with their default stop timeout (target ≤ 1.2×)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { bin, manifest, mcpServerYaml, median, stackHeaderYaml, writeStack } from './common.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const litellmImage = manifest.images.litellmDb ?? manifest.images.litellm;

function stackDir(name, litellmPort, mcpPort) {
  return writeStack(
    `mcpgw-bench-${name}`,
    `${stackHeaderYaml(name)}litellm: { image: ${litellmImage}, port: ${litellmPort} }
postgres: { image: ${manifest.images.postgres}, network: ${name}-pg }
mcp_servers:
${mcpServerYaml('everything', 'http', mcpPort)}`,
    { LITELLM_MASTER_KEY: 'sk-bench-master-000000', LITELLM_SALT_KEY: 'sk-bench-salt-000000', POSTGRES_PASSWORD: 'benchpassword' },
  );
}

function timed(cmd, args, cwd) {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const mcpgw = stackDir('mcpgwbench-a', 14201, 48201);
const compose = stackDir('mcpgwbench-b', 14202, 48202);
// compose has no end-to-end probe, so mcpgw skips its own for a like-for-like comparison (bench:probe times it).
const mcpgwUp = () => timed(process.execPath, [bin, '-q', 'up', '--no-probe'], mcpgw);
const mcpgwDown = () => timed(process.execPath, [bin, '-q', 'down', '--volumes'], mcpgw);
const composeUp = () => timed('docker', ['compose', 'up', '-d', '--wait'], compose);
const composeDown = () => timed('docker', ['compose', 'down', '-v'], compose);

try {
  timed(process.execPath, [bin, 'render'], compose);
  const cold = { mcpgw: [], compose: [] };
  const warm = { mcpgw: [], compose: [] };
  const down = { mcpgw: [], compose: [] };
  for (let i = 0; i < rounds; i++) {
    cold.compose.push(composeUp());
    cold.mcpgw.push(mcpgwUp());
    warm.compose.push(composeUp());
    warm.mcpgw.push(mcpgwUp());
    down.compose.push(composeDown());
    down.mcpgw.push(mcpgwDown());
  }
  for (const [label, samples, ours, theirs] of [
    ['warm (no change)', warm, 'mcpgw up', 'compose up --wait'],
    ['cold (from nothing)', cold, 'mcpgw up', 'compose up --wait'],
    ['down (with volumes)', down, 'mcpgw down', 'compose down -v'],
  ]) {
    const a = median(samples.mcpgw);
    const b = median(samples.compose);
    console.log(`${label.padEnd(20)} ${ours} ${a.toFixed(0)} ms, ${theirs} ${b.toFixed(0)} ms: ${(a / b).toFixed(2)}x`);
  }
} finally {
  spawnSync(process.execPath, [bin, '-q', 'down', '--volumes'], { cwd: mcpgw });
  spawnSync('docker', ['compose', 'down', '-v', '-t', '2'], { cwd: compose });
  rmSync(mcpgw, { recursive: true, force: true });
  rmSync(compose, { recursive: true, force: true });
}
