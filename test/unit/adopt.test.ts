import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { analyse } from '../../src/adopt/analyse.js';
import { hostConfigPath, litellmServiceOf, parseCompose } from '../../src/adopt/compose.js';
import type { KeyRow, Observed } from '../../src/adopt/inventory.js';
import { adoptedFiles, stackName } from '../../src/adopt/write.js';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { hashKey } from '../../src/keys/token.js';
import { compareSchema } from '../../src/litellm/migrations.js';
import { stableServerId } from '../../src/litellm/server-id.js';
import { fixturesDir } from '../helpers/fixtures.js';

const seedDir = path.join(fixturesDir, 'adopt', 'seed');
const composeFile = path.join(seedDir, 'docker-compose.yml');
const envFile = path.join(seedDir, 'secrets', 'litellm.env');
const envValues = parseSecrets(readFileSync(envFile, 'utf8'), envFile);
const NOW = new Date('2026-12-01T00:00:00Z');
/** litellm-proxy-extras' migrations as a 1.77.3 image ships them (the names matter, not their number), all applied. */
const SHIPPED = ['20250326162113_baseline', '20250918083359_drop_spec_version'];
const LEDGER = { present: true, litellmTables: 40, rows: SHIPPED.map((name) => ({ name, finished: true, rolledBack: false })) };
const DB_MAIN_1773 = stableServerId('db_main', { transport: 'sse', url: 'http://mcp-postgres:8080/sse' });

function row(overrides: Partial<KeyRow>): KeyRow {
  return {
    token: 'f'.repeat(64),
    keyAlias: null,
    keyName: null,
    expires: null,
    blocked: null,
    models: [],
    createdBy: null,
    createdAt: new Date('2025-09-21T10:00:00Z'),
    mcpServers: null,
    mcpGroups: [],
    ...overrides,
  };
}

/** The seed as adopt observes it: its files, its running 1.77.3 container, its database and postgres-mcp's 421. */
function seedObserved(): Observed {
  const compose = parseCompose(readFileSync(composeFile, 'utf8'), composeFile);
  const litellm = litellmServiceOf(compose);
  if (!litellm) throw new Error('the seed fixture has no LiteLLM service');
  const configFile = hostConfigPath(litellm) as string;
  const seen = {
    service: 'litellm',
    name: 'litellm',
    image: 'ghcr.io/berriai/litellm:main-latest',
    running: true,
    status: 'running',
    networks: ['postgres-net', 'litellm-mcp-net'],
  };
  return {
    compose,
    litellm,
    containers: [seen],
    litellmContainer: {
      ...seen,
      env: new Map(envValues),
      publishedPort: 4000,
    },
    configFile,
    config: parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>,
    envFiles: [{ file: envFile, values: envValues }],
    version: { version: '1.77.3', source: 'the litellm package installed in the running container' },
    database: {
      where: 'litellm@postgres:5432/litellm',
      database: 'litellm',
      otherDatabases: ['app'],
      keys: [
        // The seed's hand row: SHA-256 of its virtual key, no alias, no creator, no grants.
        row({ token: hashKey(envValues.get('LITELLM_VIRTUAL_KEY_TEST') as string) }),
        // Made through 1.77.3's /key/generate, granted db_main by the id 1.77.3 derived.
        row({
          token: 'a'.repeat(64),
          keyAlias: 'Claude Code',
          keyName: 'sk-...x9z1',
          createdBy: 'default_user_id',
          mcpServers: [DB_MAIN_1773],
          models: ['claude-3-haiku-orchestrator'],
        }),
        row({ token: 'b'.repeat(64), keyAlias: 'old', keyName: 'sk-...0000', createdBy: 'default_user_id', expires: new Date('2025-10-01T00:00:00Z') }),
        row({ token: 'c'.repeat(64), keyAlias: 'banned', createdBy: 'default_user_id', blocked: true, mcpServers: ['gone-server-id'] }),
      ],
      servers: [{ serverId: 'row-1', serverName: 'db_main', alias: null, url: 'http://mcp-postgres:8080/sse', transport: 'sse' }],
      ledger: LEDGER,
      verdict: compareSchema(LEDGER, { names: SHIPPED }),
    },
    reach: new Map([
      [
        'db_main',
        {
          ok: false,
          seen: 'HTTP 421 Invalid Host header',
          status: 421,
          cause: { cause: 'db_main rejects the Host header LiteLLM sends', fix: 'set mcp_servers.db_main.host_header: "localhost:8080"' },
        },
      ],
      [
        'monitoring',
        { ok: false, seen: 'cannot resolve mcp-monitor', cause: { cause: 'LiteLLM cannot resolve mcp-monitor', fix: 'put a name LiteLLM can resolve' } },
      ],
    ]),
  };
}

describe('the seed compose file', () => {
  it('finds LiteLLM, the config.yaml it mounts, its env file and the external networks', () => {
    const compose = parseCompose(readFileSync(composeFile, 'utf8'), composeFile);
    const litellm = litellmServiceOf(compose);
    expect(compose.project).toBe('seed');
    expect(compose.externalNetworks).toEqual(['postgres-net', 'litellm-mcp-net']);
    expect(litellm?.name).toBe('litellm');
    expect(litellm?.containerName).toBe('litellm');
    expect(litellm && hostConfigPath(litellm)).toBe(path.join(seedDir, 'config', 'config.yaml'));
    expect(litellm?.envFiles).toEqual([envFile]);
    expect(litellm?.ports).toEqual([{ published: 4000, target: 4000 }]);
  });
});

describe('adopt analyse', () => {
  const { report, keys } = analyse(seedObserved(), NOW);

  it('names every field the running 1.77.3 and the target ignore, with what to use instead', () => {
    const ignored = (path: string) => report.config.fields.find((field) => field.path === path);
    for (const path of [
      'virtual_keys',
      'litellm_settings.master_key',
      'litellm_settings.database_url',
      'mcp_servers.db_main.api_keys',
      'mcp_servers.db_main.require_approval',
    ])
      expect({ path, ...ignored(path) }).toMatchObject({ path, running: 'ignored', target: 'ignored' });
    expect(ignored('mcp_servers.monitoring.transport')?.why).toMatch(/without transport as http/);
    expect(ignored('mcp_servers.monitoring.api_keys[0]')?.why).toMatch(/never resolved/);
    expect(ignored('mcp_servers.db_main.api_keys[0]')?.why).toMatch(/inside a list is never resolved/);
    expect(ignored('mcp_servers.db_main.url')).toMatchObject({ running: 'honoured', target: 'honoured' });
  });

  it('reports the version, its advisories, no auto-execution on chat completions, and the missing salt key', () => {
    expect(report.litellm).toMatchObject({ version: '1.77.3', autoExecutesChat: false, target: '1.108.7' });
    expect(report.litellm.advisories.map((advisory) => advisory.id)).toContain('CVE-2026-42271');
    expect(report.secrets).toEqual({ masterKey: 'set', saltKey: 'missing' });
    expect(report.findings.some((finding) => /no LITELLM_SALT_KEY/.test(finding.what))).toBe(true);
    expect(report.ok).toBe(true);
  });

  it('lists each key with its grants by server name, the hand row included, and never a value or hash', () => {
    expect(report.keys.map((key) => [key.label, key.handMade, key.grants, key.declared])).toEqual([
      ['key made 2025-09-21T10:00:00.000Z', true, [], true],
      ['Claude Code', false, ['db_main'], true],
      ['old', false, [], false],
      ['banned', false, ['unknown:gone-server-id'], false],
    ]);
    expect(report.keys[0]).toMatchObject({ valueIn: 'LITELLM_VIRTUAL_KEY_TEST', intended: ['db_main', 'monitoring'], noGrant: true });
    const text = JSON.stringify(report);
    for (const value of [...envValues.values(), ...keys.flatMap((key) => (key.row ? [key.row.token] : []))]) expect(text).not.toContain(value);
  });

  it('says the seed server needs host_header and names the other databases on the shared server', () => {
    expect(report.mcpServers.find((server) => server.name === 'db_main')).toMatchObject({ reach: 'fails', hostHeader: 'localhost:8080' });
    expect(report.database?.otherDatabases).toEqual(['app']);
    expect(report.database?.migrationLevel).toBe('all 2 migrations of ghcr.io/berriai/litellm:main-latest applied (newest 20250918083359_drop_spec_version)');
  });

  it("names LiteLLM's publicly known sk-1234, which the target refuses to start with", () => {
    const weak = seedObserved();
    weak.litellmContainer?.env.set('LITELLM_MASTER_KEY', 'sk-1234');
    const judged = analyse(weak, NOW).report;
    expect(judged.secrets.masterKey).toBe('publicly-known');
    expect(judged.findings).toContainEqual(expect.objectContaining({ level: 'warn', what: expect.stringMatching(/1\.108\.7 refuses to start with it/) }));
  });

  it('blocks without a master key or a readable database', () => {
    const observed = seedObserved();
    observed.litellmContainer?.env.delete('LITELLM_MASTER_KEY');
    delete observed.database;
    observed.databaseError = 'Postgres at litellm@postgres:5432/litellm is unreachable (ENOTFOUND)';
    const blocked = analyse(observed, NOW).report;
    expect(blocked.ok).toBe(false);
    expect(blocked.findings.filter((finding) => finding.level === 'blocker').map((finding) => finding.what)).toEqual([
      "LiteLLM's environment has no LITELLM_MASTER_KEY: there is no master key to keep",
      "LiteLLM's database could not be read: Postgres at litellm@postgres:5432/litellm is unreachable (ENOTFOUND)",
    ]);
  });
});

describe('adopt --write mapping', () => {
  const observed = seedObserved();
  const { report, keys } = analyse(observed, NOW);
  const files = adoptedFiles(observed, keys, report, {
    host: 'linuxserver.lan',
    backups: [{ file: composeFile, backup: '/x/adopted/docker-compose.yml', sha256: '0'.repeat(64) }],
    databaseNetwork: 'postgres-net',
    databaseImage: 'postgres:15-alpine',
  });
  const config = parseConfig(files.mcpgwYaml, 'mcpgw.yaml');
  const secrets = new Map(files.secrets);

  it('writes an mcpgw.yaml that loads, describing the deployment as adopted', () => {
    expect(config.adopted).toEqual({ compose_file: composeFile, project: 'seed', litellm_container: 'litellm', litellm_version: '1.77.3' });
    expect(config.postgres).toMatchObject({
      mode: 'external',
      url: 'DATABASE_URL',
      network: 'postgres-net',
      network_external: true,
      database: 'litellm',
      user: 'litellm',
      // The shared server's own image: its pg_dump and psql for backup, restore and the upgrade's rehearsal.
      image: 'postgres:15-alpine',
    });
    expect(config.litellm).toMatchObject({ port: 4000, networks: ['litellm-mcp-net'], master_key: 'LITELLM_MASTER_KEY', salt_key: 'LITELLM_SALT_KEY' });
    // The running LiteLLM did not say which provider it used (seedObserved has no /model/info answer): left as written, with a note.
    expect(config.litellm.models).toEqual([{ name: 'claude-3-haiku-orchestrator', model: 'claude-3-haiku-20240307', api_key: 'ANTHROPIC_API_KEY' }]);
    expect(files.notes.join('\n')).toMatch(/claude-3-haiku-20240307 names no provider and the running LiteLLM did not say which it used/);
    expect(config.mcp_servers.db_main).toMatchObject({ transport: 'sse', url: 'http://mcp-postgres:8080/sse', host_header: 'localhost:8080' });
    expect(config.mcp_servers.monitoring).toMatchObject({ transport: 'http', url: 'http://mcp-monitor:8700/mcp' });
    expect(files.mcpgwYaml).toMatch(/salt_key: none was set, so LiteLLM encrypted the credentials it stores with the master key/);
    expect(files.mcpgwYaml).toMatch(/sha256 0{64}/);
  });

  it("writes a model without a provider prefix with the provider the running LiteLLM resolved (1.108.7's model map lacks retired models)", () => {
    const withProviders = { ...seedObserved(), modelProviders: new Map([['claude-3-haiku-orchestrator', 'anthropic']]) };
    const plan = analyse(withProviders, NOW);
    const written = adoptedFiles(withProviders, plan.keys, plan.report, { host: 'linuxserver.lan', backups: [] });
    expect(parseConfig(written.mcpgwYaml, 'mcpgw.yaml').litellm.models[0]).toMatchObject({ model: 'anthropic/claude-3-haiku-20240307' });
    expect(written.notes).toContain(
      'model claude-3-haiku-orchestrator: claude-3-haiku-20240307 written as anthropic/claude-3-haiku-20240307, the provider the running LiteLLM resolved',
    );
  });

  it('keeps the master key and makes it the salt key', () => {
    expect(secrets.get('LITELLM_MASTER_KEY')).toBe(envValues.get('LITELLM_MASTER_KEY'));
    expect(secrets.get('LITELLM_SALT_KEY')).toBe(envValues.get('LITELLM_MASTER_KEY'));
    expect(secrets.get('DATABASE_URL')).toBe(envValues.get('DATABASE_URL'));
    expect(secrets.get('ANTHROPIC_API_KEY')).toBe(envValues.get('ANTHROPIC_API_KEY'));
  });

  it("turns the seed's intent into grants: by value where an env file has the key, by hash otherwise; expired and blocked keys left out", () => {
    expect(config.keys).toEqual([
      expect.objectContaining({ alias: 'test', secret: 'LITELLM_VIRTUAL_KEY_TEST', mcp_servers: ['db_main', 'monitoring'], models: [] }),
      expect.objectContaining({ alias: 'claude-code', token_sha256: 'a'.repeat(64), mcp_servers: ['db_main'], models: ['claude-3-haiku-orchestrator'] }),
    ]);
    expect(secrets.get('LITELLM_VIRTUAL_KEY_TEST')).toBe(envValues.get('LITELLM_VIRTUAL_KEY_TEST'));
    expect(files.mcpgwYaml).toMatch(/Not declared \(left in the database, never deleted\): old \(expired\), banned \(blocked\)/);
    expect(files.mcpgwYaml).toMatch(/LiteLLM's alias "Claude Code"/);
  });

  it('grants a key without any grant every adopted server, and says why', () => {
    const observedNoIntent = seedObserved();
    (observedNoIntent.config as Record<string, unknown>).virtual_keys = [];
    for (const server of Object.values((observedNoIntent.config as { mcp_servers: Record<string, Record<string, unknown>> }).mcp_servers))
      delete server.api_keys;
    const plan = analyse(observedNoIntent, NOW);
    const written = adoptedFiles(observedNoIntent, plan.keys, plan.report, { host: 'linuxserver.lan', backups: [] });
    expect(parseConfig(written.mcpgwYaml).keys[0]).toMatchObject({ mcp_servers: ['db_main', 'monitoring'] });
    expect(written.mcpgwYaml).toMatch(/had no MCP grant \(every server before 1.80\): granted every adopted server/);
  });

  it('carries a stdio server over as LiteLLM spawns it (inside_litellm), its env as secret names', () => {
    const stdio = seedObserved();
    (stdio.config as { mcp_servers: Record<string, unknown> }).mcp_servers.local_tools = {
      transport: 'stdio',
      command: '/app/tools/run',
      args: ['--mode', 'cli'],
      env: { TOOLS_TOKEN: 'os.environ/ANTHROPIC_API_KEY', MODE: 'plain' },
    };
    const plan = analyse(stdio, NOW);
    const written = adoptedFiles(stdio, plan.keys, plan.report, { host: 'linuxserver.lan', backups: [] });
    expect(parseConfig(written.mcpgwYaml).mcp_servers.local_tools).toMatchObject({
      transport: 'stdio',
      inside_litellm: true,
      command: '/app/tools/run',
      args: ['--mode', 'cli'],
      env: { TOOLS_TOKEN: 'ANTHROPIC_API_KEY', MODE: 'MCP_LOCAL_TOOLS_MODE' },
    });
    expect(new Map(written.secrets).get('MCP_LOCAL_TOOLS_MODE')).toBe('plain');
  });

  it('names the stack after the compose project within mcpgw rules', () => {
    expect(stackName('litellm')).toBe('litellm');
    expect(stackName('My_Project.2')).toBe('my-project-2');
    expect(stackName('123')).toBe('litellm');
  });
});
