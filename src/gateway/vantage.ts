import type { Engine } from '../docker/engine.js';
import { DOCKER_OVERHEAD_MS, execScript, loadScript, parseMarked } from './container-script.js';

/** A server LiteLLM reaches over the network: the URL, transport and headers config.yaml gives LiteLLM. */
export interface ServerEndpoint {
  name: string;
  url: string;
  transport: 'sse' | 'http';
  headers: Record<string, string>;
}

/** Where a check stopped: the name did not resolve, nothing listened, the server refused a step, or time ran out. */
export type VantageStage = 'resolve' | 'connect' | 'open' | 'initialize' | 'list' | 'timeout' | 'protocol';

/** What the vantage script saw for one server (data/mcp-vantage.py writes these fields). */
export interface VantageAnswer {
  name: string;
  url: string;
  transport: 'sse' | 'http';
  ok: boolean;
  elapsed_ms: number;
  /** ok: the server's name and the tools it lists. */
  server?: string;
  tools?: string[];
  /** not ok: the stage, and what that stage answered. */
  stage?: VantageStage;
  status?: number;
  content_type?: string;
  body?: string;
  error?: string;
  rpc_error?: { code?: number; message?: string };
  /** The transport and path the server answered instead, when it refused the configured one. */
  speaks?: { transport: 'sse' | 'http'; path: string };
}

/** Asks MCP servers from LiteLLM's place on the network. */
export interface Vantage {
  reach(endpoints: ServerEndpoint[], timeoutMs: number): Promise<VantageAnswer[]>;
}

export type VantageEngine = Pick<Engine, 'containerState' | 'exec' | 'runOnce'>;

const SCRIPT = loadScript('mcp-vantage.py', 'mcpgw-vantage: ', 'the MCP check');

/** Where LiteLLM stands: its container, and for a throwaway stand-in its image, networks and labels. */
export interface LiteLLMPlace {
  container: string;
  image: string;
  networks: string[];
  labels: Record<string, string>;
}

/**
 * LiteLLM's own place: a Python script run inside the LiteLLM container when it runs (same DNS, same networks,
 * the same URL and headers), else in a throwaway container of the LiteLLM image attached to LiteLLM's networks.
 * Either way nothing is reached through a published port.
 */
export function litellmVantage(engine: VantageEngine, place: LiteLLMPlace, runId: () => string): Vantage {
  return {
    async reach(endpoints, timeoutMs) {
      if (endpoints.length === 0) return [];
      const request = JSON.stringify({ targets: endpoints.map((endpoint) => ({ ...endpoint, timeout_s: timeoutMs / 1000 })) });
      const state = await engine.containerState(place.container);
      if (state?.running) return (await execScript(engine, place.container, SCRIPT, [request], [], timeoutMs)) as VantageAnswer[];
      const run = await engine.runOnce(
        {
          name: `${place.container}-vantage-${runId()}`,
          image: place.image,
          entrypoint: ['python3'],
          cmd: ['-c', SCRIPT.source, request],
          labels: place.labels,
          networks: place.networks,
        },
        timeoutMs + DOCKER_OVERHEAD_MS,
      );
      return parseMarked(SCRIPT, run.output, run.exitCode) as VantageAnswer[];
    },
  };
}

/** Long enough to see a listing run past LiteLLM's own tool-listing timeout (30 s), no longer. */
export const VANTAGE_DEADLINE_MS = 40_000;

/**
 * What each server answered LiteLLM's place, asked for all of them together on the first question (one docker
 * exec per run), or why they could not be asked (no Docker engine: `engine` is an Error). Later questions read
 * the same answers.
 */
export function litellmAnswers(
  engine: VantageEngine | Error | undefined,
  place: LiteLLMPlace,
  runId: () => string,
  endpoints: ServerEndpoint[],
  timeoutMs = VANTAGE_DEADLINE_MS,
): (name: string) => Promise<VantageAnswer | Error | undefined> {
  let asked: Promise<VantageAnswer[] | Error> | undefined;
  return async (name) => {
    asked ??= Promise.resolve()
      .then(() => {
        if (!engine || engine instanceof Error) throw engine ?? new Error('Docker is not reachable');
        return litellmVantage(engine, place, runId).reach(endpoints, timeoutMs);
      })
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    const answers = await asked;
    return answers instanceof Error ? answers : answers.find((answer) => answer.name === name);
  };
}
