import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import type { StackManifest } from '../stack/global-setup.js';
import { createNetwork, startContainer, testLabels, type StartedContainer } from '../stack/stack.js';

/**
 * The upstream model fixture, on the stack's MCP network `<name>-mcp` (created here first, kept by mcpgw) under
 * the alias llm; its tools are echoed back with the `-echo` suffix the probe's tool call expects.
 */
export async function startUpstream(docker: Docker, stack: StackManifest, run: string, name: string, apiKey: string): Promise<StartedContainer> {
  const labels = testLabels(run, {}, stack.owner);
  await createNetwork(docker, `${name}-mcp`, labels);
  return startContainer(docker, {
    name: `${name}-llm`,
    image: stack.images.node,
    labels,
    networks: [{ name: `${name}-mcp`, aliases: ['llm'] }],
    env: { PORT: '8080', FIXTURE_API_KEY: apiKey, FIXTURE_TOOL_SUFFIX: '-echo' },
    cmd: ['node', '/fixture/server.mjs'],
    binds: [`${path.join(stack.stackDir, 'llm-fixture')}:/fixture:ro`],
  });
}

/** Declares the fixture as the stack's model (key from the UPSTREAM_KEY secret), with a 1 s key cache so grant changes show at once. */
export async function useUpstreamModel(dir: string): Promise<void> {
  const file = path.join(dir, 'mcpgw.yaml');
  const config = parse(await readFile(file, 'utf8')) as { litellm: Record<string, unknown> };
  config.litellm.models = [{ name: 'fixture-model', model: 'openai/fixture-model', api_base: 'http://llm:8080/v1', api_key: 'UPSTREAM_KEY' }];
  config.litellm.key_cache_ttl = 1;
  await writeFile(file, stringify(config));
}
