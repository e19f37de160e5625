import type { Secrets } from '../config/secrets.js';
import { bundledProvisionTarget, provisionBundledPostgres, type ProvisionReport } from '../db/provision.js';
import type { StackCli } from '../docker/stack-cli.js';
import { StepFailed } from '../errors.js';
import type { StackModel } from '../stack/model.js';
import type { Clock } from '../time/clock.js';
import type { Progress } from '../ui/progress.js';
import { type Cluster, type ClusterNode, nodeEngine } from './cluster.js';
import { type RunningTask, swarmServiceName, waitForJob, waitForService } from './converge.js';
import { SWARM_STAGES, type SwarmStage } from '../stack/swarm.js';
import { withStageFile } from './stages.js';

export interface SwarmDeployDeps {
  cluster: Cluster;
  cli: StackCli;
  clock: Clock;
  signal: AbortSignal;
  progress: Progress;
}

export interface SwarmDeployRequest {
  model: StackModel;
  secrets: Secrets;
  /** Where the stack file is (beside the files it references). */
  stackPath: string;
  /**
   * What each stage deploys: the stack file through that stage (its services and those of the stages before it;
   * `docker stack deploy` without `--prune` leaves the later stages' services as they run, so the old replicas
   * serve while the data services and the migration change), the last one the whole stack file.
   */
  stageFiles: Record<SwarmStage, string>;
  /** The services of each stage, the ones its deploy waits for. */
  stageServices: Record<SwarmStage, string[]>;
  /** The node holding the stack's volumes, which its pinned services run on (ensureDataNode). */
  dataNode: string;
  /** The stages to deploy, in their order: all of them for `up`, one at a time for `upgrade`. */
  stages: readonly SwarmStage[];
}

export interface SwarmDeployReport {
  dataNode: string;
  /** Each service with the nodes its running tasks are on. */
  services: { service: string; stage: SwarmStage; tasks: { node: string; slot?: number }[] }[];
  postgres?: ProvisionReport;
  migration?: string;
}

const TIMEOUTS = { data: 300_000, migrate: 900_000, serve: 600_000 } as const;

/**
 * Brings a stack up on a swarm in stages, each gated on what Swarm reports: the data and tool services running
 * (health-checked ones healthy) and the bundled Postgres provisioned; the migration job complete; LiteLLM's replicas
 * and the front door on their new spec, which Swarm rolls one replica at a time. Fails at the first stage that fails,
 * with the task's own error and its output.
 */
export async function deployStaged(deps: SwarmDeployDeps, request: SwarmDeployRequest): Promise<SwarmDeployReport> {
  const { model, stackPath } = request;
  const report: SwarmDeployReport = { dataNode: request.dataNode, services: [] };
  for (const stage of SWARM_STAGES.filter((candidate) => request.stages.includes(candidate))) {
    const services = request.stageServices[stage];
    if (services.length === 0) continue;
    const step = deps.progress.start(`swarm: ${stage}`);
    try {
      // Each service's last update before this deploy: one Swarm gave up on then is not this deploy's failure.
      const updates = new Map(
        await Promise.all(
          services.map(
            async (service) => [service, (await deps.cluster.manager.swarm().service(swarmServiceName(model.name, service)))?.updateStartedAt] as const,
          ),
        ),
      );
      await withStageFile(stackPath, stage, request.stageFiles[stage], (file) => deps.cli.deploy(file, model.name, stage === 'serve'));
      if (stage === 'migrate') {
        for (const service of services) {
          const job = await waitForJob(deps.cluster, swarmServiceName(model.name, service), {
            clock: deps.clock,
            signal: deps.signal,
            timeoutMs: TIMEOUTS.migrate,
            onProgress: (text) => step.update(`${service} ${text}`),
          });
          report.migration = job.output.trimEnd().split('\n').at(-1) ?? '';
        }
      } else {
        const waited = await Promise.all(
          services.map(async (service) => {
            const updateBefore = updates.get(service);
            const tasks = await waitForService(deps.cluster, swarmServiceName(model.name, service), {
              ...(updateBefore ? { updateBefore } : {}),
              clock: deps.clock,
              signal: deps.signal,
              timeoutMs: TIMEOUTS[stage],
              onProgress: (text) => step.update(`${service} ${text}`),
            });
            return { service, tasks };
          }),
        );
        for (const { service, tasks } of waited) report.services.push({ service, stage, tasks: tasks.map(placed) });
        const postgres = waited.find((entry) => entry.service === 'postgres');
        if (postgres) report.postgres = await provision(deps, request, postgres.tasks);
      }
      step.succeed(describeStage(report, stage, services));
    } catch (error) {
      step.fail((error as Error).message.split('\n')[0] ?? '');
      throw error;
    }
  }
  return report;
}

function placed(entry: RunningTask): { node: string; slot?: number } {
  return { node: entry.hostname, ...(entry.task.slot !== undefined ? { slot: entry.task.slot } : {}) };
}

function describeStage(report: SwarmDeployReport, stage: SwarmStage, services: string[]): string {
  if (stage === 'migrate') return `migration done${report.migration ? ` (${report.migration})` : ''}`;
  return report.services
    .filter((entry) => services.includes(entry.service))
    .map((entry) => `${entry.service} ×${entry.tasks.length} on ${[...new Set(entry.tasks.map((task) => task.node))].join(', ')}`)
    .join('; ');
}

/**
 * The node that holds the stack's volumes: the one already carrying the stack's data label (its volumes are there),
 * else the manager's node, labelled now.
 */
export async function ensureDataNode(cluster: Cluster, label: string): Promise<ClusterNode> {
  const { node, labelled } = await dataNodeOf(cluster, label);
  if (!labelled) await cluster.manager.swarm().labelNode(node.node.id, label, 'true');
  return node;
}

/** The data node as ensureDataNode picks it, changing nothing (doctor reads it); `labelled`: it carries the label already. */
export async function dataNodeOf(cluster: Cluster, label: string): Promise<{ node: ClusterNode; labelled: boolean }> {
  const nodes = await cluster.manager.swarm().nodes();
  const labelled = nodes.filter((node) => node.labels[label] === 'true');
  if (labelled.length > 1) {
    throw new StepFailed(
      `nodes ${labelled.map((node) => node.hostname).join(', ')} all carry ${label}=true: the stack's data can live on one node only`,
      `remove it from all but the node that holds the volumes: \`docker node update --label-rm ${label} NODE\``,
    );
  }
  const id = labelled[0]?.id ?? cluster.managerNode.id;
  const node = nodeEngine(cluster, id);
  if (!node)
    throw new StepFailed(
      `the data node ${labelled[0]?.hostname ?? id} is not reachable: the stack's volumes live there`,
      'start that node, or list its engine under swarm.nodes',
    );
  return { node, labelled: labelled[0] !== undefined };
}

/** The bundled Postgres task, on its node's engine, made to hold the roles and hba lines it needs, as on one engine. */
async function provision(deps: SwarmDeployDeps, request: SwarmDeployRequest, tasks: RunningTask[]): Promise<ProvisionReport> {
  const [task] = tasks;
  const node = task ? nodeEngine(deps.cluster, task.task.nodeId) : undefined;
  if (!task || !node) throw new StepFailed('the Postgres task runs on no node mcpgw reaches');
  const target = bundledProvisionTarget(request.model, request.secrets);
  // On a swarm this machine has no address on the stack's networks: the tunnel reaches Postgres from its own loopback.
  return provisionBundledPostgres(node.engine, { ...target, containerId: task.containerId, hostAddresses: [] }, deps.clock);
}
