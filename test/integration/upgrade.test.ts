import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedServerId } from '../../src/litellm/server-id.js';
import { runCli } from '../helpers/cli.js';
import { gatewayTools } from '../helpers/gateway.js';
import { asOwner, keysRoleClient } from '../helpers/stack-db.js';
import { writeTestStack } from '../helpers/test-stack.js';

/** LiteLLM 1.77.3 in DB mode, built by engineer 1's recipe (the seed's version); the target is the builtin 1.108.7. */
const OLD_IMAGE = 'mcpgw-test/litellm-db:1.77.3';
/**
 * A migration of litellm-proxy-extras 0.4.110 that 0.2.19 (1.77.3) lacks and that a database shared with another
 * application can refuse: it drops the unique index LiteLLM_PromptTable_prompt_id_key, which a foreign key of the
 * other application (schema `reports`) needs. The backup holds LiteLLM's schema only, so the rehearsal passes.
 */
const REFUSED_MIGRATION = '20251119131227_add_prompt_versioning';

const stack = inject('mcpgwStack');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const name = `mcpgwt-${Date.now().toString(36)}-upgrade`;
const PORT = 14540;
const KEY = 'sk-itest-upgrade-declared-9f2a6c1e4b';

let dir = '';

async function ledger(): Promise<{ id: string; migration_name: string; finished_at: Date | null }[]> {
  const client = await keysRoleClient(docker, name, dir);
  try {
    return (await client.query(`SELECT id, migration_name, finished_at FROM "_prisma_migrations" ORDER BY migration_name, started_at`)).rows;
  } finally {
    await client.end();
  }
}

async function litellmContainers(): Promise<{ name: string; image: string; state: string }[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`io.mcpgw.stack=${name}`, 'io.mcpgw.service=litellm'] } });
  return list
    .map((container) => ({ name: (container.Names[0] ?? '').slice(1), image: container.Image, state: container.State }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The key as the old LiteLLM treats it: admitted on an authenticated route (/v1/models answers 200, 401 refused),
 * and the MCP servers its grant row names (1.77.3 has no MCP listing that answers per key the way 1.80+ does).
 */
async function oldKey(key: string): Promise<{ status: number; servers: string[] }> {
  const response = await fetch(`http://127.0.0.1:${PORT}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  const client = await keysRoleClient(docker, name, dir);
  try {
    const { rows } = await client.query<{ mcp_servers: string[] | null }>(
      `SELECT p.mcp_servers FROM "LiteLLM_VerificationToken" v JOIN "LiteLLM_ObjectPermissionTable" p USING (object_permission_id) WHERE v.key_alias = 'claude-code'`,
    );
    return { status: response.status, servers: rows[0]?.mcp_servers ?? [] };
  } finally {
    await client.end();
  }
}

describe('mcpgw upgrade from LiteLLM 1.77.3 (a stack mcpgw made) to the builtin 1.108.7', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-upgrade-'));
    await writeTestStack(dir, {
      name,
      images: { ...stack.images, litellmDb: OLD_IMAGE },
      litellmPort: PORT,
      mcp: { alpha: { transport: 'http', port: 48540 } },
      secrets: { MCPGW_KEY_CLAUDE_CODE: KEY },
      extra: { keys: [{ alias: 'claude-code', mcp_servers: ['alpha'] }] },
    });
    // No probe: mcpgw's probe holds LiteLLM to what 1.80+ does (a key without grants sees nothing; 1.77.3 shows it all).
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(await oldKey(KEY)).toEqual({ status: 200, servers: [pinnedServerId(name, 'alpha')] });
    // The other application: its own schema in LiteLLM's database, a row, and a foreign key on LiteLLM's prompts.
    await asOwner(
      docker,
      name,
      'CREATE SCHEMA reports; CREATE TABLE reports.prompt_usage (prompt_id text CONSTRAINT prompt_usage_prompt_fk REFERENCES public."LiteLLM_PromptTable"(prompt_id), uses int); ' +
        'INSERT INTO reports.prompt_usage VALUES (NULL, 7);',
    );
  }, 300_000);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it('rolls back a migration the real database refuses but the rehearsal accepts: the old version serves, its ledger as before, exit 1', async () => {
    const before = await ledger();
    const yaml = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
    const result = await runCli(['upgrade', '--yes'], { cwd: dir });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/ok +rehearsal: .*1 key\(s\) admitted with their grants/);
    expect(result.stderr).toContain(REFUSED_MIGRATION);
    expect(result.stderr).toMatch(/upgrade failed at migrate and was rolled back, the old LiteLLM serves again/);
    expect(result.stderr).toMatch(/database restored from the verified backup/);
    expect(await ledger()).toEqual(before);
    expect(await litellmContainers()).toEqual([{ name: `${name}-litellm`, image: OLD_IMAGE, state: 'running' }]);
    expect(await oldKey(KEY)).toEqual({ status: 200, servers: [pinnedServerId(name, 'alpha')] });
    expect(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')).toBe(yaml);
    // The other application's row and its foreign key into LiteLLM's table are as they were.
    expect(await asOwner(docker, name, 'SELECT uses FROM reports.prompt_usage')).toBe('7\n');
    expect(await asOwner(docker, name, "SELECT conname FROM pg_constraint WHERE conrelid = 'reports.prompt_usage'::regclass")).toBe('prompt_usage_prompt_fk\n');
  }, 600_000);

  it('upgrades: migrations applied, the old container kept stopped, keys and grants kept, probe green, mcpgw.yaml updated', async () => {
    await asOwner(docker, name, 'ALTER TABLE reports.prompt_usage DROP CONSTRAINT IF EXISTS prompt_usage_prompt_fk');
    // A client asking the gateway all through the upgrade, as the LAN does: through the front door on the port.
    const asked = { ok: 0, failed: [] as string[] };
    let upgrading = true;
    const client = (async () => {
      for (let round = 0; upgrading && round < 5_000; round++) {
        try {
          const answer = await fetch(`http://127.0.0.1:${PORT}/health/liveliness`, { signal: AbortSignal.timeout(10_000) });
          if (answer.ok) asked.ok++;
          else asked.failed.push(`HTTP ${answer.status}`);
        } catch (error) {
          asked.failed.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const result = await runCli(['upgrade', '--yes'], { cwd: dir }).finally(() => (upgrading = false));
    await client;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^upgraded to mcpgw\/litellm-db:1\.108\.7 \(\d+ migration\(s\) applied\)$/m);
    // The front door held the port: the new LiteLLM got ready beside the old one, which left the rotation before it stopped.
    expect(result.stdout).toMatch(/^no downtime: the new LiteLLM was ready in [\d.]+ s beside the old one, the front door serving throughout$/m);
    expect(result.stderr).toMatch(
      /ok +stop old: old LiteLLM taken out of the front door's rotation once the new one was in it, its requests under way finished, then stopped/,
    );
    expect(asked.failed).toEqual([]);
    expect(asked.ok).toBeGreaterThan(10);
    expect(result.stderr).toMatch(/ok +probe: \d+ checks passed end to end/);
    expect(await litellmContainers()).toEqual([
      { name: `${name}-litellm`, image: 'mcpgw/litellm-db:1.108.7', state: 'running' },
      { name: `${name}-litellm-previous`, image: OLD_IMAGE, state: 'exited' },
    ]);
    const names = (await ledger()).map((row) => row.migration_name);
    expect(names).toContain(REFUSED_MIGRATION);
    expect(names).toHaveLength(220);
    expect(await gatewayTools(PORT, KEY)).toEqual(['alpha']);
    const config = parse(await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8')) as { litellm: Record<string, unknown> };
    expect(config.litellm).toMatchObject({ build: 'builtin', port: PORT });
    expect(config.litellm).not.toHaveProperty('image');
    // `up` converges to what now runs: nothing to change.
    const plan = await runCli(['up', '--dry-run'], { cwd: dir });
    expect(plan.stdout).toMatch(/nothing to change/);
  }, 600_000);

  it('is a no-op the second time, refuses a downgrade in its preflight, and `up` leaves a version change to it', async () => {
    const again = await runCli(['upgrade'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^up to date: .*-litellm runs mcpgw\/litellm-db:1\.108\.7/m);
    const before = await ledger();
    const down = await runCli(['upgrade', '--to', OLD_IMAGE, '--yes'], { cwd: dir });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/downgrade refused: the ledger has \d+ migration\(s\) mcpgw-test\/litellm-db:1\.77\.3 does not ship/);
    expect(down.stdout).toMatch(/fix: upgrade to the LiteLLM release that made those migrations/);
    expect(await ledger()).toEqual(before);
    const file = path.join(dir, 'mcpgw.yaml');
    const yaml = await readFile(file, 'utf8');
    await writeFile(file, yaml.replace('build: builtin', `image: ${OLD_IMAGE}`));
    try {
      const up = await runCli(['up'], { cwd: dir });
      expect(up.code).toBe(2);
      expect(up.stderr).toMatch(/`up` does not change LiteLLM's version in place/);
      expect(up.stderr).toMatch(/fix: `mcpgw upgrade`/);
      expect((await litellmContainers()).find((container) => container.name === `${name}-litellm`)?.state).toBe('running');
    } finally {
      await writeFile(file, yaml);
    }
  }, 300_000);
});
