import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { fixtureStack } from '../helpers/fixtures.js';

const swarm = fixtureStack('swarm').yaml;

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('what a swarm cannot honour', () => {
  it('accepts the swarm fixture as it is', () => {
    expect(problems(swarm)).toEqual([]);
  });

  it('reports a bound address, a published MCP server and a published Postgres, all at once', () => {
    const yaml = swarm
      .replace('host: gateway.lan\n', 'host: gateway.lan\nbind: 192.168.1.20\n')
      .replace('    port: 48020\n', '    port: 48020\n    publish: true\n')
      .replace('postgres:\n  build: builtin\n', 'postgres:\n  build: builtin\n  host_port: 5433\n');
    expect(problems(yaml)).toEqual([
      'bind: a swarm publishes the front door on every address of the node that runs it, not on 192.168.1.20 alone',
      'postgres.host_port: a swarm would publish Postgres on every address of its node, on the LAN, not on 127.0.0.1',
      'mcp_servers.everything.publish: a swarm would publish the server on every address of its node, on the LAN',
    ]);
  });

  it('leaves the same settings alone on one engine', () => {
    const yaml = swarm
      .replace(/^engine: swarm\n/m, '')
      .replace(/^swarm:\n(?: {2}.*\n)+/m, '')
      .replace('  replicas: 3\n', '')
      .replace('host: gateway.lan\n', 'host: gateway.lan\nbind: 192.168.1.20\n')
      .replace('    port: 48020\n', '    port: 48020\n    publish: true\n');
    expect(problems(yaml)).toEqual([]);
  });
});
