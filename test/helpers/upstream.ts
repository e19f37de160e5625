import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import type { StackManifest } from '../stack/global-setup.js';
import { createNetwork, startContainer, testLabels, type StartedContainer } from '../stack/stack.js';

/**
 * The upstream model fixture (test/stack/llm-fixture/server.mjs: OpenAI chat completions and responses,
 * Anthropic messages; tool_choice honoured on every turn, the tool and its arguments taken from the instruction)
 * on the network `<name>-mcp` (created here first; useUpstreamModel has LiteLLM join it, no MCP server is on it)
 * under the alias llm, its port 8080 also published on 127.0.0.1 so a test can read the requests LiteLLM sent it.
 */
export async function startUpstream(docker: Docker, stack: StackManifest, run: string, name: string, apiKey: string): Promise<StartedContainer> {
  const labels = testLabels(run, {}, stack.owner);
  await createNetwork(docker, upstreamNetwork(name), labels);
  return startContainer(docker, {
    name: `${name}-llm`,
    image: stack.images.node,
    labels,
    networks: [{ name: upstreamNetwork(name), aliases: ['llm'] }],
    env: { PORT: '8080', FIXTURE_API_KEY: apiKey },
    cmd: ['node', '/fixture/server.mjs'],
    binds: [`${path.join(stack.stackDir, 'llm-fixture')}:/fixture:ro`],
    publish: [8080],
  });
}

/** The network the fixture is on: the name the stack's old shared MCP network had, now LiteLLM's alone. */
export function upstreamNetwork(stack: string): string {
  return `${stack}-mcp`;
}

/** One request the fixture received, as it recorded it. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The requests the fixture received since the last `clearUpstreamRequests`. */
export async function upstreamRequests(llm: StartedContainer): Promise<UpstreamRequest[]> {
  const response = await fetch(`http://127.0.0.1:${await llm.hostPort(8080)}/__requests`);
  return (await response.json()) as UpstreamRequest[];
}

export async function clearUpstreamRequests(llm: StartedContainer): Promise<void> {
  await fetch(`http://127.0.0.1:${await llm.hostPort(8080)}/__requests`, { method: 'DELETE' });
}

/**
 * The fixture behind each of LiteLLM's provider paths: `openai/…` posts to `<api_base>/chat/completions` and
 * `/responses` with `Authorization: Bearer`; `anthropic/…` posts to `<api_base>/v1/messages` (LiteLLM appends the
 * suffix) with `x-api-key` and `anthropic-version`. Both keys come from the UPSTREAM_KEY secret.
 */
export const UPSTREAM_MODELS = {
  openai: { name: 'fixture-model', model: 'openai/fixture-model', api_base: 'http://llm:8080/v1', api_key: 'UPSTREAM_KEY' },
  anthropic: { name: 'fixture-claude', model: 'anthropic/claude-3-haiku-20240307', api_base: 'http://llm:8080', api_key: 'UPSTREAM_KEY' },
} as const;

/**
 * Declares the fixture as the stack's models, in the order given (the probe and doctor use the first), with a
 * 1 s key cache so grant changes show at once; LiteLLM joins the fixture's network.
 */
export async function useUpstreamModel(dir: string, providers: (keyof typeof UPSTREAM_MODELS)[] = ['openai']): Promise<void> {
  const file = path.join(dir, 'mcpgw.yaml');
  const config = parse(await readFile(file, 'utf8')) as { name: string; litellm: Record<string, unknown> };
  config.litellm.models = providers.map((provider) => ({ ...UPSTREAM_MODELS[provider] }));
  config.litellm.networks = [upstreamNetwork(config.name)];
  config.litellm.key_cache_ttl = 1;
  await writeFile(file, stringify(config));
}
