// test/helpers/seed-deployment.ts reproduces the seed (shared/seed/): LiteLLM 1.77.3 in DB mode in a compose project
// written by hand, a shared Postgres with a second application, keys made by hand and through the API, postgres-mcp
// over SSE. One deployment for all cases; each case checks one thing the adopt/upgrade tests rely on.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEED_MODEL, type SeedDeployment, startSeedDeployment } from '../helpers/seed-deployment.js';
import { clearUpstreamRequests, upstreamRequests } from '../helpers/upstream.js';
import { execIn } from '../helpers/stack-db.js';
import { dockerClient } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe(`a deployment like the seed's (LiteLLM ${stack.versions.litellmOld}, by hand)`, () => {
  let seed: SeedDeployment;
  let otherAppAtStart = '';

  beforeAll(async () => {
    seed = await startSeedDeployment({ stack, docker });
    otherAppAtStart = await seed.otherApp.checksum();
  }, 600_000);

  afterAll(async () => {
    if (seed && process.env.MCPGW_TEST_KEEP !== '1') await seed.stop();
  });

  const chat = (key: string, body: Record<string, unknown>) =>
    fetch(`${seed.litellmUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: SEED_MODEL, ...body }),
    });

  it('runs 1.77.3 from its compose project with the database connected and 0.2.19 migrations in the ledger', async () => {
    const ready = await fetch(`${seed.litellmUrl}/health/readiness`);
    expect(await ready.json()).toMatchObject({ db: 'connected', litellm_version: '1.77.3' });
    const container = await docker.getContainer(seed.litellmContainer).inspect();
    expect(container.Config.Labels).toMatchObject({
      'com.docker.compose.project': seed.project,
      'com.docker.compose.service': 'litellm',
      'com.docker.compose.project.working_dir': seed.dir,
      'com.docker.compose.project.config_files': seed.composeFile,
    });
    expect(container.Config.Image).toBe(stack.images.litellmOldDb);
    const ledger = await seed.sql(`SELECT count(*)::int AS n, max(migration_name) AS newest FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`);
    expect(ledger.rows[0]).toEqual({ n: 35, newest: '20250918083359_drop_spec_version_column_from_mcp_table' });
    // The seed's secrets file: 0600, no salt key (LiteLLM then encrypts with the master key).
    expect((await stat(seed.secretsFile)).mode & 0o777).toBe(0o600);
    const secrets = await readFile(seed.secretsFile, 'utf8');
    expect(secrets).toMatch(/^LITELLM_VIRTUAL_KEY_TEST=sk-/m);
    expect(secrets).not.toContain('LITELLM_SALT_KEY');
  });

  it('admits the master key and every known key, and refuses an unknown one', async () => {
    const models = (key: string) => fetch(`${seed.litellmUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((res) => res.status);
    expect({
      master: await models(seed.masterKey),
      seedTest: await models(seed.keys.seedTest),
      handRow: await models(seed.keys.handRow),
      viaApi: await models(seed.keys.viaApi),
      unknown: await models(`sk-${randomBytes(24).toString('hex')}`),
    }).toEqual({ master: 200, seedTest: 200, handRow: 200, viaApi: 200, unknown: 401 });
  });

  it('holds every key as a SHA-256 token row, the hand rows as the seed inserted them', async () => {
    const rows = await seed.sql(`SELECT token, key_alias, models FROM "LiteLLM_VerificationToken" WHERE token = ANY($1) ORDER BY key_alias NULLS FIRST`, [
      [seed.keys.handRow, seed.keys.viaApi, seed.keys.seedTest].map(sha256),
    ]);
    expect(rows.rows).toEqual([
      { token: sha256(seed.keys.handRow), key_alias: null, models: [] },
      { token: sha256(seed.keys.viaApi), key_alias: 'claude-code', models: [SEED_MODEL] },
      { token: sha256(seed.keys.seedTest), key_alias: 'test-key', models: [SEED_MODEL] },
    ]);
  });

  it("stops at finish_reason tool_calls with the seed's key: 1.77.3 executes no MCP tool on chat completions", async () => {
    await clearUpstreamRequests(seed.llm);
    // The seed's own request: its tool offered as a function; Claude calls it and LiteLLM hands the call back.
    const res = await chat(seed.keys.seedTest, {
      messages: [{ role: 'user', content: 'Call the tool postgres_list_databases' }],
      tools: [{ type: 'function', function: { name: 'postgres_list_databases', parameters: { type: 'object', properties: {} } } }],
    });
    const json = (await res.json()) as { choices: { finish_reason: string; message: { tool_calls?: { function: { name: string } }[] } }[] };
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.choices[0]?.finish_reason).toBe('tool_calls');
    expect(json.choices[0]?.message.tool_calls?.map((call) => call.function.name)).toEqual(['postgres_list_databases']);
    expect(await upstreamRequests(seed.llm)).toHaveLength(1);
  });

  it("passes LiteLLM's MCP tool to the model as Anthropic's own MCP connector instead of running it", async () => {
    // 1.77.3 has no MCP loop on chat completions (1.80.10): its Anthropic transformation maps a `type: mcp` tool to the
    // Messages API's `mcp_servers` connector (llms/anthropic/chat/transformation.py, _map_openai_mcp_server_tool) with
    // the beta header, so the model provider itself would have to reach "litellm_proxy". The fixture has no connector:
    // it sees no tool at all and answers text; nothing reaches db_main.
    await clearUpstreamRequests(seed.llm);
    const res = await chat(seed.keys.seedTest, {
      messages: [{ role: 'user', content: 'Call the tool list_schemas' }],
      tools: [{ type: 'mcp', server_label: 'db_main', server_url: 'litellm_proxy', require_approval: 'never' }],
    });
    const json = (await res.json()) as { choices: { finish_reason: string; message: { tool_calls?: unknown[] } }[] };
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.choices[0]?.finish_reason).toBe('stop');
    expect(json.choices[0]?.message.tool_calls).toBeUndefined();
    const upstream = await upstreamRequests(seed.llm);
    expect(upstream.map((request) => request.path)).toEqual(['/v1/messages']);
    expect(upstream[0]?.headers['anthropic-beta']).toContain('mcp-client-2025-04-04');
    expect(upstream[0]?.body).toMatchObject({ tools: [], mcp_servers: [{ type: 'url', url: 'litellm_proxy', name: 'db_main' }] });
  });

  it("reaches postgres-mcp from LiteLLM only to be refused: 421 for its Host (the seed's hidden failure)", async () => {
    const probe = `import urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://mcp-postgres:8080/sse", timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)`;
    const { code, output } = await execIn(docker, seed.litellmContainer, ['python', '-c', probe]);
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: '421' });
  });

  it("keeps the other application's database, its role and rows", async () => {
    const tables = await seed.sql(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`, [], seed.otherApp.database);
    expect(tables.rows.map((row) => row.tablename)).toEqual(seed.otherApp.tables);
    const owner = await seed.sql(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [seed.otherApp.database]);
    expect(owner.rows[0]?.owner).toBe(seed.otherApp.role);
    expect(await seed.otherApp.checksum()).toBe(otherAppAtStart);
  });
});
