import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const base = `version: 1
host: 192.168.1.10
mcp_servers:
  everything:
    transport: http
    image: mcpgw/npm-modelcontextprotocol-server-everything:2026.8.31
    port: 48010
`;

function issuesOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'mcpgw.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message} | ${issue.fix ?? ''}`);
    throw error;
  }
  return [];
}

describe('engine: swarm in mcpgw.yaml', () => {
  it('accepts a swarm with its nodes and replicas', () => {
    const yaml = `${base}engine: swarm\nlitellm:\n  replicas: 3\nswarm:\n  manager: tcp://10.0.0.1:2375\n  nodes: [tcp://10.0.0.1:2375, ssh://ops@node2, unix:///var/run/docker.sock]\n`;
    const config = parseConfig(yaml, 'mcpgw.yaml');
    expect(config.engine).toBe('swarm');
    expect(config.litellm.replicas).toBe(3);
    expect(config.swarm?.nodes).toHaveLength(3);
  });

  it('keeps engine compose with one replica by default', () => {
    const config = parseConfig(base, 'mcpgw.yaml');
    expect(config.engine).toBe('compose');
    expect(config.litellm.replicas).toBe(1);
  });

  it('reports every swarm problem at once, each with its place and fix', () => {
    const issues = issuesOf(`${base}engine: swarm\nlitellm:\n  replicas: 0\nswarm:\n  manager: http://10.0.0.1:2375\n  nodes: []\n`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^litellm\.replicas: /),
        expect.stringMatching(/^swarm\.manager: must be an engine address as DOCKER_HOST takes it/),
        expect.stringMatching(/^swarm\.nodes: must have at least 1/),
      ]),
    );
  });

  it('refuses replicas on one engine, naming swarm as the way', () => {
    expect(issuesOf(`${base}litellm:\n  replicas: 2\n`)).toEqual([
      expect.stringMatching(/^litellm\.replicas: 2 replicas need a Docker Swarm.*\| set engine: swarm/),
    ]);
  });

  it('refuses engine: swarm without its nodes, and a swarm block on one engine', () => {
    expect(issuesOf(`${base}engine: swarm\n`)).toEqual([expect.stringMatching(/^swarm: is required with engine: swarm/)]);
    expect(issuesOf(`${base}swarm:\n  nodes: [tcp://10.0.0.1:2375]\n`)).toEqual([expect.stringMatching(/^swarm: applies to engine: swarm only/)]);
  });

  it('refuses a stdio server spawned inside LiteLLM on a swarm: each replica would run its own', () => {
    const yaml = `${base}engine: swarm\nswarm:\n  nodes: [tcp://10.0.0.1:2375]\n`.replace(
      'mcp_servers:\n',
      'mcp_servers:\n  local:\n    transport: stdio\n    command: npx\n    args: [-y, some-server]\n    inside_litellm: true\n',
    );
    expect(issuesOf(yaml)).toEqual([expect.stringMatching(/^mcp_servers\.local\.inside_litellm: on a swarm each LiteLLM replica would spawn its own copy/)]);
  });
});
