// Shared by the benchmarks: the test images' manifest, stack files built from them, and timing helpers.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const bin = path.join(root, 'bin/mcpgw.js');
export const manifest = JSON.parse(readFileSync(path.join(root, 'test/stack/.work/manifest.json'), 'utf8'));

/** The top of a bench stack's mcpgw.yaml: loopback only, its own networks, secrets beside it. */
export function stackHeaderYaml(name) {
  return `version: 1
name: ${name}
host: localhost
bind: 127.0.0.1
secrets: ./secrets.env
network: ${name}-mcp
`;
}

/** One MCP server from the test image (server-everything) on `port`, as mcpgw.yaml lines. */
export function mcpServerYaml(name, transport, port) {
  return `  ${name}:
    transport: ${transport}
    image: ${manifest.images.mcp}
    command: [mcp-server-everything, ${transport === 'sse' ? 'sse' : 'streamableHttp'}]
    environment: { PORT: "${port}" }
    port: ${port}
`;
}

/** A temp directory holding mcpgw.yaml and its 0600 secrets file. */
export function writeStack(prefix, yaml, secrets) {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  writeFileSync(path.join(dir, 'mcpgw.yaml'), yaml);
  writeFileSync(
    path.join(dir, 'secrets.env'),
    Object.entries(secrets)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  chmodSync(path.join(dir, 'secrets.env'), 0o600);
  return dir;
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
