// Issue 24 end to end, on one deployment like the seed's (test/helpers/seed-deployment.ts: LiteLLM 1.77.3 by hand, a
// Postgres shared with another application, keys inserted as SHA-256 rows and made through /key/generate, the seed's
// config.yaml, postgres-mcp over SSE answering 421 to a non-localhost Host): the user's flow of README's "Taking over a
// deployment you already run" and "Upgrading LiteLLM" (`mcpgw adopt <dir> --write` in a fresh folder, then
// `mcpgw upgrade --yes` to the builtin LiteLLM), and then the seed's own goal: its original key, a chat completion with
// LiteLLM's MCP tool on db_main, the tool executed by LiteLLM and the answer at finish_reason "stop".
// The cases run in order on the one deployment (a LiteLLM start is expensive); each later case needs the earlier ones.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SEED_MODEL, SEED_SERVER, type SeedDeployment, seedSecrets, startSeedDeployment } from '../helpers/seed-deployment.js';
import { clearUpstreamRequests, upstreamRequests } from '../helpers/upstream.js';
import { dockerClient } from '../stack/stack.js';

const stack = inject('mcpgwStack');
const docker = dockerClient();
const TARGET = `mcpgw/litellm-db:${stack.versions.litellm}`;

describe(`the seed's deployment taken over by mcpgw and upgraded from LiteLLM ${stack.versions.litellmOld} to ${stack.versions.litellm}`, () => {
  let seed: SeedDeployment;
  let work = '';
  let otherAppAtStart = '';
  const env = () => ({ ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}) });
  const cli = (argv: string[]) => runCli(argv, { cwd: work, env: env() });

  /** The containers that ran or run LiteLLM 1.77.3 and its successor, by name. */
  async function litellmContainers(): Promise<{ name: string; image: string; state: string }[]> {
    const list = await docker.listContainers({ all: true });
    return list
      .map((container) => ({ name: (container.Names[0] ?? '').slice(1), image: container.Image, state: container.State }))
      .filter((container) => container.name.startsWith(seed.litellmContainer))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  beforeAll(async () => {
    seed = await startSeedDeployment({ stack, docker });
    work = await mkdtemp(path.join(tmpdir(), 'mcpgw-takeover-'));
    otherAppAtStart = await seed.otherApp.checksum();
  }, 600_000);

  afterAll(async () => {
    if (process.env.MCPGW_TEST_KEEP === '1') return;
    // mcpgw's own LiteLLM (made by upgrade, labelled with the adopted stack's name) and the kept old one go with the rest.
    if (work) await cli(['down']).catch(() => undefined);
    for (const container of seed ? await litellmContainers() : [])
      await docker
        .getContainer(container.name)
        .remove({ force: true })
        .catch(() => undefined);
    await seed?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('adopts the deployment into mcpgw.yaml in a fresh folder, then upgrades it: old container kept stopped, downtime printed', async () => {
    const adopt = await cli(['adopt', seed.dir, '--write']);
    expect(adopt.code, adopt.stdout + adopt.stderr).toBe(0);
    const upgrade = await cli(['upgrade', '--yes']);
    expect(upgrade.code, upgrade.stdout + upgrade.stderr).toBe(0);
    expect(upgrade.stdout).toMatch(new RegExp(`^upgraded to ${TARGET.replaceAll('.', '\\.')} \\(\\d+ migration\\(s\\) applied\\)$`, 'm'));
    // The 1.77.3 container held the port itself: the new LiteLLM got ready beside it, then the front door took the port
    // over once it stopped (bench/upgrade.ts measures how long that takes against the new LiteLLM's own start).
    expect(upgrade.stdout, upgrade.stdout).toMatch(
      /^downtime [\d.]+ s \(the old LiteLLM held the port itself, so the front door took it over once it stopped\); the new LiteLLM's own start [\d.]+ s \([\d.]+x\)$/m,
    );
    expect(upgrade.stderr).toMatch(/ok +start new: .* \(ready in [\d.]+ s, the old LiteLLM serving meanwhile\)/);
    expect(upgrade.stderr).toMatch(/ok +front door: front door started on LiteLLM's port/);
    expect(upgrade.stderr).toMatch(/ok +probe: \d+ checks passed end to end/);
    for (const value of seedSecrets(seed)) expect(adopt.stdout + adopt.stderr + upgrade.stdout + upgrade.stderr).not.toContain(value);
    // The 1.77.3 container is kept, stopped and renamed, never removed; mcpgw's LiteLLM serves on the same port.
    expect(await litellmContainers()).toEqual([
      { name: seed.litellmContainer, image: TARGET, state: 'running' },
      { name: `${seed.litellmContainer}-previous`, image: seed.litellmImage, state: 'exited' },
    ]);
    const ready = (await (await fetch(`${seed.litellmUrl}/health/readiness`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ db: 'connected' });
  }, 900_000);

  it("executes LiteLLM's MCP tool on db_main with the seed's original key and ends at finish_reason stop", async () => {
    await clearUpstreamRequests(seed.llm);
    const res = await fetch(`${seed.litellmUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seed.keys.seedTest}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: SEED_MODEL,
        messages: [{ role: 'user', content: 'Call the tool list_schemas, then reply with exactly what it returned.' }],
        tools: [{ type: 'mcp', server_label: SEED_SERVER, server_url: `litellm_proxy/mcp/${SEED_SERVER}`, require_approval: 'never' }],
      }),
    });
    const json = (await res.json()) as { choices?: { finish_reason: string; message: { content: string | null; tool_calls?: unknown[] } }[] };
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(json.choices?.[0]?.finish_reason, JSON.stringify(json)).toBe('stop');
    // postgres-mcp's list_schemas ran against the other application's database: its answer names the public schema.
    const answer = json.choices?.[0]?.message.content ?? '';
    expect(answer).toMatch(/Tool result: .*public/s);
    // The model's two turns: the first offered the tool and got the call back, LiteLLM executed it and sent its result.
    const turns = (await upstreamRequests(seed.llm)).filter((request) => request.method === 'POST');
    expect(turns).toHaveLength(2);
    const second = JSON.stringify(turns[1]?.body);
    expect(second).toMatch(/list_schemas/);
    expect(second).toMatch(/tool_result|"role":"tool"/);
    expect(second).toMatch(/public/);
  }, 120_000);

  it('admits every old key with the servers it was meant to have: db_main lists its tools to each', async () => {
    const listed: Record<string, { code: number; tools: boolean }> = {};
    for (const [name, key] of Object.entries(seed.keys)) {
      const file = path.join(work, `.key-${name}`);
      await writeFile(file, `${key}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
      const result = await cli(['--json', 'mcp', 'tools', SEED_SERVER, '--key-file', file]);
      await rm(file);
      const view = JSON.parse(result.stdout) as { tools?: { name: string }[]; failures?: unknown[] };
      listed[name] = { code: result.code, tools: (view.tools ?? []).some((tool) => /list_schemas$/.test(tool.name)) };
      expect(view.failures, `${name}: ${result.stdout}`).toEqual([]);
      for (const value of seedSecrets(seed)) expect(result.stdout + result.stderr).not.toContain(value);
    }
    expect(listed).toEqual({ seedTest: { code: 0, tools: true }, handRow: { code: 0, tools: true }, viaApi: { code: 0, tools: true } });
  }, 180_000);

  it("leaves the other application's database untouched", async () => {
    expect(await seed.otherApp.checksum()).toBe(otherAppAtStart);
  });

  it('is a no-op the second time', async () => {
    const again = await cli(['upgrade', '--yes']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^up to date: .*runs ${TARGET.replaceAll('.', '\\.')}`, 'm'));
    expect((await litellmContainers()).map((container) => [container.name, container.state])).toEqual([
      [seed.litellmContainer, 'running'],
      [`${seed.litellmContainer}-previous`, 'exited'],
    ]);
    // `up` converges to what now runs: nothing to change.
    const plan = await cli(['up', '--dry-run']);
    expect(plan.stdout, plan.stdout + plan.stderr).toMatch(/nothing to change/);
  }, 300_000);

  it('leaves doctor no failure about the database, the keys or the config', async () => {
    const result = await cli(['--json', 'doctor', '--only', 'database', 'keys', 'config']);
    const report = JSON.parse(result.stdout) as { checks: { id: string; status: string }[] };
    expect(
      report.checks.filter((check) => check.status === 'fail'),
      result.stdout,
    ).toEqual([]);
    // Each area was really judged, not skipped for a missing prerequisite.
    for (const area of ['database', 'keys', 'config']) {
      expect(report.checks.filter((check) => check.id.startsWith(`${area}.`) && check.status === 'pass').length, `${area}: ${result.stdout}`).toBeGreaterThan(
        0,
      );
    }
    expect(result.code, result.stdout).toBe(0);
  }, 300_000);
});
