import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import { causeOf, describeAnswer, settledRefusal } from '../gateway/causes.js';
import { litellmVantage } from '../gateway/vantage.js';
import type { Cause } from '../outcome.js';
import { litellmEndpoints, litellmPlace, mcpServiceName, type ServiceModel, type StackModel } from '../stack/model.js';
import type { Clock } from '../time/clock.js';
import { WaitAborted } from '../time/wait.js';
import type { Progress } from '../ui/progress.js';

/** One MCP session from LiteLLM's place: servers answer initialize and tools/list in milliseconds once up. */
const MCP_ANSWER_MS = 5_000;

/** An MCP server's container this run brought up. */
export interface ServedContainer {
  id: string;
  service: ServiceModel;
}

export interface McpProofRun {
  engine: Engine;
  clock: Clock;
  progress: Progress;
  model: StackModel;
  /** A wait on the server's container that fails as its step (stack-runner's waitOn); `fix` names the last cause's fix. */
  wait<T>(served: ServedContainer, what: string, check: () => Promise<T>, fix: () => string | undefined): Promise<T>;
}

/**
 * Each MCP container's server as LiteLLM uses it: config.yaml's URL and headers, asked from LiteLLM's container
 * (one exec for all of them, then a wait on those not answering yet), one step each. The step fails with the cause
 * and its fix. Returns how many tools each server listed, by service name.
 */
export async function proveFromLiteLLM(run: McpProofRun, containers: ServedContainer[]): Promise<Map<string, number>> {
  const tools = new Map<string, number>();
  const served = new Map(containers.filter((entry) => entry.service.role === 'mcp').map((entry) => [entry.service.name, entry]));
  const endpoints = litellmEndpoints(run.model).filter((endpoint) => served.has(mcpServiceName(endpoint.name)));
  if (endpoints.length === 0) return tools;
  const vantage = litellmVantage(run.engine, litellmPlace(run.model), () => run.clock.now().toString(36));
  const first = await vantage.reach(endpoints, MCP_ANSWER_MS).catch(() => []);
  for (const endpoint of endpoints) {
    const container = served.get(mcpServiceName(endpoint.name)) as ServedContainer;
    const { service } = container;
    const role = { service: service.name, inUp: true };
    const step = run.progress.start(`${service.name} from LiteLLM`);
    let answer = first.find((candidate) => candidate.name === endpoint.name);
    try {
      if (!answer || causeOf(answer, role)) {
        let last: Cause | undefined;
        const answerMs = service.readiness.kind === 'mcp' ? (service.readiness.answerMs ?? MCP_ANSWER_MS) : MCP_ANSWER_MS;
        answer = await run.wait(
          container,
          `an MCP session with tools at ${endpoint.url} from LiteLLM's network`,
          async () => {
            const [seen] = await vantage.reach([endpoint], answerMs);
            last = seen ? causeOf(seen, role) : undefined;
            if (seen && last && settledRefusal(seen)) throw new WaitAborted(`${last.cause} (fix: ${last.fix})`);
            if (!seen || last) throw new Error(last ? `${last.cause} (fix: ${last.fix})` : 'no answer');
            return seen;
          },
          () => last?.fix,
        );
      }
    } catch (error) {
      step.fail(error instanceof StepFailed ? (error.message.split('\n')[0] ?? '') : (error as Error).message);
      throw error;
    }
    const proven = describeAnswer(answer);
    step.succeed(proven.slice(proven.indexOf(':') + 2));
    tools.set(service.name, answer.tools?.length ?? 0);
  }
  return tools;
}
