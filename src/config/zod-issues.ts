import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { looksLikeSecret } from './literal-secrets.js';
import { formatPath, type PathSegment } from './path.js';
import { closest } from './suggest.js';

type ZodIssue = z.core.$ZodIssue;

/**
 * Turns zod's issues into messages a person acts on: what was expected and what was found, and a fix with an
 * example of the field written correctly. Unknown keys get a "did you mean". `knownKeys` returns the allowed
 * keys of the object at a path. The schema must be parsed with `reportInput: true`, or every wrong value looks
 * like a missing one.
 */
export function fromZodIssues(issues: readonly ZodIssue[], knownKeys: (path: readonly PathSegment[]) => string[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as PathSegment[];
    if (issue.code === 'unrecognized_keys') {
      const allowed = knownKeys(path);
      for (const key of issue.keys) {
        const guess = closest(key, allowed);
        out.push({
          path: formatPath([...path, key]),
          atKey: true,
          message: 'unknown field',
          fix: guess ? `did you mean "${guess}"?` : `remove it; allowed here: ${allowed.join(', ')}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0];
      out.push({
        path: formatPath(path),
        atKey: true,
        message: `invalid name: ${inner?.message ?? 'not allowed'}`,
        fix: `rename it, e.g. ${exampleName(path)}`,
      });
      continue;
    }
    out.push({ path: formatPath(path), message: describe(issue, holdsSecretName(path)), fix: fixFor(issue, path) });
  }
  return out;
}

/** Fields that name a secret: what is found there may be the secret itself, so it is never shown. */
function holdsSecretName(path: readonly PathSegment[]): boolean {
  const field = path.at(-1);
  const parent = path.at(-2);
  return (
    parent === 'env' ||
    (parent === 'postgres' && field === 'url') ||
    (typeof field === 'string' && ['api_key', 'master_key', 'salt_key', 'password', 'secret'].includes(field))
  );
}

function describe(issue: ZodIssue, secretField: boolean): string {
  const found = 'input' in issue ? issue.input : undefined;
  const typeName = (value: unknown) =>
    secretField && value !== undefined && value !== null
      ? `${Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `a ${typeof value}`} (not shown)`
      : shownValue(value);
  switch (issue.code) {
    case 'invalid_type':
      if (found === undefined) return 'is missing';
      return `must be ${article(issue.expected)}, got ${typeName(found)}`;
    case 'too_small':
      if (issue.origin === 'number') return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}, got ${String(found)}`;
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string' && Number(issue.minimum) > 1)
        return `must be at least ${String(issue.minimum)} characters long, got ${typeof found === 'string' ? found.length : '?'}`;
      return 'must not be empty';
    case 'too_big':
      if (issue.origin === 'number') return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}, got ${String(found)}`;
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long, got ${typeof found === 'string' ? found.length : '?'}`;
      return issue.message;
    case 'invalid_value': {
      const rule = issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map(String).join(', ')}` : issue.message;
      // A field left out is missing, whatever it would have had to be.
      if (found === undefined) return `is missing; it ${rule}`;
      return issue.message.startsWith('Invalid') ? `${rule}, got ${typeName(found)}` : rule;
    }
    case 'invalid_format':
      if (issue.format === 'url') return `must be a URL such as http://nas.lan:8931/mcp, got ${typeName(found)}`;
      return issue.message.startsWith('Invalid') ? `has the wrong form, got ${typeName(found)}` : issue.message;
    case 'invalid_union':
      return `has the wrong type, got ${typeName(found)}`;
    default:
      return issue.message;
  }
}

/** "write it like this", for the field at `path`. */
function fixFor(issue: ZodIssue, path: readonly PathSegment[]): string {
  if (issue.code === 'invalid_value' && typeof issue.input === 'string') {
    const guess = closest(issue.input, issue.values.map(String));
    if (guess) return `did you mean "${guess}"?`;
  }
  const example = exampleFor(path);
  if (issue.code === 'invalid_value' && issue.values.length > 1 && !example) return `use one of ${issue.values.map(String).join(', ')}`;
  if (!example) return 'see the commented example `mcpgw init` writes';
  const field = path.filter((segment): segment is string => typeof segment === 'string').at(-1) ?? '';
  return `write it like ${field}: ${example}`;
}

/**
 * Examples by field, most specific first: the path with record keys and list indices generalised
 * (`mcp_servers.*.port`), else the field name alone.
 */
const EXAMPLES: Record<string, string> = {
  version: '1',
  name: 'litellm',
  host: 'linuxserver.lan',
  bind: '0.0.0.0',
  mcp_bind: '127.0.0.1',
  mcp_port_range: '48000-48999',
  lan_only: 'true (or false to opt out of the LAN-only rule)',
  secrets: './secrets/litellm.env',
  network: 'litellm-mcp-net',
  litellm: '{ port: 4000 }',
  'litellm.image': 'ghcr.io/berriai/litellm-database:v1.108.7',
  'litellm.port': '4000',
  key_cache_ttl: '60 (seconds, 0–3600)',
  'litellm.models': '[{ name: claude-haiku, model: anthropic/claude-3-haiku-20240307, api_key: ANTHROPIC_API_KEY }]',
  'litellm.models[].name': 'claude-haiku',
  model: 'anthropic/claude-3-haiku-20240307',
  api_key: 'ANTHROPIC_API_KEY (the name of a secret, not its value)',
  api_base: 'http://ollama.lan:11434/v1',
  master_key: 'LITELLM_MASTER_KEY',
  salt_key: 'LITELLM_SALT_KEY',
  labels: '{ com.example.team: gateway }',
  postgres: '{ mode: bundled }',
  mode: 'bundled (or external)',
  'postgres.image': 'postgres:16',
  'postgres.network': 'postgres-net',
  network_external: 'false',
  database: 'litellm',
  user: 'litellm',
  password: 'POSTGRES_PASSWORD',
  'postgres.url': 'DATABASE_URL (the name of the secret holding the postgresql:// URL)',
  host_port: '5432',
  mcp_servers: '{ everything: { transport: http, image: node:20-slim, port: 48020 } }',
  'mcp_servers.*': '{ transport: http, url: http://nas.lan:8931/mcp }',
  transport: 'http (or sse, stdio)',
  description: 'Files on the NAS',
  'mcp_servers.*.image': 'node:20-slim',
  bridge: 'http',
  networks: '[models-net] (existing Docker networks)',
  inside_litellm: 'true (or leave it out to run the server in its own container)',
  command: '["npx", "-y", "@modelcontextprotocol/server-everything@2026.8.31"]',
  args: '["/data"]',
  'mcp_servers.*.port': '48010',
  container_port: '8000',
  path: '/mcp (or /sse for an sse server)',
  'mcp_servers.*.url': 'http://nas.lan:8931/mcp',
  environment: '{ PORT: "8000" } (plain values only; secrets go in env)',
  'mcp_servers.*.environment.*': '"8000" (a string; quote numbers)',
  env: '{ API_TOKEN: MCP_API_TOKEN } (variable: the name of a secret)',
  'mcp_servers.*.env.*': 'MCP_API_TOKEN (the name of a secret, not its value)',
  allowed_tools: '[echo, add]',
  probe: '{ tool: echo, arguments: { message: "{nonce}" } }',
  tool: 'echo',
  arguments: '{ message: "{nonce}" }',
  groups: '[dev]',
  keys: '[{ alias: claude-code, mcp_servers: [everything] }]',
  'keys[]': '{ alias: claude-code, mcp_servers: [everything] }',
  alias: 'claude-code',
  secret: 'MCPGW_KEY_CLAUDE_CODE',
  'keys[].models': '[claude-haiku] ([] = all models)',
  'keys[].mcp_servers': '[everything]',
  mcp_groups: '[dev]',
  expires: '90d (s, m, h, d or w)',
  budget: '25 (USD, more than 0)',
  budget_duration: '30d (s, m, h, d or w)',
  mcp_tools: '{ everything: [echo, add] }',
  rpm_limit: '60 (a whole number above 0)',
  tpm_limit: '100000 (a whole number above 0)',
  max_parallel_requests: '4 (a whole number above 0)',
  keys_max_age: '90d',
  observability: '{ loki: { enabled: true } }',
  loki: '{ enabled: true }',
  prometheus: '{ enabled: true }',
  enabled: 'true',
  job: 'litellm',
  scrape_interval: '30s',
  target: 'linuxserver.lan:4000',
  credentials_file: '/etc/prometheus/secrets/litellm-master-key',
};

/** Record keys whose children are free names (servers, variables, labels). */
const FREE_KEYS = new Set(['mcp_servers', 'environment', 'env', 'labels', 'arguments']);

function exampleFor(path: readonly PathSegment[]): string | undefined {
  let pattern = '';
  let previous: PathSegment | undefined;
  for (const segment of path) {
    if (typeof segment === 'number') pattern += '[]';
    else if (typeof previous === 'string' && FREE_KEYS.has(previous)) pattern += '.*';
    else pattern += pattern === '' ? segment : `.${segment}`;
    previous = segment;
  }
  const field = path.filter((segment): segment is string => typeof segment === 'string').at(-1);
  // An item of a list is written like the list.
  return EXAMPLES[pattern] ?? EXAMPLES[pattern.replace(/(\[\])+$/, '')] ?? (field ? EXAMPLES[field] : undefined);
}

function exampleName(path: readonly PathSegment[]): string {
  const parent = path.at(-2);
  if (parent === 'mcp_servers') return 'my_server (a–z, 0–9 and _, starting with a letter)';
  return 'MY_VARIABLE (letters, digits and _)';
}

function article(expected: string): string {
  const noun = expected === 'record' || expected === 'object' ? 'mapping' : expected === 'array' ? 'list' : expected === 'int' ? 'whole number' : expected;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/**
 * What was found, for "got …". A short string is quoted so the user sees the mistake (`"4000"` for a port);
 * one that could be a secret is not (a pasted key must not reach the terminal).
 */
export function shownValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return value.length <= 40 && !looksLikeSecret(value) && !/[\u0000-\u001f]/.test(value)
      ? `the string ${JSON.stringify(value)}`
      : `a string of ${value.length} characters (not shown)`;
  if (typeof value === 'number') return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
