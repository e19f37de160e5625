// `mcpgw upgrade` from LiteLLM 1.77.3 (the seed's, built in DB mode by the test recipes) to the builtin release, on
// this machine's engine, in the two places a user starts from. The bar: the gateway's downtime no longer than
// the new LiteLLM's own start.
// - a stack mcpgw made: its front door holds the port, the new LiteLLM starts beside the old one;
// - the seed-like deployment made by hand (test/helpers/seed-deployment.ts), adopted (`adopt --write`): its old
//   LiteLLM holds the port itself, so the front door takes the port over once the old one stopped.
// Prints, from the same run, for each: the longest gap in which the published port did not answer
// /health/liveliness within 1 s (polled every 100 ms from outside), the downtime upgrade measured (none when a front
// door served throughout), the new LiteLLM's own start (its container started → ready with its database), and the
// ratios. Needs the test images (test/stack/prepare.sh); run through vite-node: `npm run bench:upgrade`.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSeedDeployment } from '../test/helpers/seed-deployment.js';
import type { StackManifest } from '../test/stack/global-setup.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/mcpgw.js');
const work = process.env.MCPGW_TEST_WORK ?? path.join(root, 'test/stack/.work');
const stack: StackManifest = {
  ...(JSON.parse(readFileSync(path.join(work, 'manifest.json'), 'utf8')) as Omit<StackManifest, 'stackDir' | 'owner'>),
  stackDir: path.join(root, 'test/stack'),
  owner: String(process.pid),
};
const OLD_IMAGE = process.env.BENCH_OLD_LITELLM ?? stack.images.litellmOldDb;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health/liveliness`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** Runs `mcpgw --json upgrade --yes` in `cwd` while polling `url` from outside; prints the scenario's line. */
async function measure(scenario: string, cwd: string, url: string): Promise<void> {
  const child = spawn(process.execPath, [bin, '--json', 'upgrade', '--yes'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
  let done = false;
  void ended.then(() => (done = true));
  let longestGap = 0;
  let downSince: number | undefined;
  while (!done) {
    const now = Date.now();
    if (await answers(url)) {
      if (downSince !== undefined) longestGap = Math.max(longestGap, now - downSince);
      downSince = undefined;
    } else downSince ??= now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if ((await ended) !== 0) throw new Error(`mcpgw upgrade failed:\n${stderr}`);
  const report = JSON.parse(stdout) as { target: { image: string }; cutover: { migrations: number; downtimeMs?: number; ownStartMs: number } };
  const { downtimeMs, ownStartMs, migrations } = report.cutover;
  console.log(`${scenario}: ${OLD_IMAGE} → ${report.target.image}, ${migrations} migrations`);
  console.log(
    `  gateway not answering (seen from outside) ${s(longestGap)}; upgrade's downtime ${downtimeMs === undefined ? 'none (the front door served throughout)' : s(downtimeMs)}; ` +
      `new LiteLLM's own start ${s(ownStartMs)}`,
  );
  console.log(
    `  downtime / own start: ${((downtimeMs ?? 0) / ownStartMs).toFixed(2)}x measured by upgrade, ${(longestGap / ownStartMs).toFixed(2)}x seen from outside`,
  );
}

/** A stack mcpgw made on the old LiteLLM: loopback only, its own networks, one MCP server. */
async function madeByMcpgw(): Promise<void> {
  const name = 'mcpgwbench-upgrade';
  const port = 14203;
  const dir = mkdtempSync(path.join(tmpdir(), `mcpgw-bench-${name}-`));
  writeFileSync(
    path.join(dir, 'mcpgw.yaml'),
    `version: 1
name: ${name}
host: localhost
bind: 127.0.0.1
secrets: ./secrets.env
network: ${name}-mcp
litellm: { image: ${OLD_IMAGE}, port: ${port} }
postgres: { image: ${stack.images.postgres}, network: ${name}-pg }
mcp_servers:
  everything:
    transport: http
    image: ${stack.images.mcp}
    command: [mcp-server-everything, streamableHttp]
    environment: { PORT: "48203" }
    port: 48203
`,
  );
  writeFileSync(
    path.join(dir, 'secrets.env'),
    'LITELLM_MASTER_KEY=sk-bench-master-000000\nLITELLM_SALT_KEY=sk-bench-salt-000000\nPOSTGRES_PASSWORD=benchpassword\n',
  );
  chmodSync(path.join(dir, 'secrets.env'), 0o600);
  try {
    const up = spawnSync(process.execPath, [bin, '-q', 'up', '--no-probe'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (up.status !== 0) throw new Error(`mcpgw up failed:\n${up.stderr}`);
    await measure('a stack mcpgw made (front door on the port)', dir, `http://127.0.0.1:${port}`);
  } finally {
    spawnSync(process.execPath, [bin, '-q', 'down', '--volumes'], { cwd: dir });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The seed-like deployment made by hand, adopted into a fresh folder: its old LiteLLM publishes the port itself. */
async function adoptedByHand(): Promise<void> {
  const seed = await startSeedDeployment({ stack });
  const dir = mkdtempSync(path.join(tmpdir(), 'mcpgw-bench-adopted-'));
  try {
    const adopt = spawnSync(process.execPath, [bin, '-q', 'adopt', seed.dir, '--write'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (adopt.status !== 0) throw new Error(`mcpgw adopt --write failed:\n${adopt.stderr}`);
    await measure('the seed-like deployment, adopted (its LiteLLM on the port)', dir, seed.litellmUrl);
  } finally {
    spawnSync(process.execPath, [bin, '-q', 'down'], { cwd: dir });
    spawnSync('docker', ['rm', '-f', `${seed.litellmContainer}-previous`], { stdio: 'ignore' });
    await seed.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await madeByMcpgw();
await adoptedByHand();
