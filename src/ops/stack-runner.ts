import type { Deps } from '../deps.js';
import path from 'node:path';
import type { Secrets } from '../config/secrets.js';
import { bundledProvisionTarget, provisionBundledPostgres } from '../db/provision.js';
import type { ContainerConfig } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import type { NetworkInfo } from '../docker/networks.js';
import { ContainerWaitFailed, WAIT_LOG_LINES, waitOnContainer } from '../docker/container-wait.js';
import { StepFailed } from '../errors.js';
import { type LocalBuilds, unpullableFix } from '../stack/images.js';
import type { RenderedFile } from '../render/render.js';
import type { Progress } from '../ui/progress.js';
import { containerSpecFor, specHash } from '../render/container-spec.js';
import { removeUnusedStackNetworks } from '../stack/down.js';
import { CONFIG_HASH_LABEL } from '../stack/labels.js';
import { STACK_LABEL } from '../stack/labels.js';
import { litellmBaseUrl, litellmEndpoints, mcpServiceName, POSTGRES_SERVICE, type ServiceModel, type StackModel } from '../stack/model.js';
import { proveFromLiteLLM } from './mcp-proof.js';
import { type UpTimeouts, waitReady } from './readiness.js';
import { type DesiredContainer, planStack, type ServiceAction, type ServicePlan, type StackPlan } from '../stack/plan.js';

/** How a service's step reads once its action is done. */
const DONE: Record<ServiceAction, string> = { create: 'created', recreate: 'recreated', start: 'started', keep: 'unchanged' };

/** Up's part of the commands' `Deps` (the clock every wait sleeps on, Ctrl-C), and the engine it runs against. */
export interface UpDeps extends Pick<Deps, 'clock' | 'signal'> {
  engine: Engine;
  progress: Progress;
  /** Runs once the stack's networks exist, before any container starts (up's DOCKER-USER rules). */
  guard?: () => Promise<void>;
}

const DEFAULT_TIMEOUTS: UpTimeouts = { health: 90_000, mcp: 60_000, litellm: 180_000 };

export interface ServiceOutcome {
  service: string;
  container: string;
  action: ServicePlan['action'];
  ready: string;
  endpoint?: string;
}

export interface UpReport {
  plan: StackPlan;
  services: ServiceOutcome[];
  notes: string[];
}

/**
 * Turns the stack model into running, verified containers: images → plan → networks → volumes → Postgres
 * (healthy, SCRAM role and db) → MCP servers (transport answers) → LiteLLM (live, ready with its DB) → the front door
 * (LiteLLM answering on the published port). Each step
 * waits on a real signal with a deadline and fails with the container's last log lines.
 */
export class StackRunner {
  private readonly timeouts: UpTimeouts;
  /** Image ids looked up once per run: ensureImages and plan both need them. */
  private readonly imageIds = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly model: StackModel,
    private readonly secrets: Secrets,
    private readonly files: RenderedFile[],
    private readonly outDir: string,
    private readonly deps: UpDeps,
    timeouts: Partial<UpTimeouts> = {},
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
  }

  /** Desired containers with their hashes (needs local images) and the plan against what exists. */
  async plan(): Promise<{ plan: StackPlan; desired: DesiredContainer[] }> {
    const { engine } = this.deps;
    const desired: DesiredContainer[] = [];
    for (const service of this.model.services) {
      const spec = containerSpecFor(service, this.secrets, this.outDir);
      const imageId = await this.imageId(service.image);
      desired.push({ service, spec, ...(imageId ? { imageId } : {}), hash: specHash(spec, imageId ?? 'absent', this.mountedContent(service)) });
    }
    const ours = await engine.listContainers([`${STACK_LABEL}=${this.model.name}`]);
    const ourIds = new Set(ours.map((container) => container.id));
    const names = new Set(desired.map((entry) => entry.spec.name));
    const foreign = (await engine.listContainers([])).filter((container) => names.has(container.name) && !ourIds.has(container.id));
    const networks = new Map<string, NetworkInfo>();
    for (const network of this.model.networks) {
      const found = await engine.networkByName(network.name);
      if (found) networks.set(network.name, found);
    }
    const retired: string[] = [];
    for (const name of this.model.retiredNetworks) if ((await engine.networkByName(name))?.labels[STACK_LABEL] === this.model.name) retired.push(name);
    const volumes = new Set<string>();
    for (const volume of this.model.volumes) if (await engine.volumeExists(volume)) volumes.add(volume);
    const configs = new Map<string, ContainerConfig>();
    for (const container of ours) {
      const found = await engine.containerConfig(container.id);
      if (found) configs.set(container.id, found);
    }
    const plan = planStack(desired, this.model.networks, this.model.volumes, { containers: ours, foreign, networks, volumes, retired, configs });
    return { plan, desired };
  }

  /**
   * Images present locally, else built (services marked `build:` in mcpgw.yaml, also when their recipe changed:
   * one `<image>: built in N s` / `up to date` step each) or pulled (every other one).
   */
  async ensureImages(builds?: LocalBuilds): Promise<string[]> {
    const { engine, progress } = this.deps;
    const built = new Set(builds?.recipes.map((recipe) => recipe.image));
    if (builds && built.size > 0) {
      await builds.builder.ensure(builds.recipes);
      for (const image of built) this.imageIds.delete(image);
    }
    const step = progress.start('images');
    const pulled: string[] = [];
    const images = [...new Set(this.model.services.map((service) => service.image))];
    for (const image of images) {
      if (built.has(image) || (await this.imageId(image))) continue;
      step.update(`pulling ${image}`);
      try {
        await engine.pullImage(image);
        this.imageIds.delete(image);
        pulled.push(image);
      } catch (error) {
        step.fail(`${image} is not available`);
        throw new StepFailed(`image ${image} is not present locally and could not be pulled: ${(error as Error).message}`, unpullableFix(this.model, image));
      }
    }
    // The builder's lines above also count the images these are built on, so say how many the stack itself runs.
    const ownBuilds = images.filter((image) => built.has(image)).length;
    const present = `the stack's ${images.length} image(s) present${ownBuilds > 0 ? `, ${ownBuilds} of them built by mcpgw (above)` : ''}`;
    step.succeed(pulled.length > 0 ? `${present}; pulled ${pulled.join(', ')}` : present);
    return pulled;
  }

  async apply(plan: StackPlan, desired: DesiredContainer[]): Promise<UpReport> {
    const { engine, progress } = this.deps;
    if (plan.conflicts.length > 0) {
      const names = plan.conflicts.map((container) => container.name).join(', ');
      throw new StepFailed(
        `container name(s) ${names} are taken by containers mcpgw does not manage for stack "${this.model.name}"`,
        'remove or rename them, or choose another `name:` in mcpgw.yaml',
      );
    }
    const notes: string[] = [];
    const networkStep = progress.start('networks');
    for (const network of plan.networks) {
      if (network.action === 'missing-external') {
        networkStep.fail(`${network.name} does not exist`);
        throw new StepFailed(
          `network ${network.name} is declared external but does not exist`,
          network.name === this.model.networks.find((candidate) => candidate.serves === POSTGRES_SERVICE)?.name
            ? `create it (docker network create ${network.name}) or set postgres.network_external: false`
            : `create it (docker network create ${network.name}), or remove it from the networks mcpgw.yaml has a service join`,
        );
      }
      const model = this.model.networks.find((candidate) => candidate.name === network.name);
      if (!model || network.action === 'keep') continue;
      if (network.action === 'recreate') {
        // Docker cannot change `internal` on a network in place; the containers on it are recreated below.
        for (const container of (await engine.networkByName(network.name))?.containers ?? []) await engine.disconnectNetwork(network.name, container);
        await engine.removeNetwork(network.name);
      }
      await engine.createNetwork(network.name, model.labels, { internal: model.internal });
    }
    const NETWORK_DONE = { create: 'created', recreate: 'made again', keep: 'present' } as const;
    networkStep.succeed(
      plan.networks.map((network) => `${network.name} (${network.action === 'missing-external' ? 'missing' : NETWORK_DONE[network.action]})`).join(', '),
    );
    await this.deps.guard?.();
    for (const volume of plan.volumes) if (volume.action === 'create') await engine.createVolume(volume.name, { [STACK_LABEL]: this.model.name });
    // An orphan's own network goes too, once LiteLLM (recreated below, without it) has left it.
    const orphanNetworks: string[] = [];
    for (const orphan of plan.orphans) {
      orphanNetworks.push(...((await engine.containerNetworks(orphan.id)) ?? []));
      await engine.removeContainer(orphan.id);
      notes.push(`removed ${orphan.name} (no longer in mcpgw.yaml)`);
    }

    const outcomes: (ServiceOutcome & { id: string })[] = [];
    // MCP servers are started before LiteLLM and proven after it: they are ready when LiteLLM, from its own
    // network, can open a session and list their tools, and only a running LiteLLM container stands there.
    const order: ServiceModel['role'][] = ['postgres', 'mcp', 'canary', 'litellm', 'front-door'];
    for (const role of order) {
      for (const servicePlan of plan.services.filter((entry) => entry.service.role === role)) {
        const entry = desired.find((candidate) => candidate.service.name === servicePlan.service.name);
        if (!entry) continue;
        outcomes.push(await this.bringUp(servicePlan, entry, notes));
      }
    }
    const tools = await proveFromLiteLLM(
      {
        engine,
        clock: this.deps.clock,
        progress,
        model: this.model,
        wait: (served, what, check, fix) => this.waitOn(served.id, served.service, what, this.timeouts.mcp, check, fix),
      },
      outcomes.map((outcome) => ({ id: outcome.id, service: this.serviceNamed(outcome.service) })),
    );
    for (const outcome of outcomes) {
      const listed = tools.get(outcome.service);
      if (listed !== undefined) outcome.ready = `${outcome.ready}; from LiteLLM: ${listed} tools`;
    }
    await this.removeRetired(plan.retired, notes);
    const modelNetworks = new Set(this.model.networks.map((network) => network.name));
    const unused = orphanNetworks.filter((name) => !modelNetworks.has(name));
    for (const name of await removeUnusedStackNetworks(engine, this.model.name, unused)) notes.push(`removed network ${name} (its server left mcpgw.yaml)`);
    return { plan, services: outcomes.map(({ id: _id, ...outcome }) => outcome), notes };
  }

  /**
   * The old shared MCP network goes once every container of the stack has been recreated on its own network;
   * anything still attached to it (a container mcpgw does not manage) keeps it, and the note says so.
   */
  private async removeRetired(retired: string[], notes: string[]): Promise<void> {
    for (const name of retired) {
      const attached = (await this.deps.engine.networkByName(name))?.containers ?? [];
      if (attached.length > 0) {
        notes.push(`kept the former shared MCP network ${name}: ${attached.length} container(s) not managed by mcpgw are still attached`);
        continue;
      }
      await this.deps.engine.removeNetwork(name);
      notes.push(`removed the former shared MCP network ${name} (each MCP server now has a network of its own with LiteLLM)`);
    }
  }

  private serviceNamed(name: string): ServiceModel {
    const service = this.model.services.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`stack has no service ${name}`);
    return service;
  }

  private async bringUp(servicePlan: ServicePlan, entry: DesiredContainer, notes: string[]): Promise<ServiceOutcome & { id: string }> {
    const { engine, progress } = this.deps;
    const { service } = servicePlan;
    const step = progress.start(service.name);
    const started = this.deps.clock.now();
    let id = servicePlan.existingId ?? '';
    try {
      if (servicePlan.action === 'create' || servicePlan.action === 'recreate') {
        if (servicePlan.existingId) {
          step.update('removing the old container');
          await engine.removeContainer(servicePlan.existingId);
        }
        step.update('creating');
        id = await engine.createContainer({ ...entry.spec, labels: { ...entry.spec.labels, [CONFIG_HASH_LABEL]: entry.hash } });
        await this.start(id, service);
      } else if (servicePlan.action === 'start') {
        await this.start(id, service);
      }
      step.update('waiting until ready');
      const ready = await this.waitReady(id, service, notes, servicePlan.action !== 'keep');
      const seconds = ((this.deps.clock.now() - started) / 1000).toFixed(1);
      step.succeed(`${DONE[servicePlan.action]}, ${ready} (${seconds} s)`);
      const endpoint = this.endpointOf(service);
      return { id, service: service.name, container: service.containerName, action: servicePlan.action, ready, ...(endpoint ? { endpoint } : {}) };
    } catch (error) {
      step.fail(error instanceof StepFailed ? (error.message.split('\n')[0] ?? '') : (error as Error).message);
      throw error;
    }
  }

  private async start(id: string, service: ServiceModel): Promise<void> {
    try {
      await this.deps.engine.startContainer(id);
    } catch (error) {
      const message = (error as Error).message;
      const port = service.ports[0];
      if (/port is already allocated|address already in use/i.test(message) && port) {
        throw new StepFailed(
          `${service.name}: port ${port.hostIp}:${port.published} is already in use`,
          `stop whatever listens there (ss -ltnp 'sport = :${port.published}') or change the port in mcpgw.yaml`,
        );
      }
      throw new StepFailed(`${service.name}: could not start: ${message}`);
    }
  }

  /** `started`: the container was (re)started by this run, so a server that crashes at once is caught here. */
  private waitReady(id: string, service: ServiceModel, notes: string[], started = true): Promise<string> {
    return waitReady({
      id,
      service,
      engine: this.deps.engine,
      clock: this.deps.clock,
      timeouts: this.timeouts,
      started,
      litellmBaseUrl: litellmBaseUrl(this.model),
      wait: (what, timeoutMs, check) => this.waitOn(id, service, what, timeoutMs, check),
      provisionPostgres: async () => (await this.provisionPostgres(id)).actions,
      notes,
    });
  }

  /**
   * Creates one service's container as `up` would (spec and hash label, so the next `up` keeps it), without starting
   * it: upgrade's new LiteLLM, made while the old one still serves so its creation is no part of the downtime
   * (`startService` starts it).
   */
  async createServiceContainer(serviceName: string): Promise<string> {
    const service = this.serviceNamed(serviceName);
    // The stack's own networks the service joins: an adopted stack, whose LiteLLM mcpgw never ran, has none of them yet.
    for (const network of this.model.networks.filter((entry) => !entry.external && service.networks.includes(entry.name))) {
      if (!(await this.deps.engine.networkByName(network.name)))
        await this.deps.engine.createNetwork(network.name, network.labels, { internal: network.internal });
    }
    const spec = containerSpecFor(service, this.secrets, this.outDir);
    const hash = specHash(spec, (await this.imageId(service.image)) ?? 'absent', this.mountedContent(service));
    return this.deps.engine.createContainer({ ...spec, labels: { ...spec.labels, [CONFIG_HASH_LABEL]: hash } });
  }

  /**
   * Starts the existing container of one service and waits until it is ready again (restore restarts LiteLLM). A
   * LiteLLM behind a running front door is ready for its clients only once the front door routes to it again (its
   * health checks take a few seconds to put it back): that is waited for too.
   */
  async startService(serviceName: string, containerId: string): Promise<string> {
    const service = this.serviceNamed(serviceName);
    await this.start(containerId, service);
    const ready = await this.waitReady(containerId, service, []);
    const door = this.model.services.find((candidate) => candidate.role === 'front-door');
    if (service.role !== 'litellm' || !door || !(await this.deps.engine.containerState(door.containerName))?.running) return ready;
    return `${ready}; ${await this.waitReady(door.containerName, door, [], false)} through the front door`;
  }

  /** A wait on one service's container (docker/container-wait.ts), failing as a step with its fix. */
  private async waitOn<T>(
    id: string,
    service: ServiceModel,
    what: string,
    timeoutMs: number,
    check: () => Promise<T>,
    fix?: () => string | undefined,
  ): Promise<T> {
    const { engine, clock, signal } = this.deps;
    try {
      return await waitOnContainer(engine, id, `${service.name}: ${what}`, async () => check(), { timeoutMs, clock, signal });
    } catch (error) {
      if (!(error instanceof ContainerWaitFailed)) throw error;
      throw new StepFailed(
        `${error.message}\n--- last ${WAIT_LOG_LINES} log lines of ${service.containerName} ---\n${error.logs}`,
        fix?.() ?? `see \`mcpgw logs ${service.name}\``,
      );
    }
  }

  private async provisionPostgres(id: string) {
    const target = bundledProvisionTarget(this.model, this.secrets);
    return provisionBundledPostgres(
      this.deps.engine,
      { ...target, containerId: id, hostAddresses: await this.deps.engine.containerGateways(id) },
      this.deps.clock,
    );
  }

  /** Where the service is used: LAN clients' gateway URL, an MCP server's URL on LiteLLM's network, a published port. */
  private endpointOf(service: ServiceModel): string | undefined {
    // LiteLLM itself publishes nothing: its front door is where LAN clients connect.
    if (service.readiness.kind === 'front-door') return this.model.gatewayUrl;
    if (service.readiness.kind === 'litellm') return undefined;
    if (service.readiness.kind === 'mcp') return litellmEndpoints(this.model).find((endpoint) => mcpServiceName(endpoint.name) === service.name)?.url;
    const port = service.ports[0];
    return port ? `${port.hostIp}:${port.published}` : undefined;
  }

  private imageId(image: string): Promise<string | undefined> {
    let id = this.imageIds.get(image);
    if (!id) {
      id = this.deps.engine.imageId(image);
      this.imageIds.set(image, id);
    }
    return id;
  }

  private mountedContent(service: ServiceModel): string[] {
    return service.volumes
      .filter((volume) => volume.kind === 'bind')
      .map((volume) => this.files.find((file) => path.normalize(file.path) === path.normalize(volume.source))?.content ?? '');
  }
}
