#!/usr/bin/env node
// `mcpgw doctor` on a healthy stack (--offline: no LLM call) and on the same stack with every container stopped,
// against `docker ps` measured in the same run. Uses the locally built test images (bash test/stack/prepare.sh
// first). Prints figures and ratios; the targets (1.5 s healthy, 3 s all down) are shown for reference.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { parse } from 'yaml';
import { connectEngine } from '../dist/docker/engine.js';
import { litellmVantage } from '../dist/gateway/vantage.js';
import { buildStackModel, litellmEndpoints, litellmPlace } from '../dist/stack/model.js';
import { configSchema } from '../dist/config/schema.js';
import { bin, manifest, mcpServerYaml, median, stackHeaderYaml, writeStack } from './common.mjs';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const name = `mcpgwbench-doctor-${Date.now().toString(36)}`;
const dir = writeStack(
  'mcpgw-bench-doctor',
  `${stackHeaderYaml(name)}litellm: { image: ${manifest.images.litellmDb}, port: 14620 }
postgres: { image: ${manifest.images.postgres}, network: ${name}-pg }
mcp_servers:
${mcpServerYaml('alpha', 'http', 48620)}${mcpServerYaml('beta', 'sse', 48621)}keys:
  - alias: bench
    mcp_servers: [alpha]
`,
  {
    LITELLM_MASTER_KEY: 'sk-bench-master-000000',
    LITELLM_SALT_KEY: 'sk-bench-salt-000000',
    POSTGRES_PASSWORD: 'benchpassword',
    MCPGW_KEY_BENCH: 'sk-bench-key-0123456789abcdef',
  },
);

/** Wall time of one command; `expect` is the exit code it must end with (doctor exits 1 on a stopped stack). */
function timed(cmd, args, expect = 0) {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== expect) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}, expected ${expect}:\n${result.stdout}\n${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const doctor = (expect) => timed(process.execPath, [bin, '-q', 'doctor', '--offline'], expect);
const dockerPs = () => timed('docker', ['ps']);

/** Interleaves doctor and docker ps so machine noise hits both alike. */
function measure(label, expect, target) {
  doctor(expect); // warm the page cache and the gateway's key cache
  const ours = [];
  const baseline = [];
  for (let i = 0; i < rounds; i++) {
    baseline.push(dockerPs());
    ours.push(doctor(expect));
  }
  const [d, p] = [median(ours), median(baseline)];
  console.log(
    `${label.padEnd(26)} doctor ${d.toFixed(0)} ms (target ${target} ` +
      `ms${d <= target ? '' : ', MISSED on this machine'}), docker ps ${p.toFixed(0)} ms: ` +
      `${(d / p).toFixed(1)}x docker ps`,
  );
}

/**
 * The vantage doctor's mcp.transport (and up, probe, mcp list) rely on: every server asked from inside the LiteLLM
 * container in one exec, against a bare `docker exec <litellm> true`, the least any look from there costs.
 */
async function measureVantage() {
  const model = buildStackModel(configSchema.parse(parse(readFileSync(`${dir}/mcpgw.yaml`, 'utf8'))));
  const engine = await connectEngine(process.env);
  const vantage = litellmVantage(engine, litellmPlace(model), () => 'bench');
  const endpoints = litellmEndpoints(model);
  const execTrue = () => timed('docker', ['exec', litellmPlace(model).container, 'true']);
  const ask = async () => {
    const start = process.hrtime.bigint();
    const answers = await vantage.reach(endpoints, 10_000);
    if (!answers.every((answer) => answer.ok)) throw new Error(`the vantage found a healthy server unusable: ${JSON.stringify(answers)}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  await ask();
  const ours = [];
  const baseline = [];
  for (let i = 0; i < rounds; i++) {
    baseline.push(execTrue());
    ours.push(await ask());
  }
  const [v, b] = [median(ours), median(baseline)];
  console.log(`${'vantage, 2 servers'.padEnd(26)} ${v.toFixed(0)} ms, docker exec true ${b.toFixed(0)} ms: ${(v / b).toFixed(1)}x`);
}

try {
  timed(process.execPath, [bin, '-q', 'up', '--no-probe']);
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`${rounds} rounds each, load average ${load()}`);
  measure('healthy (--offline)', 0, 1500);
  await measureVantage();
  const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=io.mcpgw.stack=${name}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  spawnSync('docker', ['stop', '-t', '2', ...ids], { stdio: 'ignore' });
  measure('all containers stopped', 1, 3000);
} finally {
  spawnSync(process.execPath, [bin, '-q', 'down', '--volumes'], { cwd: dir });
  rmSync(dir, { recursive: true, force: true });
}
