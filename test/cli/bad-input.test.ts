import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSecrets } from '../../src/config/secrets.js';
import { runCli, withTempDir } from '../helpers/cli.js';

/**
 * Bad input as a new user (or a hostile file) hands it to mcpgw, one row per case (the cases found by trying it, and those that
 * already worked). Every row runs twice, plain and with --json, each in a fresh folder with real files, and must:
 * exit with its code; say its words (the place and the fix); under --json print exactly one JSON document on
 * stdout (ok: false when the exit code is not 0, every config problem with a fix); show no secret value on any
 * stream; and leave every file byte for byte (and mode) as it was, except the ones the row says it changes.
 * Docker is a socket path that does not exist and Postgres a closed loopback port: nothing leaves this machine.
 */

interface Case {
  /** Issue 18 item (or "handled": a case that already worked) and what is wrong. */
  name: string;
  /** What the folder starts with: what `mcpgw init --host gw.lan` writes (default), or nothing. */
  stack?: 'init' | 'none';
  yaml?: (text: string) => string;
  secrets?: (text: string) => string;
  /** Extra files, relative to the folder (home/ is $HOME). */
  files?: Record<string, string | Buffer>;
  setup?: (dir: string) => Promise<void>;
  argv: string[];
  env?: Record<string, string>;
  /** Streams that claim to be a terminal (colour is then allowed). */
  tty?: boolean;
  code: number;
  /** Words the output must contain in both runs (plain: stdout + stderr; --json: stderr + the document's text). */
  says: (string | RegExp)[];
  /** Words only the plain run shows (file:line:col locations). */
  plainSays?: (string | RegExp)[];
  /** Words no stream may contain. */
  never?: (string | RegExp)[];
  /** Words that must appear exactly once in the plain run. */
  once?: string[];
  /** Values that must appear in no stream, besides every value of the secrets file. */
  secretValues?: string[];
  /** Path prefixes (relative) the command is meant to change or create; everything else stays byte-identical. */
  changes?: string[];
  /** More checks on the folder after the plain run. */
  after?: (dir: string) => Promise<void>;
  /** Permission cases cannot be made as root, who reads and writes everything. */
  asRoot?: false;
}

const NO_DOCKER = 'unix:///nonexistent/mcpgw-bad-input/docker.sock';
const LIVE_KEY = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const GITHUB_TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const isRoot = process.getuid?.() === 0;

/** A server entry added under mcp_servers: of the init stack. */
const withServer = (block: string) => (yaml: string) => yaml.replace('\nkeys:', `\n${block.replace(/^\n/, '')}\nkeys:`);
const replace = (from: string | RegExp, to: string) => (text: string) => {
  const next = text.replace(from, to);
  if (next === text) throw new Error(`fixture edit did not apply: ${String(from)}`);
  return next;
};
const host = (value: string) => replace(/^host: gw\.lan/m, `host: ${value}`);

const CASES: Case[] = [
  // 1. Credentials in a URL are a literal secret.
  {
    name: '1 url with user:password@ (render)',
    yaml: withServer(`  nas:\n    transport: http\n    url: http://admin:${LIVE_KEY}@nas.lan:8931/mcp`),
    argv: ['render'],
    code: 2,
    says: ['mcp_servers.nas.url', 'holds credentials', 'remove them from the url'],
    secretValues: [LIVE_KEY],
  },
  {
    name: '1 url with user:password@ (doctor --offline)',
    yaml: withServer(`  nas:\n    transport: http\n    url: http://admin:${LIVE_KEY}@nas.lan:8931/mcp`),
    argv: ['doctor', '--offline', '--only', 'config', 'mcp'],
    code: 1,
    says: ['holds credentials', 'see config.valid'],
    secretValues: [LIVE_KEY],
  },
  {
    name: '1 url with user:password@ (mcp list)',
    yaml: withServer(`  nas:\n    transport: http\n    url: http://admin:${LIVE_KEY}@nas.lan:8931/mcp`),
    argv: ['mcp', 'list'],
    code: 2,
    says: ['holds credentials'],
    secretValues: [LIVE_KEY],
  },
  {
    name: '1 url with user:password@ (mcp add)',
    argv: ['mcp', 'add', 'nas', '--transport', 'http', '--url', `http://admin:${LIVE_KEY}@nas.lan:8931/mcp`],
    code: 2,
    says: ['mcp_servers.nas.url', 'holds credentials', 'nothing written'],
    secretValues: [LIVE_KEY],
  },
  {
    name: 'handled: client-config --url with credentials',
    argv: ['client-config', 'claude', '--url', `http://u:${LIVE_KEY}@gw.lan:4000/mcp/`],
    code: 2,
    says: ['must not carry credentials', 'x-litellm-api-key'],
    secretValues: [LIVE_KEY],
  },

  // 2. Literal secrets in fields rendered in clear.
  {
    name: '2 environment value that is a key',
    yaml: withServer(`  tools:\n    transport: http\n    image: node:20-slim\n    port: 48030\n    environment: { API_TOKEN: ${LIVE_KEY} }`),
    argv: ['render'],
    code: 2,
    says: ['mcp_servers.tools.environment.API_TOKEN', 'holds a secret value', 'env: { API_TOKEN: MCP_TOOLS_API_TOKEN }'],
    secretValues: [LIVE_KEY],
  },
  {
    name: '2 environment GITHUB_TOKEN: ghp_…',
    yaml: withServer(`  gh:\n    transport: http\n    image: node:20-slim\n    port: 48031\n    environment:\n      GITHUB_TOKEN: ${GITHUB_TOKEN}`),
    argv: ['render'],
    code: 2,
    says: ['environment.GITHUB_TOKEN', 'docker-compose.yml'],
    secretValues: [GITHUB_TOKEN],
  },
  {
    name: '2 command --token sk-…',
    yaml: withServer(
      `  tools:\n    transport: http\n    image: node:20-slim\n    port: 48030\n    command: ["npx", "-y", "tools@1.0.0", "--token", "${LIVE_KEY}"]`,
    ),
    argv: ['up', '--dry-run'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['mcp_servers.tools.command[4]', 'holds a secret value'],
    never: ['Docker engine'],
    secretValues: [LIVE_KEY],
  },
  {
    name: '2 stdio args --api-key=…',
    yaml: withServer(`  local:\n    transport: stdio\n    inside_litellm: true\n    command: npx\n    args: ["-y", "tools@1.0.0", "--api-key=${LIVE_KEY}"]`),
    argv: ['render'],
    code: 2,
    says: ['mcp_servers.local.args[2]', 'config/config.yaml'],
    secretValues: [LIVE_KEY],
  },
  {
    name: 'handled: a key value where a secret name belongs (env)',
    yaml: withServer(`  tools:\n    transport: http\n    image: node:20-slim\n    port: 48030\n    env: { API_TOKEN: ${LIVE_KEY} }`),
    argv: ['render'],
    code: 2,
    says: ['env.API_TOKEN', 'not a value'],
    secretValues: [LIVE_KEY],
  },
  {
    name: '2 a number where a secret name belongs is not echoed',
    yaml: replace('  port: 4000', '  port: 4000\n  master_key: 31415926535'),
    argv: ['render'],
    code: 2,
    says: ['litellm.master_key: must be a string, got a number (not shown)'],
    secretValues: ['31415926535'],
  },
  {
    name: 'handled: a key value as litellm.master_key',
    yaml: replace('  port: 4000', `  port: 4000\n  master_key: ${LIVE_KEY}`),
    argv: ['render'],
    code: 2,
    says: ['litellm.master_key', 'NAME of a variable'],
    secretValues: [LIVE_KEY],
  },

  // 3. The secrets file must not break the stack.
  {
    name: '3 a name set twice with different values',
    secrets: (text) => `${text}LITELLM_MASTER_KEY=sk-second-value-0123456789abcdef\n`,
    argv: ['render'],
    code: 2,
    says: ['LITELLM_MASTER_KEY', 'set again with a different value', 'keep one LITELLM_MASTER_KEY= line'],
    plainSays: [/litellm\.env:16:1 +LITELLM_MASTER_KEY/],
    secretValues: ['sk-second-value-0123456789abcdef'],
  },
  {
    name: '3 an empty POSTGRES_PASSWORD',
    secrets: replace(/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD='),
    argv: ['render'],
    code: 2,
    says: ['POSTGRES_PASSWORD: is empty', 'openssl rand'],
    plainSays: [/litellm\.env:7:1/],
  },
  {
    name: '3 LITELLM_MASTER_KEY=sk-1',
    secrets: replace(/^LITELLM_MASTER_KEY=.*$/m, 'LITELLM_MASTER_KEY=sk-1'),
    argv: ['render'],
    code: 2,
    says: ['LITELLM_MASTER_KEY', 'too short', 'at least 16'],
  },
  {
    name: '3 a master key without sk-',
    secrets: replace(/^LITELLM_MASTER_KEY=.*$/m, 'LITELLM_MASTER_KEY=plainmasterkey0123456789'),
    argv: ['up', '--dry-run'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['does not start with sk-'],
    never: ['Docker engine'],
    secretValues: ['plainmasterkey0123456789'],
  },
  {
    name: 'handled: a secret the stack needs is missing',
    secrets: replace(/^POSTGRES_PASSWORD=.*\n/m, ''),
    argv: ['render'],
    code: 2,
    says: ['POSTGRES_PASSWORD: is not set', 'add POSTGRES_PASSWORD='],
  },
  {
    name: 'handled: a malformed secrets line, not echoed',
    secrets: (text) => `${text}${LIVE_KEY}\n`,
    argv: ['render'],
    code: 2,
    says: ['expected NAME=value'],
    secretValues: [LIVE_KEY],
  },

  // 4. A key written into a file others can read.
  {
    name: '4 client-config gemini --write into an existing 0644 file',
    setup: async (dir) => {
      await mkdir(path.join(dir, 'home', '.gemini'), { recursive: true });
      await writeFile(path.join(dir, 'home', '.gemini', 'settings.json'), '{ "theme": "dark" }\n', { mode: 0o644 });
    },
    argv: ['client-config', 'gemini', '--key-alias', 'claude-code', '--write'],
    code: 0,
    says: ['was mode 0644, readable by other users', 'now 0600'],
    changes: ['home/.gemini/'],
    after: async (dir) => {
      const folder = path.join(dir, 'home', '.gemini');
      for (const file of await readdir(folder)) expect((await stat(path.join(folder, file))).mode & 0o777, file).toBe(0o600);
    },
  },
  {
    name: '4 client-config claude --write into an existing 0644 ~/.claude.json',
    files: { 'home/.claude.json': '{}\n' },
    setup: (dir) => chmod(path.join(dir, 'home', '.claude.json'), 0o644),
    argv: ['client-config', 'claude', '--key-alias', 'claude-code', '--write'],
    code: 0,
    says: ['now 0600'],
    changes: ['home/'],
  },

  // 5. A path that is not the file mcpgw needs.
  { name: '5 -f . (a directory)', argv: ['-f', '.', 'render'], code: 2, says: ['is a directory', 'mcpgw.yaml file itself'] },
  { name: '5 -f somedir', setup: (dir) => mkdir(path.join(dir, 'somedir')), argv: ['-f', 'somedir', 'render'], code: 2, says: ['somedir is a directory'] },
  { name: "5 -f ''", argv: ['-f', '', 'render'], code: 2, says: ['-f/--file is empty', 'give the path of mcpgw.yaml'] },
  {
    name: '5 secrets: ./secrets (a directory)',
    yaml: replace(/^secrets: \.\/secrets\/litellm\.env/m, 'secrets: ./secrets'),
    argv: ['render'],
    code: 2,
    says: ['secrets is a directory', 'secrets file itself'],
  },
  {
    name: '5 an unreadable secrets file',
    asRoot: false,
    setup: (dir) => chmod(path.join(dir, 'secrets', 'litellm.env'), 0o000),
    argv: ['render'],
    code: 2,
    says: ['permission denied'],
  },
  {
    name: '5 init in a read-only folder',
    stack: 'none',
    asRoot: false,
    setup: (dir) => chmod(dir, 0o555),
    argv: ['init', '--host', 'gw.lan'],
    code: 2,
    says: ['permission denied'],
  },
  {
    name: '5 init where a file is in the way of the folder',
    stack: 'none',
    files: { blocker: 'a file\n' },
    argv: ['-f', 'blocker/mcpgw.yaml', 'init', '--host', 'gw.lan'],
    code: 2,
    says: ['blocker', 'a file is in the way'],
  },
  {
    name: '5 render --out <a file>',
    files: { 'out.txt': 'not a folder\n' },
    argv: ['render', '--out', 'out.txt'],
    code: 2,
    says: ['--out out.txt is a file, not a folder'],
  },
  { name: '5 -f /dev/zero', argv: ['-f', '/dev/zero', 'render'], code: 2, says: ['/dev/zero is not a regular file (a device)'] },

  // 6. A named pipe would be read forever.
  {
    name: '6 -f fifo.yaml (a named pipe)',
    setup: async (dir) => void execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]),
    argv: ['-f', 'fifo.yaml', 'render'],
    code: 2,
    says: ['fifo.yaml is not a regular file (a named pipe)'],
  },

  // 7. YAML alias bomb.
  {
    name: '7 a YAML alias bomb (billion laughs)',
    files: {
      'bomb.yaml':
        'version: 1\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, ' +
        '*a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    },
    argv: ['-f', 'bomb.yaml', 'render'],
    code: 2,
    says: ['alias bomb', 'write the values out'],
    plainSays: [/bomb\.yaml:3:\d+/],
    never: ['internal error'],
  },

  // 8. A wrong type says what was expected and what was found.
  {
    name: '8 port: "4000"',
    yaml: replace('  port: 4000', '  port: "4000"'),
    argv: ['render'],
    code: 2,
    says: ['litellm.port: must be a number, got the string "4000"', 'write it like port: 4000'],
    never: ['is required'],
  },
  {
    name: '8 port: 4000.5',
    yaml: replace('  port: 4000', '  port: 4000.5'),
    argv: ['render'],
    code: 2,
    says: ['must be a whole number, got the number 4000.5'],
  },
  {
    name: '8 host: 123',
    yaml: host('123'),
    argv: ['render'],
    code: 2,
    says: ['host: must be a string, got the number 123', 'write it like host: linuxserver.lan'],
  },
  {
    name: '8 lan_only: "no"',
    yaml: replace('\nsecrets:', '\nlan_only: "no"\nsecrets:'),
    argv: ['render'],
    code: 2,
    says: ['lan_only: must be a boolean, got the string "no"'],
  },
  {
    name: '8 keys: as a mapping',
    yaml: replace(/\nkeys:\n[\s\S]*$/, '\nkeys:\n  claude-code: { mcp_servers: [everything] }\n'),
    argv: ['render'],
    code: 2,
    says: ['keys: must be a list, got a mapping'],
  },
  {
    name: '8 observability: {loki: yes}',
    yaml: (text) => `${text}observability: { loki: yes }\n`,
    argv: ['render'],
    code: 2,
    says: ['observability.loki: must be a mapping, got the string "yes"', 'write it like loki: { enabled: true }'],
  },
  {
    name: '8 a range says what it got',
    yaml: replace('  port: 4000', '  port: 70000'),
    argv: ['render'],
    code: 2,
    says: ['must be at most 65535, got 70000'],
    never: ['undefined'],
  },

  // 9. Not a mapping, not UTF-8, not text.
  {
    name: '9 a prose file',
    files: { 'prose.yaml': 'This is where the gateway config will go.\nAsk Sam.\n' },
    argv: ['-f', 'prose.yaml', 'render'],
    code: 2,
    says: ['(top level): must be a mapping of fields, got plain text', 'mcpgw init'],
    plainSays: ['prose.yaml:1:1'],
  },
  {
    name: '9 a YAML list',
    files: { 'list.yaml': '- version: 1\n- host: gw.lan\n' },
    argv: ['-f', 'list.yaml', 'render'],
    code: 2,
    says: ['must be a mapping of fields, got a list'],
  },
  {
    name: '9 a UTF-16 file',
    files: { 'utf16.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('version: 1\nhost: gw.lan\n', 'utf16le')]) },
    argv: ['-f', 'utf16.yaml', 'render'],
    code: 2,
    says: ['utf16.yaml is UTF-16 text', 'save it as UTF-8'],
  },
  ...(existsSync('/proc/self/environ')
    ? [{ name: '9 -f /proc/self/environ', argv: ['-f', '/proc/self/environ', 'render'], code: 2, says: ['/proc/self/environ is not a text file'] }]
    : []),

  // 10. Every problem has a fix line (the harness checks every config issue under --json).
  {
    name: '10 many problems at once, each with a fix',
    yaml: (text) =>
      replace(
        /^name: litellm/m,
        'name: Bad_Name',
      )(
        replace(
          'version: 1',
          'version: 2',
        )(
          replace(
            '    expires: 90d',
            '    expires: soon\n    budget: -1',
          )(withServer('  odd:\n    transport: tcp\n    image: x\n    port: 8080\n  bridged:\n    transport: stdio\n    bridge: sse\n    command: x')(text)),
        ),
      ),
    argv: ['render'],
    code: 2,
    says: [
      'version: must be 1',
      'name: use lowercase letters',
      'keys[0].expires: must be a duration',
      'keys[0].budget: must be more than 0, got -1',
      'transport: must be one of sse, http, stdio',
      'bridge: must be http',
      'write it like expires: 90d',
    ],
    plainSays: [/has \d+ problems/],
  },
  {
    name: '10 an MCP port outside the range',
    yaml: replace('    port: 48020', '    port: 8080'),
    argv: ['render'],
    code: 2,
    says: ['8080 is outside 48000–48999', 'pick a free port'],
  },

  // 11. The host clients put in the URL.
  {
    name: '11 host: bad host',
    yaml: host('bad host'),
    argv: ['client-config', 'claude'],
    code: 2,
    says: ['"bad host" contains a space', 'write only the name or IP'],
    never: ['http://bad host'],
  },
  {
    name: '11 init --host -rf',
    stack: 'none',
    argv: ['init', '--host', '-rf'],
    code: 2,
    says: ['--host "-rf" is not a valid host name'],
    never: ['mcpgw.yaml:'],
  },
  { name: '11 init --host of 300 characters', stack: 'none', argv: ['init', '--host', 'a'.repeat(300)], code: 2, says: ['--host', 'at most 253'] },
  { name: '11 host: gw.lan/path', yaml: host('gw.lan/path'), argv: ['render'], code: 2, says: ['"gw.lan/path" has a path'], never: ['public DNS name'] },
  {
    name: '11 init --host gw.lan:4000',
    stack: 'none',
    argv: ['init', '--host', 'gw.lan:4000'],
    code: 2,
    says: ['--host "gw.lan:4000" has a port', 'the port is litellm.port'],
  },
  { name: '11 init --host localhost warns', stack: 'none', argv: ['init', '--host', 'localhost'], code: 0, says: ['this machine only'], changes: [''] },
  {
    name: '11 host: 0.0.0.0 warns in client-config',
    yaml: host('0.0.0.0'),
    argv: ['client-config', 'cursor'],
    code: 0,
    says: ['is a listen address, not one clients can connect to'],
  },

  // 12. url servers under the LAN-only rule.
  {
    name: '12 url: a public DNS name',
    yaml: withServer('  remote:\n    transport: http\n    url: http://mcp.example.com/mcp'),
    argv: ['render'],
    code: 2,
    says: ['mcp_servers.remote.url', 'mcp.example.com looks like a public DNS name', 'lan_only: false'],
  },
  {
    name: '12 mcp add --url to a public address',
    argv: ['mcp', 'add', 'dns', '--transport', 'http', '--url', 'http://8.8.8.8:8931/mcp'],
    code: 2,
    says: ['8.8.8.8 is a public address'],
  },
  {
    name: '12 url: file:///etc/passwd',
    yaml: withServer('  local:\n    transport: http\n    url: file:///etc/passwd'),
    argv: ['render'],
    code: 2,
    says: ['file:// is not a transport', 'http://'],
  },
  {
    name: 'handled: url: https under lan_only',
    yaml: withServer('  nas:\n    transport: http\n    url: https://nas.lan/mcp'),
    argv: ['render'],
    code: 2,
    says: ['https is off under the LAN-only rule'],
  },

  // 13. Names longer than a DNS label.
  {
    name: '13 a 70-character server name',
    yaml: withServer(`  ${'e'.repeat(70)}:\n    transport: http\n    url: http://nas.lan:8931/mcp`),
    argv: ['render'],
    code: 2,
    says: ['the name is too long', 'at most 63', 'shorten the server name'],
  },
  {
    name: '13 a 200-character stack name',
    yaml: replace(/^name: litellm/m, `name: ${'a'.repeat(200)}`),
    argv: ['render'],
    code: 2,
    says: ['name: must be at most 32 characters long, got 200'],
  },
  {
    name: '13 a 200-character key alias',
    yaml: replace('  - alias: claude-code', `  - alias: ${'k'.repeat(200)}\n    secret: MCPGW_KEY_CLAUDE_CODE`),
    argv: ['render'],
    code: 2,
    says: ['keys[0].alias: must be at most 64 characters long, got 200'],
  },
  {
    name: '13 keys create --alias of 200 characters',
    argv: ['keys', 'create', '--alias', 'k'.repeat(200)],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['is not a key alias', '2–64'],
    never: ['Docker engine'],
  },

  // 14. An inverted port range.
  {
    name: '14 mcp_port_range: 49000-48000',
    yaml: replace('\nsecrets:', '\nmcp_port_range: 49000-48000\nsecrets:'),
    argv: ['render'],
    code: 2,
    says: ['mcp_port_range: 49000-48000 is inverted', 'write 48000-49000'],
  },
  {
    name: '14 mcp add under an inverted range',
    yaml: replace('\nsecrets:', '\nmcp_port_range: 49000-48000\nsecrets:'),
    argv: ['mcp', 'add', 'next', '--transport', 'http', '--image', 'node:20-slim'],
    code: 2,
    says: ['is inverted'],
  },

  // 15. client-config --url as doctor would judge it.
  {
    name: '15 --url of the bare gateway address gets /mcp/',
    argv: ['client-config', 'claude', '--url', 'http://gw.lan:4000'],
    code: 0,
    says: ['http://gw.lan:4000/mcp/', "the gateway's MCP endpoint"],
  },
  {
    name: '15 --url …/sse',
    argv: ['client-config', 'claude', '--url', 'http://gw.lan:4000/sse'],
    code: 2,
    says: ['is an SSE endpoint', 'http://gw.lan:4000/mcp/'],
  },
  {
    name: '15 --url https under lan_only',
    argv: ['client-config', 'cursor', '--url', 'https://gw.lan:4000/mcp/'],
    code: 2,
    says: ['is https, which the LAN-only rule turns off', 'lan_only: false'],
  },
  {
    name: '15 --url with a path outside /mcp',
    argv: ['client-config', 'cursor', '--url', 'http://gw.lan:4000/v1/'],
    code: 2,
    says: ["is not LiteLLM's MCP endpoint", '/mcp/<server>'],
  },

  // 16. Arguments before Docker.
  {
    name: '16 keys create --mcp nope',
    argv: ['keys', 'create', '--alias', 'x1', '--mcp', 'nope'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['unknown MCP server "nope"', 'everything'],
    never: ['Docker engine'],
  },
  {
    name: '16 keys create --expires abc',
    argv: ['keys', 'create', '--alias', 'x1', '--expires', 'abc'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['--expires abc is not a duration', '--expires 30d'],
    never: ['Docker engine'],
  },
  {
    name: '16 keys create --key abc',
    argv: ['keys', 'create', '--alias', 'x1', '--key', 'abc'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['--key does not start with "sk-"'],
    never: ['Docker engine'],
  },
  {
    name: '16 logs --since abc',
    argv: ['logs', '--since', 'abc'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['--since abc is not a duration or a timestamp'],
    never: ['Docker engine'],
  },
  {
    name: '16 logs --tail -3',
    argv: ['logs', '--tail', '-3'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['--tail -3 is not a whole number'],
    never: ['Docker engine'],
  },
  {
    name: '16 restore /etc/hostname --yes',
    argv: ['restore', '/etc/hostname', '--yes'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['is not an mcpgw backup', 'mcpgw backup'],
    never: ['Docker engine'],
  },
  {
    name: '16 restore nope.sql.gz (without --yes)',
    argv: ['restore', 'nope.sql.gz'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['nope.sql.gz does not exist'],
    never: ['--yes', 'Docker engine'],
  },

  // 17. The CLI contract: one JSON document under --json, whatever fails.
  { name: '17 render --check with stale files', argv: ['render', '--check'], code: 1, says: ['docker-compose.yml', 'not rendered yet', 'run `mcpgw render`'] },
  { name: '17 an unknown command', argv: ['frobnicate'], code: 2, says: ["unknown command 'frobnicate'"] },
  { name: '17 an unknown option', argv: ['render', '--frobnicate'], code: 2, says: ["unknown option '--frobnicate'"] },
  { name: '17 keys create without --alias', argv: ['keys', 'create'], code: 2, says: ["required option '--alias <alias>' not specified"] },
  { name: '17 client-config nope', argv: ['client-config', 'nope'], code: 2, says: ['Clients: claude, gemini'] },
  { name: '17 mcp add without a name', argv: ['mcp', 'add'], code: 2, says: ["missing required argument 'name'"] },
  { name: '17 bare keys', argv: ['keys'], code: 2, says: ['create'], plainSays: ['Usage: mcpgw keys'] },
  { name: '17 bare mcp', argv: ['mcp'], code: 2, says: ['catalog'] },
  { name: '17 render -f without its value', argv: ['render', '-f'], code: 2, says: ["option '-f, --file <path>' argument missing"] },
  { name: '17 --version', argv: ['--version'], code: 0, says: ['0.1.0'] },

  // 18. An unreachable dependency is exit 1; usage stays 2.
  ...(['status', 'logs', 'down', 'backup'] as const).map((command) => ({
    name: `18 ${command} without Docker`,
    argv: [command],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['cannot reach the Docker engine', 'start Docker'],
  })),
  { name: '18 keys list without Docker', argv: ['keys', 'list'], env: { DOCKER_HOST: NO_DOCKER }, code: 1, says: ['cannot reach the Docker engine'] },
  { name: '18 up --dry-run without Docker', argv: ['up', '--dry-run'], env: { DOCKER_HOST: NO_DOCKER }, code: 1, says: ['cannot reach the Docker engine'] },
  {
    name: '18 probe --server X --no-llm without Docker',
    argv: ['probe', '--server', 'everything', '--no-llm'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['cannot reach the Docker engine'],
  },
  {
    name: '18 keys list with Postgres unreachable',
    yaml: replace('  network: postgres-net', '  network: postgres-net\n  host_port: 1'),
    argv: ['keys', 'list'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['Postgres at mcpgw_keys@127.0.0.1:1/litellm is unreachable (ECONNREFUSED)'],
  },
  { name: '18 help help', argv: ['help', 'help'], code: 0, says: ['Usage: mcpgw help'] },
  {
    name: 'handled: an unsupported DOCKER_HOST is a usage error',
    argv: ['status'],
    env: { DOCKER_HOST: 'ftp://docker.lan' },
    code: 2,
    says: ['DOCKER_HOST=ftp://docker.lan is not supported'],
  },

  // 19. One duration syntax, the flag named.
  { name: '19 doctor --timeout 60x', argv: ['doctor', '--timeout', '60x'], code: 2, says: ['--timeout 60x is not a duration', '--timeout 60'] },
  {
    name: '19 mcp list --timeout 2 minutes',
    argv: ['mcp', 'list', '--timeout', '2 minutes'],
    code: 2,
    says: ['--timeout 2 minutes is not a duration', 's, m, h, d, w'],
  },
  {
    name: '19 keys rotate --grace 3600 (seconds) is accepted',
    argv: ['keys', 'rotate', 'claude-code', '--grace', '3600'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['cannot reach the Docker engine'],
    never: ['not a duration'],
  },
  {
    name: 'handled: probe --timeout soon',
    argv: ['probe', '--timeout', 'soon'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 2,
    says: ['--timeout soon is not a duration'],
  },

  // 20. Docker down: the root cause once, the dependents skipped pointing at it.
  {
    name: '20 doctor --offline without Docker',
    argv: ['doctor', '--offline'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['network.exists', 'see network.exists', 'start Docker'],
    once: ['cannot reach the Docker engine'],
    never: ['check crashed'],
  },
  {
    name: '20 doctor with an external database on 127.0.0.1:1',
    yaml: replace('  mode: bundled ', '  mode: external'),
    secrets: (text) => `${text}DATABASE_URL=postgresql://litellm:pw0123456789@127.0.0.1:1/litellm\n`,
    argv: ['doctor', '--offline', '--only', 'database', 'keys'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['database.reachable', 'unreachable (ECONNREFUSED)', 'see database.reachable'],
    never: ['check crashed', 'a bug in mcpgw doctor'],
  },

  // 21. mcp add keeps a Windows file Windows.
  {
    name: '21 mcp add on a CRLF file with a BOM',
    yaml: (text) => `\uFEFF${text.replace(/\n/g, '\r\n')}`,
    argv: ['mcp', 'add', 'nas', '--transport', 'http', '--url', 'http://nas.lan:8931/mcp'],
    code: 0,
    says: [],
    plainSays: ['added mcp_servers.nas'],
    changes: ['mcpgw.yaml'],
    after: async (dir) => {
      const text = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.split('\r\n').join('')).not.toContain('\n');
      expect(text).toContain('environment: { PORT: "48020" }');
      expect(text).toContain('  nas:\r\n    transport: http\r\n    url: http://nas.lan:8931/mcp\r\n');
    },
  },

  // 22. Pinned defaults; catalog entries that work as they are, or say what to build.
  {
    name: '22 init pins the template images and packages',
    stack: 'none',
    argv: ['init', '--host', 'gw.lan'],
    code: 0,
    says: [],
    plainSays: ['wrote'],
    changes: [''],
    after: async (dir) => {
      const text = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
      expect(text).toContain('@modelcontextprotocol/server-everything@2026.8.31');
      expect(text).toContain('crystaldba/postgres-mcp:0.3.0');
      expect(text).not.toMatch(/:latest\b/);
    },
  },
  {
    name: '22 mcp add --from-catalog github without --image',
    argv: ['mcp', 'add', 'gh', '--from-catalog', 'github'],
    code: 2,
    says: [
      'needs an image that no registry publishes',
      'docker build -t local/github-mcp:1.11.0',
      'COPY --from=github /server/github-mcp-server',
      '--image local/github-mcp:1.11.0',
    ],
    never: ['image: is required'],
  },

  // 23. Small ones.
  { name: '23 client-config claud', argv: ['client-config', 'claud'], code: 2, says: ['Did you mean claude?'] },
  ...(process.platform === 'linux'
    ? [
        {
          name: '23 the claude-desktop note names its path',
          argv: ['client-config', 'claude-desktop'],
          code: 0,
          says: ['.config/Claude/claude_desktop_config.json is the path the Linux community builds read'],
        },
      ]
    : []),
  {
    name: '23 probe --key says which key',
    argv: ['probe', '--key', 'sk-probe-0123456789abcdefghijkl', '--no-llm', '--timeout', '5'],
    env: { DOCKER_HOST: NO_DOCKER },
    code: 1,
    says: ['probing with the key given with --key'],
    never: ['probing with key --key'],
    secretValues: ['sk-probe-0123456789abcdefghijkl'],
  },
  {
    name: '23 init -f sub/x.yaml names that file',
    stack: 'none',
    argv: ['-f', 'sub/x.yaml', 'init', '--host', 'gw.lan'],
    code: 0,
    says: [],
    plainSays: ['review sub/x.yaml', 'mcpgw -f sub/x.yaml render'],
    changes: [''],
  },
  {
    name: '23 mcp add --image with --url',
    argv: ['mcp', 'add', 'both', '--transport', 'http', '--image', 'node:20-slim', '--url', 'http://nas.lan:8931/mcp'],
    code: 2,
    says: ['cannot be combined with image'],
    never: ['is required when mcpgw runs the container'],
  },
  {
    name: '23 a binary file is not echoed',
    files: { 'blob.yaml': Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 256)) },
    argv: ['-f', 'blob.yaml', 'render'],
    code: 2,
    says: ['blob.yaml is not'],
  },
  {
    name: '23 TERM=dumb gets no colour',
    tty: true,
    argv: ['render', '--check'],
    env: { TERM: 'dumb' },
    code: 1,
    says: ['differ from mcpgw.yaml'],
    never: [/\u001b\[/],
  },
  { name: '23 no "(default: false)" in the help', argv: ['--help'], code: 0, says: ['--json'], never: ['(default: false)'] },
  { name: '23 help keys create', argv: ['help', 'keys', 'create'], code: 0, says: ['Usage: mcpgw keys create', '--alias <alias>'] },
  { name: '23 help of an unknown command', argv: ['help', 'keys', 'crate'], code: 2, says: ['mcpgw keys crate is not a command', 'did you mean "create"'] },

  // Handled before those cases were found: they must stay so.
  { name: 'handled: mcpgw.yaml missing', stack: 'none', argv: ['render'], code: 2, says: ['mcpgw.yaml not found', 'mcpgw init'] },
  {
    name: 'handled: an unknown field gets a did-you-mean',
    yaml: replace('    transport: http ', '    transprt: http  '),
    argv: ['render'],
    code: 2,
    says: ['mcp_servers.everything.transprt: unknown field', 'did you mean "transport"?'],
  },
  {
    name: 'handled: ${VAR} in mcpgw.yaml',
    yaml: replace('environment: { PORT: "48020" }', 'environment: { PORT: "${PORT}" }'),
    argv: ['render'],
    code: 2,
    says: ['${PORT} is never resolved'],
  },
  {
    name: 'handled: a YAML syntax error has its line',
    yaml: replace('  port: 4000', '  port: [4000'),
    argv: ['render'],
    code: 2,
    says: ['(yaml)', 'fix the YAML syntax'],
    plainSays: [/mcpgw\.yaml:\d+:\d+/],
  },
  // Issue 28 (5): a typo must point at the line and the key that are wrong, and say what it is.
  {
    name: 'handled: a missing required field says missing, at the key it belongs under',
    yaml: replace(/^ {4}transport: http.*\n/m, ''),
    argv: ['render'],
    code: 2,
    says: ['mcp_servers.everything.transport: is missing; it must be one of sse, http, stdio'],
    plainSays: [/mcpgw\.yaml:\d+:3 +mcp_servers\.everything\.transport: is missing/],
    never: ['is required'],
  },
  {
    name: 'handled: an unknown field points at its key, not its value',
    yaml: replace('  port: 4000', '  prot: 4000'),
    argv: ['render'],
    code: 2,
    says: ['litellm.prot: unknown field', 'did you mean "port"?'],
    plainSays: [/mcpgw\.yaml:\d+:3 +litellm\.prot: unknown field/],
  },
  {
    name: 'handled: a mis-indented line is the one error named, at its field, with its indentation',
    yaml: replace(/^ {4}command: \["npx"/m, '   command: ["npx"'),
    argv: ['render'],
    code: 2,
    says: ['has 1 problem', 'All mapping items must start at the same column', 'more YAML error(s) after it', 'this line has 3 space(s) before its field'],
    plainSays: [/mcpgw\.yaml:\d+:4 +\(yaml\)/],
  },
  { name: 'handled: an empty mcpgw.yaml', yaml: () => '', argv: ['render'], code: 2, says: ['is empty'] },
  {
    name: 'handled: a key granting an unknown server',
    yaml: replace('mcp_servers: [everything]', 'mcp_servers: [nothing]'),
    argv: ['render'],
    code: 2,
    says: ['unknown MCP server "nothing"', 'declared servers: everything'],
  },
  { name: 'handled: init refuses to overwrite', argv: ['init', '--host', 'gw.lan'], code: 2, says: ['already exist; nothing was written', '--force'] },
  { name: 'handled: probe --server nope', argv: ['probe', '--server', 'nope'], env: { DOCKER_HOST: NO_DOCKER }, code: 2, says: ['unknown MCP server "nope"'] },
  { name: 'handled: doctor --only bogus', argv: ['doctor', '--only', 'bogus'], code: 2, says: ['--only bogus matches no check', 'areas:'] },
  {
    name: 'handled: mcp add a duplicate name',
    argv: ['mcp', 'add', 'everything', '--transport', 'http', '--url', 'http://nas.lan:8931/mcp'],
    code: 2,
    says: ['mcp_servers.everything already exists'],
  },
  { name: 'handled: mcp remove a granted server', argv: ['mcp', 'remove', 'everything'], code: 2, says: ['still grant everything', '--force'] },
  {
    name: 'handled: client-config --key and --key-alias',
    argv: ['client-config', 'claude', '--key', LIVE_KEY, '--key-alias', 'claude-code'],
    code: 2,
    says: ['--key and --key-alias both given'],
    secretValues: [LIVE_KEY],
  },
  { name: 'handled: backup --keep 0', argv: ['backup', '--keep', '0'], env: { DOCKER_HOST: NO_DOCKER }, code: 2, says: ['--keep 0 is not a whole number'] },
];

/** What `mcpgw init --host gw.lan` writes, made once for the whole table. */
let initStack: { yaml: string; secrets: string };

beforeAll(async () => {
  initStack = await withTempDir(async (dir) => {
    const result = await runCli(['init', '--host', 'gw.lan'], { cwd: dir });
    if (result.code !== 0) throw new Error(result.stderr);
    return { yaml: await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8'), secrets: await readFile(path.join(dir, 'secrets', 'litellm.env'), 'utf8') };
  });
});

async function prepare(dir: string, entry: Case): Promise<void> {
  await mkdir(path.join(dir, 'home'));
  if ((entry.stack ?? 'init') === 'init') {
    await writeFile(path.join(dir, 'mcpgw.yaml'), (entry.yaml ?? ((text) => text))(initStack.yaml));
    await mkdir(path.join(dir, 'secrets'), { mode: 0o700 });
    await writeFile(path.join(dir, 'secrets', 'litellm.env'), (entry.secrets ?? ((text) => text))(initStack.secrets), { mode: 0o600 });
  }
  for (const [file, content] of Object.entries(entry.files ?? {})) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  await entry.setup?.(dir);
}

/** Every file and folder under `dir`: content hash and mode, symlinks and pipes by kind only. */
async function snapshot(dir: string, base = dir, into = new Map<string, string>()): Promise<Map<string, string>> {
  for (const name of await readdir(dir).catch(() => [])) {
    const file = path.join(dir, name);
    const info = await lstat(file);
    const key = path.relative(base, file);
    if (info.isDirectory()) {
      into.set(`${key}/`, `dir ${(info.mode & 0o777).toString(8)}`);
      await snapshot(file, base, into);
    } else if (info.isFile()) {
      into.set(
        key,
        `${(info.mode & 0o777).toString(8)} ${createHash('sha256')
          .update(await readFile(file))
          .digest('hex')}`,
      );
    } else {
      into.set(key, `special ${(info.mode & 0o777).toString(8)}`);
    }
  }
  return into;
}

function unchangedExcept(before: Map<string, string>, after: Map<string, string>, changes: readonly string[]): string[] {
  const allowed = (key: string) => changes.some((prefix) => key.startsWith(prefix));
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .filter((key) => !allowed(key) && before.get(key) !== after.get(key))
    .map((key) => `${key}: ${before.get(key) ?? 'absent'} → ${after.get(key) ?? 'absent'}`);
}

/** Every string and number in a JSON document, for the words a --json run must say. */
function textOf(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (value && typeof value === 'object') {
    // A config problem also reads as it does on stderr: "path: message".
    const { path: at, message } = value as { path?: unknown; message?: unknown };
    const issue = typeof at === 'string' && typeof message === 'string' ? `${at}: ${message}\n` : '';
    return issue + Object.values(value).map(textOf).join('\n');
  }
  return '';
}

const contains = (text: string, word: string | RegExp) => (typeof word === 'string' ? text.includes(word) : word.test(text));

async function runCase(entry: Case, json: boolean): Promise<void> {
  await withTempDir(async (dir) => {
    await prepare(dir, entry);
    const secretFile = path.join(dir, 'secrets', 'litellm.env');
    const secretValues = [...parseSecretsSafely(await readFile(secretFile, 'utf8').catch(() => '')), ...(entry.secretValues ?? [])].filter(
      (value) => value.length >= 8,
    );
    const before = await snapshot(dir);
    let stdout = '';
    let stderr = '';
    const stream = (append: (chunk: string) => void) => ({ write: (chunk: string) => append(chunk), ...(entry.tty ? { isTTY: true } : {}) });
    const result = await runCli(json ? ['--json', ...entry.argv] : entry.argv, {
      cwd: dir,
      env: { HOME: path.join(dir, 'home'), ...entry.env },
      stdout: stream((chunk) => (stdout += chunk)),
      stderr: stream((chunk) => (stderr += chunk)),
    });
    const output = `${stdout}${stderr}`;
    const label = `${json ? '--json ' : ''}${entry.argv.join(' ')}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    expect(result.code, label).toBe(entry.code);

    let spoken = output;
    if (json) {
      let doc: { ok?: boolean; error?: { kind?: string; issues?: { fix?: string }[] } };
      try {
        doc = JSON.parse(stdout) as typeof doc;
      } catch (error) {
        throw new Error(`stdout is not exactly one JSON document (${(error as Error).message})\n${label}`);
      }
      if (entry.code !== 0) expect(doc.ok, label).toBe(false);
      else expect(doc.ok, label).not.toBe(false);
      if (doc.error?.kind === 'config') for (const issue of doc.error.issues ?? []) expect(issue.fix, `a config problem without a fix\n${label}`).toMatch(/\S/);
      spoken = `${stderr}\n${textOf(doc)}`;
    }
    for (const word of entry.says) expect(contains(spoken, word), `should say ${String(word)}\n${label}`).toBe(true);
    if (!json) for (const word of entry.plainSays ?? []) expect(contains(output, word), `should say ${String(word)}\n${label}`).toBe(true);
    for (const word of entry.never ?? []) expect(contains(output, word), `should not say ${String(word)}\n${label}`).toBe(false);
    if (!json) for (const word of entry.once ?? []) expect(output.split(word).length - 1, `should say ${word} once\n${label}`).toBe(1);
    for (const value of secretValues) expect(output.includes(value), `a secret value reached the output\n${label}`).toBe(false);
    // A refused input is reported in a few lines, never as an echo of the file.
    if (entry.code === 2) expect(stderr.length, label).toBeLessThan(2500);

    expect(unchangedExcept(before, await snapshot(dir), entry.changes ?? []), label).toEqual([]);
    if (!json) await entry.after?.(dir);
    // Give the owner back what a permission case took, so the folder can be removed.
    await chmod(dir, 0o755).catch(() => undefined);
  });
}

function parseSecretsSafely(text: string): string[] {
  try {
    return [...parseSecrets(text).values()];
  } catch {
    return text
      .split('\n')
      .map((line) => line.split('=').slice(1).join('='))
      .filter(Boolean);
  }
}

describe('bad input: exit code, a message naming the place and the fix, one JSON document, no secret, files untouched', () => {
  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    if (entry.asRoot === false && isRoot) return;
    await runCase(entry, false);
    await runCase(entry, true);
  });
});
