import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRETS, writeTestStack } from '../helpers/test-stack.js';

const stack = inject('mcpgwStack');
const name = `mcpgwt-${Date.now().toString(36)}-bridge`;
const LITELLM_PORT = 14450;
const BRIDGE_PORT = 48560;
const container = `${name}-mcp-memory`;
const TIMEOUT = { timeout: 300_000 };
const LONG_TEST_MS = 900_000;

type ToolResult = { content: { type: string; text?: string }[]; isError?: boolean };

/** A client session through the gateway, as a user's MCP client opens one (LiteLLM opens its own upstream). */
async function gatewaySession(): Promise<Client> {
  const client = new Client({ name: 'mcpgw-itest-bridge', version: '0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${LITELLM_PORT}/mcp/memory`), {
    requestInit: { headers: { 'x-litellm-api-key': `Bearer ${TEST_SECRETS.LITELLM_MASTER_KEY}` } },
  });
  await client.connect(transport, TIMEOUT);
  return client;
}

async function call(client: Client, tool: string, args: Record<string, unknown>): Promise<string> {
  const result = (await client.callTool({ name: `memory-${tool}`, arguments: args }, undefined, TIMEOUT)) as ToolResult;
  const text = result.content.map((part) => part.text ?? '').join(' ');
  expect(result.isError ?? false, text).toBe(false);
  return text;
}

/** The processes in the bridge container (pid and command line), from the engine. */
async function processes(): Promise<{ pid: string; args: string }[]> {
  const { stdout } = await execa('docker', ['top', container, '-eo', 'pid,args']);
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [pid = '', ...args] = line.trim().split(/\s+/);
      return { pid, args: args.join(' ') };
    });
}

const BRIDGE_ARGS = 'node /mcpgw/mcp-bridge.mjs';
/** The server's pid (the bridge's own command line names the server too). */
const serverPid = async () => (await processes()).find((entry) => !entry.args.startsWith(BRIDGE_ARGS) && entry.args.includes('mcp-server-memory'))?.pid;

describe("a bridged stdio server (npm's server-memory) through the real LiteLLM: one long-lived process, no cross-talk", () => {
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-bridge-'));
    await writeTestStack(dir, {
      name,
      images: stack.images,
      litellmPort: LITELLM_PORT,
      mcp: {},
      extra: {
        mcp_servers: {
          memory: {
            transport: 'stdio',
            bridge: 'http',
            image: stack.images.mcp,
            command: ['mcp-server-memory'],
            environment: { MEMORY_FILE_PATH: '/tmp/memory.jsonl' },
            port: BRIDGE_PORT,
          },
        },
      },
    });
    const up = await runCli(['up', '--no-probe'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/mcp-memory from LiteLLM.*9 tools/);
  }, LONG_TEST_MS);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir });
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'concurrent tool calls through the gateway each get their own answer: separate sessions and one shared session',
    async () => {
      const nonces = Array.from({ length: 16 }, (_, index) => `nonce-${index}-${Math.random().toString(36).slice(2, 10)}`);
      const create = (client: Client, nonce: string) =>
        call(client, 'create_entities', { entities: [{ name: nonce, entityType: 'nonce', observations: [`seen ${nonce}`] }] });
      const separate = nonces.slice(0, 8).map(async (nonce) => {
        const client = await gatewaySession();
        try {
          return [nonce, await create(client, nonce)] as const;
        } finally {
          await client.close();
        }
      });
      const shared = await gatewaySession();
      try {
        const onShared = nonces.slice(8).map(async (nonce) => [nonce, await create(shared, nonce)] as const);
        const answers = await Promise.all([...separate, ...onShared]);
        for (const [nonce, text] of answers) {
          expect(text, nonce).toContain(`seen ${nonce}`);
          for (const other of nonces.filter((candidate) => candidate !== nonce)) expect(text, `${nonce}'s answer`).not.toContain(other);
        }
      } finally {
        await shared.close();
      }
    },
    LONG_TEST_MS,
  );

  it(
    'concurrent reads get their own answers too (entities written one by one: the server itself loses concurrent writes)',
    async () => {
      const nonces = Array.from({ length: 12 }, (_, index) => `read-${index}-${Math.random().toString(36).slice(2, 10)}`);
      const writer = await gatewaySession();
      try {
        // server-memory reads, changes and rewrites its file per call, so parallel creates can drop each other's entities.
        for (const nonce of nonces)
          await call(writer, 'create_entities', { entities: [{ name: nonce, entityType: 'nonce', observations: [`kept ${nonce}`] }] });
        const found = await Promise.all(
          nonces.map(async (nonce, index) => {
            const client = index % 2 === 0 ? await gatewaySession() : writer;
            try {
              return [nonce, await call(client, 'open_nodes', { names: [nonce] })] as const;
            } finally {
              if (client !== writer) await client.close();
            }
          }),
        );
        for (const [nonce, text] of found) {
          expect(text, nonce).toContain(`kept ${nonce}`);
          for (const other of nonces.filter((candidate) => candidate !== nonce)) expect(text, `open_nodes ${nonce}`).not.toContain(other);
        }
      } finally {
        await writer.close();
      }
    },
    LONG_TEST_MS,
  );

  it(
    'many requests through LiteLLM leave the container with the bridge and one server process, the same one throughout',
    async () => {
      const before = await serverPid();
      expect(before, JSON.stringify(await processes())).toBeDefined();
      // 30 client sessions, 3 at a time: each is several upstream sessions for LiteLLM (initialize, list, call).
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 3 }, async () => {
            const client = await gatewaySession();
            try {
              await client.listTools(undefined, TIMEOUT);
              await call(client, 'read_graph', {});
            } finally {
              await client.close();
            }
          }),
        );
      }
      const after = await processes();
      expect(
        after.map((entry) => entry.args),
        'processes in the bridge container',
      ).toHaveLength(2);
      expect(after.filter((entry) => entry.args.startsWith(BRIDGE_ARGS))).toHaveLength(1);
      expect(await serverPid()).toBe(before);
    },
    LONG_TEST_MS,
  );

  it(
    'a server process that dies is started again by the next request, and that request is answered',
    async () => {
      const pid = await serverPid();
      // docker top names host pids; the test runs as root on the engine's host.
      process.kill(Number(pid), 'SIGTERM');
      const client = await gatewaySession();
      try {
        const nonce = `after-restart-${Math.random().toString(36).slice(2, 10)}`;
        expect(await call(client, 'create_entities', { entities: [{ name: nonce, entityType: 'nonce', observations: [] }] })).toContain(nonce);
      } finally {
        await client.close();
      }
      const restarted = await serverPid();
      expect(restarted).toBeDefined();
      expect(restarted).not.toBe(pid);
      expect(await processes()).toHaveLength(2);
    },
    LONG_TEST_MS,
  );
});
