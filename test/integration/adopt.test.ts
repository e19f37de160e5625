import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { runCli } from '../helpers/cli.js';
import { SEED_SERVER, seedSecrets, startSeedDeployment, type SeedDeployment } from '../helpers/seed-deployment.js';
import { dockerClient } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();

/**
 * `mcpgw adopt` against a deployment stood up by hand like the seed's (LiteLLM 1.77.3 in its own compose project, a
 * shared Postgres with a second application, postgres-mcp over SSE answering 421, keys inserted by hand and made
 * through /key/generate). One deployment for every case: adopt must leave it exactly as it found it.
 */
describe('mcpgw adopt on a seed-like deployment', () => {
  let seed: SeedDeployment;
  let work = '';
  const env = () => ({ ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}) });

  /** What must not change: each container's id, start time and restarts, LiteLLM's key rows, the other app, the files. */
  async function fingerprint(): Promise<unknown> {
    const containers = await Promise.all(
      [seed.litellmContainer, seed.mcpContainer, seed.postgresContainer].map(async (name) => {
        const info = await docker.getContainer(name).inspect();
        return [name, info.Id, info.State.Status, info.State.StartedAt, info.RestartCount];
      }),
    );
    const rows = await seed.sql(`SELECT md5(string_agg(t::text, '|' ORDER BY t.token)) AS keys FROM "LiteLLM_VerificationToken" t`);
    const files = await Promise.all([seed.composeFile, seed.configFile, seed.secretsFile].map(async (file) => [file, (await stat(file)).mtimeMs]));
    return { containers, keys: rows.rows[0]?.keys, otherApp: await seed.otherApp.checksum(), files };
  }

  beforeAll(async () => {
    seed = await startSeedDeployment({ stack });
    work = await mkdtemp(path.join(tmpdir(), 'mcpgw-adopt-'));
  });

  afterAll(async () => {
    await seed?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reads the deployment without changing anything, in one JSON document naming what it found', async () => {
    const before = await fingerprint();
    const result = await runCli(['--json', 'adopt', seed.dir], { cwd: work, env: env() });
    expect(await fingerprint()).toEqual(before);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    // How long it took is bench:adopt's to measure; here only that it is reported.
    expect(report.elapsed_ms).toBeGreaterThan(0);
    expect(report.litellm).toMatchObject({ container: seed.litellmContainer, version: seed.litellmVersion, running: true, autoExecutesChat: false });
    expect(report.litellm.advisories.length).toBeGreaterThan(0);
    const ignored = report.config.fields.filter((field: { running: string }) => field.running === 'ignored').map((field: { path: string }) => field.path);
    expect(ignored).toEqual(
      expect.arrayContaining([
        'virtual_keys',
        `mcp_servers.${SEED_SERVER}.api_keys`,
        `mcp_servers.${SEED_SERVER}.require_approval`,
        'litellm_settings.master_key',
      ]),
    );
    expect(report.mcpServers.find((server: { name: string }) => server.name === SEED_SERVER)).toMatchObject({
      reach: 'fails',
      hostHeader: expect.stringMatching(/^localhost:\d+$/),
    });
    expect(report.secrets).toEqual({ masterKey: 'set', saltKey: 'missing' });
    expect(report.database.otherDatabases).toContain(seed.otherApp.database);
    const keys = report.keys as { handMade: boolean; inDatabase: boolean; valueIn?: string }[];
    expect(keys.filter((key) => key.inDatabase && key.handMade)).toHaveLength(2);
    expect(keys.filter((key) => key.inDatabase && !key.handMade).length).toBeGreaterThanOrEqual(1);
    expect(keys.some((key) => key.valueIn === 'LITELLM_VIRTUAL_KEY_TEST')).toBe(true);
    for (const value of seedSecrets(seed)) expect(result.stdout + result.stderr).not.toContain(value);
  });

  it('--write describes it in an mcpgw.yaml that loads, secrets 0600, every live key declared with its grants', async () => {
    const before = await fingerprint();
    const result = await runCli(['adopt', seed.dir, '--write'], { cwd: work, env: env() });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await fingerprint()).toEqual(before);
    for (const value of seedSecrets(seed)) expect(result.stdout + result.stderr).not.toContain(value);
    const loaded = await loadConfig(path.join(work, 'mcpgw.yaml'));
    expect((await stat(loaded.secretsFile)).mode & 0o777).toBe(0o600);
    expect(loaded.config.adopted).toMatchObject({ project: seed.project, litellm_container: seed.litellmContainer, litellm_version: seed.litellmVersion });
    expect(loaded.config.postgres).toMatchObject({ mode: 'external', network: seed.postgresNetwork, network_external: true });
    expect(loaded.config.mcp_servers[SEED_SERVER]).toMatchObject({ transport: 'sse', host_header: expect.stringMatching(/^localhost:\d+$/) });
    expect(loaded.config.litellm.networks).toContain(seed.mcpNetwork);
    const written = parseSecrets(await readFile(loaded.secretsFile, 'utf8'));
    expect(written.get('LITELLM_SALT_KEY')).toBe(seed.masterKey);
    expect(written.get('LITELLM_MASTER_KEY')).toBe(seed.masterKey);
    // Each key: by value where the env file has it, else by hash; all granted the seed's server.
    expect(loaded.config.keys.length).toBeGreaterThanOrEqual(3);
    for (const key of loaded.config.keys) expect(key.mcp_servers).toContain(SEED_SERVER);
    expect(loaded.config.keys.filter((key) => key.secret === 'LITELLM_VIRTUAL_KEY_TEST')).toHaveLength(1);
    expect(loaded.config.keys.filter((key) => key.token_sha256 !== undefined).length).toBeGreaterThanOrEqual(2);
    expect(await readFile(path.join(work, 'adopted', 'docker-compose.yml'), 'utf8')).toBe(await readFile(seed.composeFile, 'utf8'));
  });
});
