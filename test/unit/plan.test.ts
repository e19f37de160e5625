import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ContainerConfig, ContainerSpec, ContainerSummary } from '../../src/docker/containers.js';
import { containerSpecFor, specHash } from '../../src/render/container-spec.js';
import { CONFIG_HASH_LABEL } from '../../src/stack/labels.js';
import { buildStackModel } from '../../src/stack/model.js';
import { planIsNoop, planStack } from '../../src/stack/plan.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { fixtureStack } from '../helpers/fixtures.js';

const stack = fixtureStack('seed');
const model = buildStackModel(parseConfig(stack.yaml));
const secrets = parseSecrets(stack.secrets);
const IMAGE_ID = 'sha256:0123456789abcdef0123456789abcdef';
const desired = model.services.map((service) => {
  const spec = containerSpecFor(service, secrets, '/srv/litellm');
  return { service, spec, imageId: IMAGE_ID, hash: specHash(spec, IMAGE_ID, []) };
});

/** The container as `up` creates it from `spec`, as the engine reports it (the image adds env and a label). */
function createdFrom(spec: ContainerSpec, hash: string): ContainerConfig {
  return {
    imageId: IMAGE_ID,
    user: spec.user ?? '',
    capDrop: spec.capDrop,
    capAdd: spec.capAdd,
    securityOpt: spec.securityOpt,
    env: ['PATH=/usr/local/bin:/usr/bin:/bin', ...spec.env],
    labels: { 'org.opencontainers.image.version': '1', ...spec.labels, [CONFIG_HASH_LABEL]: hash },
    ports: spec.ports,
    mounts: spec.mounts,
    networks: spec.networks.map((network) => network.name),
  };
}

function running(service: string, hash: string, state = 'running'): ContainerSummary {
  return {
    id: `id-${service}`,
    name: `litellm-${service}`,
    image: 'x',
    state,
    status: state,
    labels: { 'io.mcpgw.stack': 'litellm', 'io.mcpgw.service': service, [CONFIG_HASH_LABEL]: hash },
  };
}

const allNetworks = new Map(model.networks.map((network) => [network.name, { internal: network.internal }]));
/** Every container as this mcpgw creates it: hardened, on exactly its service's networks. */
const asCreated = new Map(desired.map(({ service, spec, hash }) => [`id-${service.name}`, createdFrom(spec, hash)]));
const none = { retired: [], configs: asCreated };
/** `asCreated` with one container's config changed. */
function changed(service: string, change: (config: ContainerConfig) => Partial<ContainerConfig>): Map<string, ContainerConfig> {
  const configs = new Map(asCreated);
  const config = configs.get(`id-${service}`);
  if (!config) throw new Error(`no container for ${service}`);
  configs.set(`id-${service}`, { ...config, ...change(config) });
  return configs;
}
const allVolumes = new Set(model.volumes);

describe('planStack', () => {
  it('creates everything on an empty engine, and needs an external network to exist', () => {
    const plan = planStack(desired, model.networks, model.volumes, { containers: [], foreign: [], networks: new Map(), volumes: new Set(), ...none });
    expect(plan.services.map((entry) => entry.action)).toEqual(['create', 'create', 'create', 'create']);
    expect(plan.networks).toEqual([
      { name: 'litellm-litellm-net', action: 'create' },
      { name: 'postgres-net', action: 'missing-external' },
      { name: 'litellm-mcp-db-main-net', action: 'create' },
    ]);
    expect(plan.volumes).toEqual([{ name: 'litellm-pgdata', action: 'create' }]);
    expect(planIsNoop(plan)).toBe(false);
  });

  it('leaves the LiteLLM container an upgrade kept (<name>-previous) alone: neither the service nor an orphan', () => {
    const containers = desired.map(({ service, hash }) => running(service.name, hash));
    const previous = { ...running('litellm', 'older-hash', 'exited'), id: 'id-previous', name: 'litellm-litellm-previous' };
    const plan = planStack(desired, model.networks, model.volumes, {
      containers: [...containers, previous],
      foreign: [],
      networks: allNetworks,
      volumes: allVolumes,
      ...none,
    });
    expect(plan.services.map((entry) => [entry.service.name, entry.action, entry.existingId])).toEqual([
      ['postgres', 'keep', 'id-postgres'],
      ['mcp-db-main', 'keep', 'id-mcp-db-main'],
      ['litellm', 'keep', 'id-litellm'],
      ['front-door', 'keep', 'id-front-door'],
    ]);
    expect(plan.orphans).toEqual([]);
  });

  it('keeps what is running with the same hash: a second up is a no-op', () => {
    const containers = desired.map(({ service, hash }) => running(service.name, hash));
    const plan = planStack(desired, model.networks, model.volumes, { containers, foreign: [], networks: allNetworks, volumes: allVolumes, ...none });
    expect(plan.services.map((entry) => entry.action)).toEqual(['keep', 'keep', 'keep', 'keep']);
    expect(planIsNoop(plan)).toBe(true);
  });

  it('recreates only the service whose hash changed, starts stopped ones, removes orphans', () => {
    const containers = [
      running('postgres', desired[0]?.hash ?? ''),
      running('mcp-db-main', 'old-hash'),
      running('litellm', desired[2]?.hash ?? '', 'exited'),
      running('mcp-retired', 'whatever'),
    ];
    const plan = planStack(desired, model.networks, model.volumes, { containers, foreign: [], networks: allNetworks, volumes: allVolumes, ...none });
    expect(plan.services.map((entry) => [entry.service.name, entry.action])).toEqual([
      ['postgres', 'keep'],
      ['mcp-db-main', 'recreate'],
      ['litellm', 'start'],
      ['front-door', 'create'],
    ]);
    expect(plan.orphans.map((orphan) => orphan.name)).toEqual(['litellm-mcp-retired']);
  });

  it('recreates a container whose networks were changed by hand, its hash unchanged, saying which (the seed: LiteLLM cut off its MCP network)', () => {
    const containers = desired.map(({ service, hash }) => running(service.name, hash));
    const configs = changed('litellm', (config) => ({ networks: config.networks.filter((name) => name !== 'litellm-mcp-db-main-net') }));
    const mcp = configs.get('id-mcp-db-main');
    if (mcp) configs.set('id-mcp-db-main', { ...mcp, networks: ['litellm-mcp-db-main-net', 'postgres-net'] });
    const plan = planStack(desired, model.networks, model.volumes, { containers, foreign: [], networks: allNetworks, volumes: allVolumes, ...none, configs });
    expect(plan.services.map((entry) => [entry.service.name, entry.action, entry.reason])).toEqual([
      ['postgres', 'keep', 'up to date and running'],
      ['mcp-db-main', 'recreate', 'also on postgres-net: its networks were changed after it was created'],
      ['litellm', 'recreate', 'not on litellm-mcp-db-main-net: its networks were changed after it was created'],
      ['front-door', 'keep', 'up to date and running'],
    ]);
    expect(planIsNoop(plan)).toBe(false);
  });

  it('recreates a running container that lacks its hardening, even with its hash unchanged, and says what it lacks', () => {
    const containers = desired.map(({ service, hash }) => running(service.name, hash));
    const weak = changed('mcp-db-main', () => ({ user: '', capDrop: [], capAdd: ['NET_RAW'], securityOpt: [] }));
    const postgres = weak.get('id-postgres');
    if (postgres)
      weak.set('id-postgres', {
        ...postgres,
        capDrop: ['ALL'],
        capAdd: ['CAP_CHOWN', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_SETGID', 'CAP_SETUID'],
        securityOpt: ['no-new-privileges'],
      });
    const plan = planStack(desired, model.networks, model.volumes, {
      containers,
      foreign: [],
      networks: allNetworks,
      volumes: allVolumes,
      retired: [],
      configs: weak,
    });
    expect(plan.services.map((entry) => [entry.service.name, entry.action, entry.reason])).toEqual([
      ['postgres', 'keep', 'up to date and running'],
      [
        'mcp-db-main',
        'recreate',
        'lacks its hardening: capabilities not dropped (cap_drop ALL); capabilities added beyond what it needs (NET_RAW); no no-new-privileges:true',
      ],
      ['litellm', 'keep', 'up to date and running'],
      ['front-door', 'keep', 'up to date and running'],
    ]);
  });

  it('recreates a container made again by hand with its labels copied, naming what differs from the spec, never an env value', () => {
    const containers = desired.map(({ service, hash }) => running(service.name, hash));
    const litellm = desired.find((entry) => entry.service.name === 'litellm');
    // LiteLLM publishes nothing (the front door holds its port): the copy made by hand publishes it.
    const port = { hostIp: '0.0.0.0', published: 14999, target: 4000 };
    if (!litellm) throw new Error('fixture has no LiteLLM');
    const configs = changed('litellm', (config) => ({
      imageId: 'sha256:fedcba9876543210fedcba98',
      ports: [port],
      env: config.env.map((line) => (line.startsWith('LITELLM_MASTER_KEY=') ? 'LITELLM_MASTER_KEY=sk-typed-by-hand-000000' : line)),
      labels: { ...config.labels, 'io.mcpgw.service': 'other' },
      mounts: [{ type: 'bind', source: '/home/me/config.yaml', target: '/app/config.yaml', readOnly: false }],
    }));
    const plan = planStack(desired, model.networks, model.volumes, { containers, foreign: [], networks: allNetworks, volumes: allVolumes, ...none, configs });
    const entry = plan.services.find((service) => service.service.name === 'litellm');
    expect(entry?.action).toBe('recreate');
    expect(entry?.reason.split('; ')).toEqual([
      `runs image fedcba987654, not ${litellm.spec.image} (0123456789ab)`,
      'publishes 0.0.0.0:14999->4000 where mcpgw.yaml says none',
      'its environment differs in LITELLM_MASTER_KEY',
      'its labels differ in io.mcpgw.service',
      'mounts bind /home/me/config.yaml at /app/config.yaml where mcpgw.yaml says bind /srv/litellm/config/config.yaml at /app/config.yaml (read-only)',
    ]);
    expect(entry?.reason).not.toContain('sk-');
    expect(plan.services.filter((service) => service.action !== 'keep').map((service) => service.service.name)).toEqual(['litellm']);
  });

  it("keeps a container whose extra env, labels and mounts come from its image (an image's ENV, LABEL and anonymous VOLUME)", () => {
    const containers = desired.map(({ service, hash }) => running(service.name, hash));
    const configs = changed('postgres', (config) => ({
      env: [...config.env, 'PGDATA=/var/lib/postgresql/data', 'LANG=C.UTF-8'],
      labels: { ...config.labels, maintainer: 'someone' },
    }));
    const plan = planStack(desired, model.networks, model.volumes, { containers, foreign: [], networks: allNetworks, volumes: allVolumes, ...none, configs });
    expect(plan.services.map((entry) => entry.action)).toEqual(['keep', 'keep', 'keep', 'keep']);
  });

  it('makes a network again when it exists without internal as desired, recreating what is on it; a retired network is removed', () => {
    const bundled = buildStackModel(parseConfig(fixtureStack('canary').yaml));
    const pg = bundled.networks.find((network) => network.serves === 'postgres');
    const canary = bundled.networks.find((network) => network.serves === 'mcpgw-canary');
    expect([pg?.internal, canary?.internal]).toEqual([true, true]);
    const bundledSecrets = parseSecrets(fixtureStack('canary').secrets);
    const wanted = bundled.services.map((service) => ({
      service,
      spec: containerSpecFor(service, bundledSecrets, '/srv/litellm'),
      imageId: IMAGE_ID,
      hash: 'h',
    }));
    const containers = bundled.services.map((service) => running(service.name, 'h'));
    const configs = new Map(wanted.map(({ service, spec, hash }) => [`id-${service.name}`, createdFrom(spec, hash)]));
    const networks = new Map(bundled.networks.map((network) => [network.name, { internal: network.serves === 'postgres' ? false : network.internal }]));
    const plan = planStack(wanted, bundled.networks, [], {
      containers,
      foreign: [],
      networks,
      volumes: new Set(),
      retired: ['old-shared'],
      configs,
    });
    expect(plan.networks.filter((network) => network.action !== 'keep')).toEqual([{ name: pg?.name, action: 'recreate' }]);
    expect(plan.services.filter((entry) => entry.action !== 'keep').map((entry) => [entry.service.name, entry.reason])).toEqual([
      ['postgres', `its network ${pg?.name} is made again`],
      ['litellm', `its network ${pg?.name} is made again`],
    ]);
    expect(plan.retired).toEqual(['old-shared']);
    expect(planIsNoop(plan)).toBe(false);
  });
});

describe('specHash', () => {
  const service = model.services.find((entry) => entry.name === 'litellm');
  if (!service) throw new Error('fixture has no litellm service');
  const spec = containerSpecFor(service, secrets, '/srv/litellm');

  it('changes with the image, a secret value and mounted config content, and nothing else', () => {
    const base = specHash(spec, 'sha256:a', ['config: 1']);
    expect(specHash(spec, 'sha256:a', ['config: 1'])).toBe(base);
    expect(specHash(spec, 'sha256:b', ['config: 1'])).not.toBe(base);
    expect(specHash(spec, 'sha256:a', ['config: 2'])).not.toBe(base);
    const rotated = containerSpecFor(service, new Map([...secrets, ['LITELLM_MASTER_KEY', 'sk-rotated-0000000']]), '/srv/litellm');
    expect(specHash(rotated, 'sha256:a', ['config: 1'])).not.toBe(base);
  });

  it('builds the container like the compose file: aliases, absolute bind source, env from secrets', () => {
    expect(spec.networks).toEqual([
      { name: 'litellm-litellm-net', aliases: ['litellm'] },
      { name: 'postgres-net', aliases: ['litellm'] },
      { name: 'litellm-mcp-db-main-net', aliases: ['litellm'] },
    ]);
    expect(spec).toMatchObject({ capDrop: ['ALL'], capAdd: [], securityOpt: ['no-new-privileges:true'] });
    // The seed runs the official LiteLLM image, which keeps its own user.
    expect(spec.user).toBeUndefined();
    expect(spec.mounts).toEqual([{ type: 'bind', source: '/srv/litellm/config/config.yaml', target: '/app/config.yaml', readOnly: true }]);
    expect(spec.env).toContain('LITELLM_MASTER_KEY=sk-fixture-master-0123456789');
    expect(spec.env).toContain('DATABASE_URL=postgresql://litellm:p%40ss%20w%2Frd%3Afixture@postgres:5432/litellm');
    expect(spec.healthcheck?.intervalMs).toBe(10_000);
  });
});
