import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import { SERVICE_LABEL, STACK_LABEL } from '../stack/labels.js';
import type { StackModel } from '../stack/model.js';
import { litellmService } from '../stack/model.js';

/** The stdio servers LiteLLM spawns itself, with the program each one starts. */
export function litellmStdioCommands(model: StackModel): { server: string; command: string }[] {
  return Object.entries(model.litellmConfig.mcp_servers)
    .filter(([, entry]) => entry.transport === 'stdio' && typeof entry.command === 'string')
    .map(([server, entry]) => ({ server, command: String(entry.command) }));
}

/**
 * Programs missing from the running LiteLLM container, by `command -v` inside it. The stock LiteLLM image
 * may lack npx or uvx; LiteLLM itself only fails later, when a client lists that server's tools.
 */
export async function missingInContainer(engine: Engine, containerId: string, commands: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const command of [...new Set(commands)]) {
    const result = await engine.exec(containerId, ['sh', '-c', 'command -v "$1"', 'sh', command]);
    if (result.exitCode !== 0) missing.push(command);
  }
  return missing;
}

export function missingCommandHint(image: string): string {
  return (
    `run the server in its own container instead: remove inside_litellm and give it an image that has node ` +
    `and the command (mcpgw mcp add … --image IMG), or install it in the LiteLLM image (${image})`
  );
}

/** The running LiteLLM container of the stack, if there is one. */
export async function runningLiteLLM(engine: Engine, model: StackModel): Promise<string | undefined> {
  const containers = await engine.listContainers([`${STACK_LABEL}=${model.name}`, `${SERVICE_LABEL}=${litellmService(model).name}`]);
  return containers.find((container) => container.state === 'running')?.id;
}

/**
 * After `up`: every program a LiteLLM-spawned stdio server needs must exist in the LiteLLM container, else
 * the server fails only when a client first lists its tools. Fails the step with what is missing and the fix.
 */
export async function assertStdioCommands(engine: Engine, model: StackModel): Promise<number> {
  const servers = litellmStdioCommands(model);
  if (servers.length === 0) return 0;
  const id = await runningLiteLLM(engine, model);
  if (!id) return 0;
  const missing = await missingInContainer(
    engine,
    id,
    servers.map((entry) => entry.command),
  );
  if (missing.length > 0) {
    const affected = servers.filter((entry) => missing.includes(entry.command)).map((entry) => `${entry.server} (${entry.command})`);
    const image = litellmService(model).image;
    throw new StepFailed(`the LiteLLM container has no ${missing.join(', ')}: stdio server(s) ${affected.join(', ')} cannot start`, missingCommandHint(image));
  }
  return servers.length;
}
