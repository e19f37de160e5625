import type { SwarmTask } from '../../docker/swarm.js';
import { swarmServiceName } from '../../swarm/converge.js';
import { nodeEngine } from '../../swarm/cluster.js';
import { fail, pass, warn, type Cause, type Check, type CheckOutcome } from '../types.js';

/** One service of the stack as Swarm holds it: absent (never deployed), a job, or replicas wanted. */
export interface ServiceTasks {
  service: string;
  swarmName: string;
  deployed: boolean;
  job: boolean;
  /** Replicas wanted (a job: 1). */
  wanted: number;
  /** Newest first, as Swarm lists them. */
  tasks: SwarmTask[];
  /** Its last rolling update, when Swarm paused or rolled it back. */
  updateTrouble?: string;
  /** The placement a task must find a node for, in words (the data node for pinned services). */
  placement: string;
}

const ENDED = ['failed', 'rejected', 'orphaned', 'shutdown', 'complete'];

/** Swarm's reason for a task, with its exit code when its container exited with one. */
function why(task: SwarmTask): string {
  const exit = task.exitCode !== undefined && task.exitCode !== 0 ? ` (exit code ${task.exitCode})` : '';
  return `${task.state}${exit}: ${task.error ?? task.message}`;
}

/** The fix for what Swarm says, never a command that refuses a swarm. */
function fixFor(entry: ServiceTasks, task: SwarmTask): string {
  const reason = `${task.error ?? ''} ${task.message}`;
  if (/no suitable node/i.test(reason))
    return (
      `no node satisfies its placement (${entry.placement}): \`docker node ls\` on the manager shows a node down or drained (bring ` +
      'it back: `docker node update --availability active NODE`); a placement changed by hand, or a data label gone: `mcpgw up` deploys ' +
      "the stack file's again and labels the data node"
    );
  if (/no such image|image .*not found|pull access denied|manifest unknown/i.test(reason))
    return "the node lacks the service's image (see swarm.images): `mcpgw up` puts every image on the nodes that may run it";
  if (task.exitCode !== undefined && task.exitCode !== 0)
    return `its container exited: \`docker service logs ${entry.swarmName}\` on the manager shows why; \`mcpgw up\` once the cause is fixed`;
  return `\`docker service ps ${entry.swarmName} --no-trunc\` on the manager shows each task and why it is not running`;
}

/**
 * Every service runs what Swarm wants: each replicated service all its replicas, the migration job complete. A
 * service short of replicas is told with the task that is not running (or the newest that ended), Swarm's reason
 * and the node; a job still running is a warning.
 */
export function judgeTasks(services: readonly ServiceTasks[], nodeName: (nodeId: string) => string): CheckOutcome {
  const evidence: string[] = [];
  const causes: Cause[] = [];
  let pending = false;
  const on = (task: SwarmTask) => (task.nodeId ? ` on ${nodeName(task.nodeId)}` : ' (on no node)');
  for (const entry of services) {
    if (!entry.deployed) {
      evidence.push(`${entry.service}: not deployed`);
      causes.push({ cause: `service ${entry.swarmName} is not deployed`, fix: '`mcpgw up` deploys the stack' });
      continue;
    }
    if (entry.job) {
      const [newest] = entry.tasks;
      if (newest?.state === 'complete') {
        evidence.push(`${entry.service}: complete${on(newest)}`);
        continue;
      }
      evidence.push(`${entry.service}: ${newest ? `${why(newest)}${on(newest)}` : 'no run'}`);
      if (newest && !ENDED.includes(newest.state)) pending = true;
      else
        causes.push({
          cause: `the migration job ${entry.swarmName} ${newest ? `${why(newest)}${on(newest)}` : 'never ran'}`,
          fix: newest ? fixFor(entry, newest) : '`mcpgw up` runs it',
        });
      continue;
    }
    const running = entry.tasks.filter((task) => task.desiredState === 'running' && task.state === 'running');
    evidence.push(
      `${entry.service}: ${running.length}/${entry.wanted} running${running.length > 0 ? ` on ${running.map((task) => nodeName(task.nodeId)).join(', ')}` : ''}`,
    );
    if (entry.updateTrouble)
      causes.push({
        cause: `${entry.swarmName}: ${entry.updateTrouble}`,
        fix: `the service runs its previous spec: fix what the new one broke (\`docker service ps ${entry.swarmName} --no-trunc\`), then \`mcpgw up\``,
      });
    if (running.length >= entry.wanted) continue;
    // The task Swarm still tries to run tells why best; else the newest that ended.
    // A task that replaces a stopped one is wanted `ready` until Swarm places it.
    const stuck =
      entry.tasks.find((task) => ['running', 'ready'].includes(task.desiredState) && task.state !== 'running') ??
      entry.tasks.find((task) => ENDED.includes(task.state));
    causes.push({
      cause:
        `${entry.swarmName} runs ${running.length} of ${entry.wanted} task(s)` +
        (stuck
          ? `; task ${stuck.slot !== undefined ? `${entry.service}.${stuck.slot}` : stuck.id.slice(0, 12)} ${why(stuck)}${on(stuck)}`
          : '; Swarm shows no task'),
      fix: stuck ? fixFor(entry, stuck) : '`mcpgw up` deploys it again',
    });
  }
  if (causes.length > 0) return fail(evidence, causes);
  if (pending) return warn(evidence, [{ cause: 'the migration job is still running', fix: 'wait for it (`mcpgw status`), then run doctor again' }]);
  return pass(...evidence);
}

export const swarmTasks: Check = {
  id: 'swarm.tasks',
  title: 'every service of the stack runs the tasks Swarm wants; one that does not says why and on which node',
  area: 'swarm',
  needs: ['config', 'docker'],
  reports: 'swarm',
  only: { engine: 'swarm', why: 'one engine runs containers, not tasks (mcp.containers and litellm.health judge them)' },
  async run(ctx) {
    const { cluster, model } = await ctx.swarm();
    const manager = cluster.manager.swarm();
    const services = await Promise.all(
      model.services.map(async (service): Promise<ServiceTasks> => {
        const swarmName = swarmServiceName(model.stack, service.name);
        const spec = await manager.service(swarmName);
        const tasks = spec ? await manager.tasks(swarmName) : [];
        const trouble = spec?.updateState && /paused|rollback/.test(spec.updateState) ? spec.updateState.replace('_', ' ') : undefined;
        return {
          service: service.name,
          swarmName,
          deployed: spec !== undefined,
          job: service.mode.kind === 'job',
          wanted: service.mode.kind === 'job' ? 1 : (spec?.replicas ?? service.mode.replicas),
          tasks,
          ...(trouble ? { updateTrouble: `its last update ${trouble}${spec?.updateMessage ? `: ${spec.updateMessage}` : ''}` } : {}),
          placement: service.pinned ? `the data node, labelled ${model.dataNodeLabel}=true` : 'any active node',
        };
      }),
    );
    const nodes = await manager.nodes().catch(() => []);
    return judgeTasks(services, (id) => nodeEngine(cluster, id)?.node.hostname ?? nodes.find((node) => node.id === id)?.hostname ?? id.slice(0, 12));
  },
};
