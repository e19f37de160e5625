// vitest globalSetup for the integration tier: prepares the engine and images (prepare.sh), clears
// leftovers of earlier runs, and hands the image names and schema dir to the tests via inject().
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { dockerClient, OWNER_LABEL, ownedByAnotherLiveRun, removeLabelled, TEST_LABEL } from './stack.js';

export interface StackManifest {
  images: {
    base: string;
    postgres: string;
    node: string;
    mcp: string;
    litellm: string;
    litellmDb: string;
    /** The seed's LiteLLM release without a DB (the probe's "too old" case). */
    litellmOld: string;
    /** The same release in DB mode (images/litellm-db at that version): what test/helpers/seed-deployment.ts runs. */
    litellmOldDb: string;
    mcpPython: string;
    postgresMcp: string;
    /** A swarm node: Debian's dockerd in a container (test/stack/images/swarm-node; test/helpers/swarm.ts runs three). */
    swarmNode: string;
  };
  versions: {
    litellm: string;
    litellmOld: string;
    litellmProxyExtras: string;
    serverEverything: string;
    serverMemory: string;
    supergateway: string;
    prismaClientPy: string;
  };
  schemaDir: string;
  /** node_modules/.bin of the real MCP clients (claude, gemini, codex, mcp-remote) at pinned versions. */
  clientsBin: string;
  /** The venv of the real Open WebUI 0.12.4 (bin/open-webui, and bin/python with selenium), test/stack/clients/openwebui.sh. */
  openwebuiVenv: string;
  /** Absolute path of test/stack, for bind mounts and fixtures. */
  stackDir: string;
  /** Value for OWNER_LABEL on every object this run creates (the vitest main process). */
  owner: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mcpgwStack: StackManifest;
  }
}

const stackDir = dirname(fileURLToPath(import.meta.url));
const UNOWNED_GRACE_MS = 30 * 60_000;

function runPrepare(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(stackDir, 'prepare.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => reject(new Error(`could not run test/stack/prepare.sh: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`test/stack/prepare.sh failed (${signal ?? `exit ${code}`}); its output above says why`));
    });
  });
}

/**
 * Vitest loads this module once per project that names it (the integration lanes), all in its main process: the
 * engine, the images and the sweep of leftovers are done once, by whichever lane asks first.
 */
const ONCE = Symbol.for('mcpgw.test.prepared');
type Prepared = Promise<Omit<StackManifest, 'stackDir' | 'owner'>>;

function prepareOnce(): Prepared {
  const memo = globalThis as { [ONCE]?: Prepared };
  memo[ONCE] ??= prepare();
  return memo[ONCE];
}

async function prepare(): Prepared {
  await runPrepare();
  const workDir = process.env.MCPGW_TEST_WORK ?? join(stackDir, '.work');
  const manifest = JSON.parse(await readFile(join(workDir, 'manifest.json'), 'utf8')) as Omit<StackManifest, 'stackDir' | 'owner'>;

  const docker = dockerClient();
  // The engine must answer now; prepare.sh started it. Fail loudly rather than skip.
  await docker.ping();
  // Leftovers of earlier runs. Spared: objects of a run still in progress (another vitest on this
  // engine), and recent objects that carry no owner label (a test that labels only
  // io.mcpgw.test=1 may belong to a run in progress).
  const left = await removeLabelled(
    docker,
    `${TEST_LABEL}=1`,
    (labels, createdMs) => ownedByAnotherLiveRun(labels) || (!(OWNER_LABEL in labels) && Date.now() - createdMs < UNOWNED_GRACE_MS),
  );
  if (left.containers + left.networks > 0) {
    process.stderr.write(`[global-setup] removed leftovers: ${left.containers} containers, ${left.networks} networks\n`);
  }
  return manifest;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const manifest = await prepareOnce();
  const owner = String(process.pid);
  project.provide('mcpgwStack', { ...manifest, stackDir, owner });

  return async () => {
    if (process.env.MCPGW_TEST_KEEP !== '1') await removeLabelled(dockerClient(), `${OWNER_LABEL}=${owner}`);
  };
}
