import type { ContainerSummary } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import { publishedBaseUrl } from './endpoints.js';
import { SERVICE_LABEL, STACK_LABEL } from './labels.js';
import { FRONT_DOOR_SERVICE, LITELLM_CONTAINER_PORT, LITELLM_SERVICE } from './model.js';

/**
 * What runs, found by labels alone, for the commands that read past a mcpgw.yaml that does not validate (`keys list`,
 * doctor): the file cannot say where the stack is, its containers can.
 */

/** The container of one of the stack's services on this engine, by its labels; undefined when none exists. */
export async function labelledContainer(engine: Engine, stack: string, service: string): Promise<ContainerSummary | undefined> {
  const [container] = await engine.listContainers([`${STACK_LABEL}=${stack}`, `${SERVICE_LABEL}=${service}`]);
  return container;
}

/**
 * LiteLLM's base URL from this machine: the port the labelled front door publishes, or on a stack made before mcpgw
 * had one, LiteLLM's labelled container itself (both listen on LiteLLM's port inside).
 */
export async function runningGatewayUrl(engine: Engine, stack: string): Promise<string> {
  const gateway = (await labelledContainer(engine, stack, FRONT_DOOR_SERVICE)) ?? (await labelledContainer(engine, stack, LITELLM_SERVICE));
  if (!gateway) throw new StepFailed(`no LiteLLM container is labelled ${STACK_LABEL}=${stack} on this engine`, 'run `mcpgw status` to see what runs');
  const port = (await engine.publishedPorts(gateway.id)).find((entry) => entry.target === LITELLM_CONTAINER_PORT && entry.hostPort > 0);
  if (!port) throw new StepFailed(`container ${gateway.name} publishes no port for LiteLLM's ${LITELLM_CONTAINER_PORT}`, '`mcpgw logs litellm`');
  return publishedBaseUrl({ hostIp: port.hostIp, published: port.hostPort });
}
