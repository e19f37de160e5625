import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { databaseUrl, hostReachableUrl } from '../../src/db/connect.js';
import { buildStackModel } from '../../src/stack/model.js';
import { FakeEngine } from '../helpers/fake-engine.js';

type Member = { name: string; aliases: string[]; address: string };

/** Networks as the engine reports their members; every network asked for is recorded. */
function engineWith(networks: Record<string, Member[]>) {
  const asked: string[] = [];
  return {
    asked,
    networkMembers: async (network: string) => {
      asked.push(network);
      return networks[network] ?? [];
    },
  };
}

const seedNet: Member[] = [
  { name: 'shared-postgres-1', aliases: ['postgres', 'a1b2c3d4e5f6'], address: '172.20.0.2' },
  { name: 'other-app', aliases: [], address: '172.20.0.3' },
];

describe('hostReachableUrl: the external URL LiteLLM uses, made reachable from the Docker host', () => {
  const url = 'postgresql://litellm:p%40ss%2Fw@postgres:5432/litellm?sslmode=disable';

  it("replaces a compose service alias by that container's address on the network, keeping everything else", async () => {
    expect(await hostReachableUrl(url, ['postgres-net'], engineWith({ 'postgres-net': seedNet }))).toBe(
      'postgresql://litellm:p%40ss%2Fw@172.20.0.2:5432/litellm?sslmode=disable',
    );
  });

  it('finds a container by its own name, case-insensitively as DNS does, and prefers it over another container alias', async () => {
    const members = [
      { name: 'db', aliases: [], address: '10.1.0.9' },
      { name: 'x', aliases: ['DB'], address: '10.1.0.8' },
    ].reverse();
    expect(await hostReachableUrl('postgres://u:p@DB/app', ['n'], engineWith({ n: members }))).toBe('postgres://u:p@10.1.0.9/app');
  });

  it('takes the first network that has the name, asking each network once', async () => {
    const engine = engineWith({
      a: [],
      b: [{ name: 'postgres', aliases: [], address: '10.2.0.2' }],
      c: [{ name: 'postgres', aliases: [], address: '10.3.0.2' }],
    });
    expect(await hostReachableUrl('postgresql://u:p@postgres/db', ['a', 'b', 'a', 'c'], engine)).toBe('postgresql://u:p@10.2.0.2/db');
    expect(engine.asked).toEqual(['a', 'b']);
  });

  it('leaves addresses, localhost, unknown names and unparsable URLs alone without asking the engine', async () => {
    const engine = engineWith({ n: seedNet });
    for (const kept of ['postgresql://u:p@10.0.0.5:5432/db', 'postgresql://u:p@[fd00::5]:5432/db', 'postgresql://u:p@localhost/db', 'not a url']) {
      expect(await hostReachableUrl(kept, ['n'], engine)).toBe(kept);
    }
    expect(engine.asked).toEqual([]);
    expect(await hostReachableUrl('postgresql://u:p@db.example.lan/db', ['n'], engine)).toBe('postgresql://u:p@db.example.lan/db');
  });
});

describe('databaseUrl in external mode', () => {
  const yaml = [
    'version: 1',
    'name: seed',
    'host: gw.lan',
    'litellm:',
    '  image: ghcr.io/berriai/litellm-database:v1.108.7',
    '  networks: [models-net]',
    'postgres:',
    '  mode: external',
    '  network: postgres-net',
    '  network_external: true',
    'mcp_servers: {}',
  ].join('\n');
  const config = parseConfig(yaml);
  const loaded: LoadedConfig = { config, file: '/x/mcpgw.yaml', dir: '/x', secretsFile: '/x/secrets.env' };
  const model = buildStackModel(config);
  const secrets = parseSecrets('DATABASE_URL=postgresql://litellm:pw@postgres:5432/litellm\n');

  it("searches postgres.network first, then LiteLLM's networks", async () => {
    const engine = engineWith({ 'postgres-net': seedNet });
    expect(await databaseUrl(loaded, model, secrets, async () => new FakeEngine({ networkMembers: engine.networkMembers }))).toBe(
      'postgresql://litellm:pw@172.20.0.2:5432/litellm',
    );
    const fromLiteLLMNetwork = engineWith({ 'models-net': [{ name: 'postgres', aliases: [], address: '10.9.0.4' }] });
    expect(await databaseUrl(loaded, model, secrets, async () => new FakeEngine({ networkMembers: fromLiteLLMNetwork.networkMembers }))).toBe(
      'postgresql://litellm:pw@10.9.0.4:5432/litellm',
    );
    expect(fromLiteLLMNetwork.asked).toEqual(['postgres-net', 'seed-litellm-net', 'models-net']);
  });

  it('keeps the URL when no Docker engine answers, and names a missing secret with its fix', async () => {
    const noDocker = async () => Promise.reject(new Error('no docker'));
    expect(await databaseUrl(loaded, model, secrets, noDocker)).toBe('postgresql://litellm:pw@postgres:5432/litellm');
    await expect(databaseUrl(loaded, model, parseSecrets(''), noDocker)).rejects.toThrow(/lacks DATABASE_URL/);
  });
});
