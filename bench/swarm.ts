// The gateway on a real 3-node swarm (test/helpers/swarm.ts), LiteLLM × 2 behind the front door:
// - the front door's overhead: the p50 of GET /health/liveliness through the front door against the same request
//   straight to a replica, both timed from inside a LiteLLM replica (one vantage, the same overlay network);
// - failed requests during a rolling change (a config change, 4 clients each opening an MCP session, calling a tool
//   and closing it, throughout `mcpgw up`);
// - failed requests and the time until `mcpgw probe` is green again after a node that runs a replica is killed.
// Needs the test images (test/stack/prepare.sh); `npm run bench:swarm` (about 10 min here).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import { startLoad } from '../test/helpers/mcp-load.js';
import { startSwarm } from '../test/helpers/swarm.js';
import { writeSwarmStack } from '../test/helpers/swarm-stack.js';
import type { StackManifest } from '../test/stack/global-setup.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/mcpgw.js');
const work = process.env.MCPGW_TEST_WORK ?? path.join(root, 'test/stack/.work');
const manifest = JSON.parse(readFileSync(path.join(work, 'manifest.json'), 'utf8')) as Omit<StackManifest, 'stackDir' | 'owner'>;
const userKey = 'sk-bench-swarm-user-0123456789';

function mcpgw(args: string[], cwd: string): { code: number; stdout: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  return { code: result.status ?? 1, stdout: result.stdout };
}

/** mcpgw while the load runs in this process: a spawnSync would stop its requests for the command's whole run. */
function mcpgwBeside(args: string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** p50 in ms of `rounds` GETs of each URL, timed by python inside the container (the LiteLLM image has it). */
function timedInside(docker: Dockerode, container: string, urls: string[], rounds: number): Promise<number[]> {
  const script = [
    'import sys, time, urllib.request',
    'out = []',
    'for url in sys.argv[2:]:',
    '    samples = []',
    '    for _ in range(int(sys.argv[1])):',
    '        t = time.perf_counter(); urllib.request.urlopen(url, timeout=10).read(); samples.append((time.perf_counter() - t) * 1000)',
    '    samples.sort(); out.append(samples[len(samples) // 2])',
    'print(" ".join(f"{v:.3f}" for v in out))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    docker
      .getContainer(container)
      .exec({ Cmd: ['python3', '-c', script, String(rounds), ...urls], AttachStdout: true, AttachStderr: true })
      .then((exec) => exec.start({ hijack: true, stdin: false }))
      .then((stream) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const text = Buffer.concat(chunks).toString('latin1');
          const numbers = text.match(/[\d.]+ [\d.]+/)?.[0];
          if (!numbers) reject(new Error(`timing failed: ${text}`));
          else resolve(numbers.split(' ').map(Number));
        });
      }, reject);
  });
}

const swarm = await startSwarm({ image: manifest.images.swarmNode, owner: String(process.pid) });
const dir = mkdtempSync(path.join(tmpdir(), 'mcpgw-bench-swarm-'));
let stopped: string | undefined;
try {
  const manager = swarm.nodes[0];
  if (!manager) throw new Error('no manager node');
  const gateway = await writeSwarmStack(dir, { name: 'benchswarm', images: manifest.images, swarm, userKey });
  const started = Date.now();
  if (mcpgw(['-q', 'up'], dir).code !== 0) throw new Error('up failed');
  console.log(`up on 3 nodes (images loaded, 2 replicas): ${((Date.now() - started) / 1000).toFixed(0)} s`);

  // Front door against a direct replica, from inside replica 1: the front door's name and the other replica's address.
  const status = JSON.parse(mcpgw(['--json', 'status'], dir).stdout) as { services: { service: string; node?: string }[] };
  const nodeName = status.services.find((entry) => entry.service === 'litellm')?.node;
  const node = swarm.nodes.find((entry) => entry.name === nodeName);
  if (!node) throw new Error('no replica node');
  const nodeDocker = swarm.engine(node);
  const [task] = (await nodeDocker.listContainers({ filters: { label: ['com.docker.swarm.service.name=benchswarm_litellm'] } })) as { Id: string }[];
  if (!task) throw new Error('no replica container on its node');
  const [viaFrontDoor, direct] = await timedInside(
    nodeDocker,
    task.Id,
    ['http://front-door:4000/health/liveliness', 'http://127.0.0.1:4000/health/liveliness'],
    200,
  );
  console.log(
    `front door: GET /health/liveliness p50 ${viaFrontDoor?.toFixed(2)} ms through it, ${direct?.toFixed(2)} ms straight to a replica: ` +
      `${((viaFrontDoor ?? 0) / (direct ?? 1)).toFixed(2)}x`,
  );

  const config = readFileSync(path.join(dir, 'mcpgw.yaml'), 'utf8');
  writeFileSync(path.join(dir, 'mcpgw.yaml'), config.replace(/replicas: 2\n/, 'replicas: 2\n  key_cache_ttl: 30\n'));
  const rolling = startLoad({ baseUrl: gateway, key: userKey, tool: 'alpha-echo', workers: 4, maxSessions: 10_000, maxMs: 600_000 });
  const rollStarted = Date.now();
  const rolled = await mcpgwBeside(['-q', 'up'], dir);
  const roll = await rolling.stop();
  console.log(
    `rolling change (2 replicas, up exit ${rolled}, ${((Date.now() - rollStarted) / 1000).toFixed(0)} s): ` +
      `${roll.failed} of ${roll.requests} requests failed (${roll.sessions} sessions)`,
  );
  for (const failure of roll.failures.slice(0, 3)) console.log(`  failed: ${failure}`);

  const victim = swarm.nodes.find((entry) => entry.name !== manager.name && entry.name === nodeName) ?? swarm.nodes[2];
  if (!victim) throw new Error('no node to lose');
  const losing = startLoad({ baseUrl: gateway, key: userKey, tool: 'alpha-echo', workers: 4, maxSessions: 10_000, maxMs: 300_000 });
  const lost = Date.now();
  // A power cut, not a shutdown: the node's tasks get no graceful stop.
  stopped = victim.name;
  await swarm.stopNode(victim.name, 0);
  let recovered = Number.NaN;
  while (Date.now() - lost < 300_000) {
    if ((await mcpgwBeside(['-q', 'probe', '--no-llm'], dir)) === 0) {
      recovered = Date.now() - lost;
      break;
    }
  }
  const loss = await losing.stop();
  console.log(
    `node loss (${victim.name} killed): probe green again after ${(recovered / 1000).toFixed(1)} s; ${loss.failed} of ${loss.requests} requests failed`,
  );
  for (const failure of loss.failures.slice(0, 3)) console.log(`  failed: ${failure}`);
} finally {
  // The stopped node back, so `down` reaches every node's volumes.
  if (stopped) await swarm.startNode(stopped).catch(() => undefined);
  mcpgw(['-q', 'down', '--volumes'], dir);
  await swarm.teardown();
  rmSync(dir, { recursive: true, force: true });
}
