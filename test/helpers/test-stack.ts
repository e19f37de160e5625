import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { StackManifest } from '../stack/global-setup.js';

export interface TestStackOptions {
  name: string;
  images: StackManifest['images'] & { litellmDb?: string };
  litellmPort: number;
  /** MCP servers by name → port; each runs server-everything from the test MCP image. */
  mcp: Record<string, { transport: 'sse' | 'http'; port: number; command?: string[] }>;
  extra?: Record<string, unknown>;
  /** Extra lines for the secrets file (e.g. declared keys). */
  secrets?: Record<string, string>;
}

export const TEST_SECRETS = {
  LITELLM_MASTER_KEY: 'sk-itest-master-5c1e8d2f9a',
  LITELLM_SALT_KEY: 'sk-itest-salt-77b2c4e1d0',
  POSTGRES_PASSWORD: 'itest pw/with:odd@chars',
};

/** Writes mcpgw.yaml and its secrets file for a stack built from the locally built test images. */
export async function writeTestStack(dir: string, options: TestStackOptions): Promise<string> {
  const servers: Record<string, unknown> = {};
  for (const [name, server] of Object.entries(options.mcp)) {
    servers[name] = {
      transport: server.transport,
      image: options.images.mcp,
      command: server.command ?? ['mcp-server-everything', server.transport === 'sse' ? 'sse' : 'streamableHttp'],
      environment: { PORT: String(server.port) },
      port: server.port,
    };
  }
  const config = {
    version: 1,
    name: options.name,
    host: 'localhost',
    bind: '127.0.0.1',
    secrets: './secrets.env',
    network: `${options.name}-mcp`,
    litellm: { image: options.images.litellmDb ?? options.images.litellm, port: options.litellmPort },
    postgres: { image: options.images.postgres, network: `${options.name}-pg` },
    mcp_servers: servers,
    ...options.extra,
  };
  const file = path.join(dir, 'mcpgw.yaml');
  await writeFile(file, stringify(config));
  const secretsFile = path.join(dir, 'secrets.env');
  const secrets = { ...TEST_SECRETS, ...options.secrets };
  await writeFile(
    secretsFile,
    Object.entries(secrets)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  await chmod(secretsFile, 0o600);
  return file;
}
