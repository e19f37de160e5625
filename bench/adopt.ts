// `mcpgw adopt` (read-only) on a deployment stood up by hand like the seed's (test/helpers/seed-deployment.ts:
// LiteLLM 1.77.3 in its compose project, shared Postgres, postgres-mcp over SSE, hand-inserted keys), against
// `docker ps` measured in the same run. Issue 24's goal: under 5 s. Needs the test images (test/stack/prepare.sh),
// run through vite-node (the helper is TypeScript): `npm run bench:adopt`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSeedDeployment } from '../test/helpers/seed-deployment.js';
import type { StackManifest } from '../test/stack/global-setup.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/mcpgw.js');
const work = process.env.MCPGW_TEST_WORK ?? path.join(root, 'test/stack/.work');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const stack: StackManifest = {
  ...(JSON.parse(readFileSync(path.join(work, 'manifest.json'), 'utf8')) as Omit<StackManifest, 'stackDir' | 'owner'>),
  stackDir: path.join(root, 'test/stack'),
  owner: String(process.pid),
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Wall time of one command, which must exit 0; returns its stdout too. */
function timed(cmd: string, args: string[], cwd: string): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, stdout: result.stdout };
}

const seed = await startSeedDeployment({ stack });
try {
  const adopt = () => timed(process.execPath, [bin, '-q', '--json', 'adopt', seed.dir], seed.root);
  adopt(); // warm the page cache and LiteLLM's python imports
  const wall: number[] = [];
  const inside: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < rounds; i++) {
    baseline.push(timed('docker', ['ps'], seed.root).ms);
    const run = adopt();
    wall.push(run.ms);
    inside.push((JSON.parse(run.stdout) as { elapsed_ms: number }).elapsed_ms);
  }
  const [w, a, p] = [median(wall), median(inside), median(baseline)];
  console.log(
    `adopt (read-only, seed-like deployment): ${w.toFixed(0)} ms wall, ${a.toFixed(0)} ms after start-up ` +
      `(goal 5000 ms${w <= 5000 ? '' : ', MISSED on this machine'}); docker ps ${p.toFixed(0)} ms: ${(w / p).toFixed(1)}x docker ps`,
  );
} finally {
  await seed.stop();
}
