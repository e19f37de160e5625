import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { UserError } from '../../src/errors.js';
import { renderStack, swarmStackFile } from '../../src/render/render.js';
import { startWrapper, STACK_FILE } from '../../src/render/swarm-stack.js';
import { loadTemplates } from '../../src/render/templates.js';
import { buildStackModel } from '../../src/stack/model.js';
import { buildSwarmModel, imagesToInspect, SWARM_STAGES, servicesThrough, type ImageLaunches } from '../../src/stack/swarm.js';
import { fixtureStack, goldenDir } from '../helpers/fixtures.js';

// Whole-file comparisons, as render-golden.test.ts. After an intended change: UPDATE_GOLDEN=1, then review the diff.
const update = process.env.UPDATE_GOLDEN === '1';
const stack = fixtureStack('swarm');
/** What the use case reads from the local engine for the one image mcpgw does not build. */
const LAUNCHES: ImageLaunches = {
  'registry.lan:5000/everything:2026.8.31': { entrypoint: ['docker-entrypoint.sh'], cmd: ['npx', 'server-everything'], labels: {} },
};

function render(yaml = stack.yaml, launches = LAUNCHES) {
  const config = parseConfig(yaml);
  const model = buildStackModel(config);
  const swarm = buildSwarmModel(model, config, launches);
  return { model, swarm, files: renderStack(model, parseSecrets(stack.secrets), loadTemplates(), 'secrets.env', { model: swarm, launches }) };
}

describe('golden render: swarm stack', () => {
  const { files } = render();

  it('renders the stack file and the front door instead of docker-compose.yml', () => {
    const listing = path.join(goldenDir, 'swarm', 'FILES');
    const paths = `${files.map((file) => file.path).join('\n')}\n`;
    if (update) {
      mkdirSync(path.dirname(listing), { recursive: true });
      writeFileSync(listing, paths);
    }
    expect(paths).toBe(readFileSync(listing, 'utf8'));
    expect(paths).not.toContain('docker-compose.yml');
  });

  it.each(files.map((file) => [file.path, file] as const))('%s matches its golden file', (filePath, file) => {
    const golden = path.join(goldenDir, 'swarm', filePath);
    if (update) {
      mkdirSync(path.dirname(golden), { recursive: true });
      writeFileSync(golden, file.content);
    }
    expect(file.content).toBe(readFileSync(golden, 'utf8'));
  });

  it('is byte-identical on re-render', () => {
    expect(render().files).toEqual(files);
  });

  it('holds no secret value in any file but the env files', () => {
    const values = [...parseSecrets(stack.secrets).values()];
    for (const file of files.filter((entry) => !entry.secret)) for (const value of values) expect(file.content, file.path).not.toContain(value);
  });
});

describe('the swarm model', () => {
  const { swarm } = render();
  const service = (name: string) => {
    const found = swarm.services.find((entry) => entry.name === name);
    if (!found) throw new Error(`no service ${name}`);
    return found;
  };

  it('puts every service in a deploy stage: data and tools, then the migration, then the replicas and the front door', () => {
    const stages = Object.fromEntries(SWARM_STAGES.map((stage) => [stage, swarm.services.filter((entry) => entry.stage === stage).map((entry) => entry.name)]));
    expect(stages).toEqual({
      data: ['postgres', 'mcp-everything', 'mcp-notes', 'mcpgw-canary', 'redis'],
      migrate: ['litellm-migrate'],
      serve: ['litellm', 'front-door'],
    });
    expect(servicesThrough(swarm, 'migrate').map((entry) => entry.name)).not.toContain('litellm');
  });

  it('pins what has state or one copy to the data node and spreads the replicas', () => {
    expect(swarm.services.filter((entry) => entry.pinned).map((entry) => entry.name)).toEqual([
      'postgres',
      'mcp-everything',
      'mcp-notes',
      'mcpgw-canary',
      'redis',
      'front-door',
    ]);
    expect(service('litellm').mode).toEqual({ kind: 'replicated', replicas: 3 });
    expect(swarm.frontDoor.slots).toBeGreaterThan(3);
  });

  it('migrates with the image the replicas run, DATABASE_URL its only secret', () => {
    const migrate = service('litellm-migrate');
    expect(migrate.image).toBe(service('litellm').image);
    expect(migrate.entrypoint?.slice(0, 2)).toEqual(['node', '/opt/prisma-engine-shim/migrate-deploy.mjs']);
    expect(migrate.secretEnv.map((env) => env.name)).toEqual(['DATABASE_URL']);
    const other = render(stack.yaml.replace('  build: builtin\n  port: 4000', '  image: ghcr.io/berriai/litellm-database:v1.108.7\n  port: 4000'), {
      ...LAUNCHES,
      'ghcr.io/berriai/litellm-database:v1.108.7': { entrypoint: ['docker/prod_entrypoint.sh'], cmd: ['--port', '4000'], labels: {} },
    });
    const official = other.swarm.services.find((entry) => entry.name === 'litellm-migrate');
    expect([...(official?.entrypoint ?? []), ...(official?.command ?? [])]).toEqual(['litellm', '--skip_server_startup']);
  });

  it('needs the start of an image it does not know, and names it when it is not there', () => {
    const config = parseConfig(stack.yaml);
    expect(imagesToInspect(buildStackModel(config))).toEqual(['registry.lan:5000/everything:2026.8.31']);
    expect(() => render(stack.yaml, {})).toThrow(UserError);
    expect(() => render(stack.yaml, {})).toThrow(/registry\.lan:5000\/everything:2026\.8\.31 \(service mcp-everything\)/);
  });

  it('leaves the compose rendering of a stack without engine: swarm as it was', () => {
    const compose = parseConfig(fixtureStack('canary').yaml);
    expect(JSON.stringify(buildStackModel(compose).litellmConfig)).not.toContain('coordination_redis');
  });
});

describe('the stack file', () => {
  const { files } = render();
  const doc = parse(files.find((file) => file.path === STACK_FILE)?.content ?? '') as {
    services: Record<string, { entrypoint?: string[]; command?: string[]; secrets?: { target: string }[]; ports?: unknown[]; deploy: Record<string, unknown> }>;
    secrets: Record<string, { name: string; file: string }>;
  };

  it('starts every service with secrets through the wrapper, then the image start it would have run', () => {
    const everything = doc.services['mcp-everything'];
    expect(everything?.entrypoint?.[0]).toBe('/bin/sh');
    expect(everything?.entrypoint?.[2]).toContain('/run/secrets/mcp-everything.env');
    expect(everything?.command).toEqual(['docker-entrypoint.sh', 'npx', 'server-everything']);
    expect(everything?.secrets?.[0]?.target).toBe('mcp-everything.env');
    expect(doc.services.litellm?.command?.[0]).toBe('litellm');
    expect(doc.services['front-door']?.entrypoint).toBeUndefined();
  });

  it('publishes the front door alone, on the node that runs it', () => {
    const published = Object.entries(doc.services).filter(([, entry]) => entry.ports);
    expect(published.map(([name]) => name)).toEqual(['front-door']);
    expect(published[0]?.[1].ports).toEqual([{ target: 4000, published: 4000, protocol: 'tcp', mode: 'host' }]);
  });

  it('names each secret by content, keyed so the name tells nothing of the values', () => {
    const again = render(stack.yaml.replace('replicas: 3', 'replicas: 2')).files.find((file) => file.path === STACK_FILE)?.content ?? '';
    expect(again).toContain(doc.secrets['litellm-env']?.name);
    const changed = renderStack(
      render().model,
      parseSecrets(stack.secrets.replace('fixture-everything-token', 'another-token')),
      loadTemplates(),
      'secrets.env',
      { model: render().swarm, launches: LAUNCHES },
    );
    const text = changed.find((file) => file.path === STACK_FILE)?.content ?? '';
    expect(text).not.toContain(doc.secrets['mcp-everything-env']?.name);
    expect(text).toContain(doc.secrets['litellm-env']?.name);
    expect(doc.secrets['litellm-env']?.file).toBe('../env/litellm.env');
  });
});

describe('the stack file of each deploy stage', () => {
  const { swarm, files } = render();
  const secrets = parseSecrets(stack.secrets);
  const stage = (through: (typeof SWARM_STAGES)[number]) =>
    parse(swarmStackFile({ model: swarm, launches: LAUNCHES }, files, secrets, loadTemplates(), through)) as {
      services: Record<string, unknown>;
      secrets: Record<string, { name: string }>;
      configs: Record<string, unknown>;
    };
  const full = parse(files.find((file) => file.path === STACK_FILE)?.content ?? '') as ReturnType<typeof stage>;

  it('carries the services of the stages so far, and only the secrets and configs they use', () => {
    const data = stage('data');
    expect(Object.keys(data.services)).toEqual(['postgres', 'mcp-everything', 'mcp-notes', 'mcpgw-canary', 'redis']);
    expect(Object.keys(data.secrets)).not.toContain('litellm-env');
    expect(Object.keys(data.configs)).not.toContain('litellm-config');
    expect(Object.keys(stage('migrate').services)).toContain('litellm-migrate');
    expect(Object.keys(stage('migrate').services)).not.toContain('litellm');
  });

  it('names what an earlier stage deployed the same way, so a later stage changes nothing of it', () => {
    expect(stage('data').secrets['postgres-env']).toEqual(full.secrets['postgres-env']);
    expect(stage('data').services.postgres).toEqual(full.services.postgres);
    expect(stage('serve')).toEqual(full);
  });
});

describe('the entrypoint wrapper', () => {
  const withFile = (script: string, file: string) => script.replace('/run/secrets/svc.env', file);

  it('exports each line of the env file as it is and runs the image start', async () => {
    const dir = mkdtempSync('/tmp/mcpgw-wrapper-');
    const file = path.join(dir, 'svc.env');
    writeFileSync(file, '# header\n\nA=one two\nB=$HOME `id` \'q\' "d" \\x\nC=tail-without-newline');
    const [shell, flag, script, name] = startWrapper('svc', { envFile: true });
    const result = await execa(shell as string, [
      flag as string,
      withFile(script as string, file),
      name as string,
      'sh',
      '-c',
      'printf "%s|%s|%s" "$A" "$B" "$C"',
    ]);
    expect(result.stdout).toBe('one two|$HOME `id` \'q\' "d" \\x|tail-without-newline');
  });

  it("with a drain, passes the stop signal on only after it, and exits with the start's status", async () => {
    const dir = mkdtempSync('/tmp/mcpgw-wrapper-');
    const marks = path.join(dir, 'marks');
    const [shell, flag, script, name] = startWrapper('svc', { envFile: false, drainSeconds: 2 });
    // The start records when it is ready and when it hears the signal, then exits 7.
    const start = `trap 'echo term >> ${marks}; exit 7' TERM; echo ready >> ${marks}; while :; do sleep 0.1; done`;
    const wrapper = execa(shell as string, [flag as string, script as string, name as string, 'sh', '-c', start], { reject: false });
    while (!existsSync(marks)) await new Promise((resolve) => setTimeout(resolve, 50));
    wrapper.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Halfway through the drain the start still serves, unsignalled.
    expect(readFileSync(marks, 'utf8')).toBe('ready\n');
    const result = await wrapper;
    expect(readFileSync(marks, 'utf8')).toBe('ready\nterm\n');
    expect(result.exitCode).toBe(7);
  });

  it('with a drain, ends with the start when it exits on its own', async () => {
    const [shell, flag, script, name] = startWrapper('svc', { envFile: false, drainSeconds: 30 });
    const result = await execa(shell as string, [flag as string, script as string, name as string, 'sh', '-c', 'exit 3'], { reject: false });
    expect(result.exitCode).toBe(3);
    const ok = await execa(shell as string, [flag as string, script as string, name as string, 'true'], { reject: false });
    expect(ok.exitCode).toBe(0);
  });
});
