import { compareVersions, parseVersion } from './version.js';

/**
 * Which fields of LiteLLM's config.yaml a LiteLLM version reads, for the two versions mcpgw knows from their own
 * source: 1.77.3 (the seed's) and 1.108.7 (mcpgw's builtin image). Read in litellm/proxy/proxy_server.py
 * (`ProxyConfig.load_config`, `_init_non_llm_configs`, `get_config` and `_check_for_os_environ_vars`),
 * litellm/proxy/proxy_cli.py (general_settings.database_url) and
 * litellm/proxy/_experimental/mcp_server/mcp_server_manager.py (`load_servers_from_config`). A field whose
 * versions disagree is judged only for those two; another version gets `unknown` for it rather than a guess.
 */
export const KNOWN_VERSIONS = ['1.77.3', '1.108.7'] as const;
export type KnownVersion = (typeof KNOWN_VERSIONS)[number];

/** How a version treats a field: read and acted on, read by nothing, or not known for that version. */
export type FieldStatus = 'honoured' | 'ignored' | 'unknown';

export interface FieldJudgement {
  /** The field's path in config.yaml, e.g. mcp_servers.db_main.api_keys. */
  path: string;
  status: FieldStatus;
  /** What LiteLLM does with it (for an ignored field: why nothing happens). */
  why: string;
  /** What does the job instead, for an ignored field. */
  instead?: string;
  /** Set when the field is read but its value is never resolved, so it is taken literally: `${VAR}`, or `os.environ/` in a list. */
  literal?: 'shell-variable' | 'environ-in-list';
}

interface Rule {
  /** The versions of KNOWN_VERSIONS that read the field. */
  readBy: readonly KnownVersion[];
  why: string;
  instead?: string;
}

const BOTH: readonly KnownVersion[] = KNOWN_VERSIONS;
const NEWER: readonly KnownVersion[] = ['1.108.7'];

/** Top-level sections `load_config` (and `get_config`) reads; anything else at the top level is read by nothing. */
const TOP_LEVEL: Record<string, readonly KnownVersion[]> = {
  model_list: BOTH,
  litellm_settings: BOTH,
  general_settings: BOTH,
  router_settings: BOTH,
  environment_variables: BOTH,
  callback_settings: BOTH,
  mcp_servers: BOTH,
  mcp_tools: BOTH,
  guardrails: BOTH,
  prompts: BOTH,
  credential_list: BOTH,
  vector_store_registry: BOTH,
  assistant_settings: BOTH,
  finetune_settings: BOTH,
  files_settings: BOTH,
  default_vertex_config: BOTH,
  include: BOTH,
  search_tools: NEWER,
  sandbox_tools: NEWER,
  agents: NEWER,
  agent_list: NEWER,
  worker_registry: NEWER,
  policies: NEWER,
  policy_attachments: NEWER,
};

/** Top-level fields people write that no version reads, with what does their job. */
const IGNORED_TOP_LEVEL: Record<string, { why: string; instead: string }> = {
  virtual_keys: {
    why: 'no version reads a top-level virtual_keys: virtual keys live in the database (LiteLLM_VerificationToken)',
    instead: 'create keys through /key/generate or `mcpgw keys` (mcpgw.yaml keys: with their mcp_servers grants)',
  },
  enable_jwt_auth: {
    why: 'read only under general_settings (1.108.7 logs that it drops it at the top level)',
    instead: 'general_settings.enable_jwt_auth',
  },
  litellm_jwtauth: {
    why: 'read only under general_settings (1.108.7 logs that it drops it at the top level)',
    instead: 'general_settings.litellm_jwtauth',
  },
};

/**
 * litellm_settings: every key is set as an attribute of the litellm module (`setattr(litellm, key, value)`), so a
 * key only does something when the library reads that attribute. These are read by nothing.
 */
const IGNORED_LITELLM_SETTINGS: Record<string, Rule> = {
  master_key: {
    readBy: [],
    why: 'becomes litellm.master_key, which nothing reads; the proxy takes general_settings.master_key, else LITELLM_MASTER_KEY from its environment',
    instead: 'general_settings.master_key: os.environ/LITELLM_MASTER_KEY (what mcpgw renders)',
  },
  database_url: {
    readBy: [],
    why: 'becomes litellm.database_url, which nothing reads; the proxy connects with general_settings.database_url, else DATABASE_URL',
    instead: 'general_settings.database_url: os.environ/DATABASE_URL (what mcpgw renders)',
  },
  salt_key: {
    readBy: [],
    why: 'becomes litellm.salt_key, which nothing reads; stored credentials are encrypted with LITELLM_SALT_KEY from the environment, else the master key',
    instead: 'the LITELLM_SALT_KEY environment variable',
  },
};

const HONOURED_LITELLM_SETTINGS = new Set([
  'cache',
  'cache_params',
  'callbacks',
  'success_callback',
  'failure_callback',
  'drop_params',
  'request_timeout',
  'set_verbose',
  'json_logs',
  'num_retries',
  'guardrails',
  'mcp_aliases',
  'default_team_settings',
  'max_internal_user_budget',
  'default_max_internal_user_budget',
  'upperbound_key_generate_params',
  'model_group_settings',
  'custom_provider_map',
  'global_prompt_directory',
  'post_call_rules',
]);

const HONOURED_GENERAL_SETTINGS = new Set([
  'master_key',
  'database_url',
  'user_api_key_cache_ttl',
  'health_check_details',
  'background_health_checks',
  'health_check_interval',
  'store_model_in_db',
  'disable_spend_logs',
  'ui_access_mode',
  'allowed_ips',
  'pass_through_endpoints',
  'custom_auth',
  'key_management_system',
  'key_management_settings',
  'alerting',
  'alerting_threshold',
  'database_connection_pool_limit',
  'database_connection_timeout',
  'proxy_batch_write_at',
  'enable_jwt_auth',
  'litellm_jwtauth',
  'role_permissions',
  'disable_prisma_schema_update',
]);

/** An MCP server entry of config.yaml: what `load_servers_from_config` reads in each version. */
const SERVER_FIELDS: Record<string, Rule> = {
  url: { readBy: BOTH, why: 'where LiteLLM connects' },
  transport: { readBy: BOTH, why: 'sse, http (streamable HTTP) or stdio' },
  description: { readBy: BOTH, why: "shown in the server's mcp_info" },
  mcp_info: { readBy: BOTH, why: "the server's display information" },
  alias: { readBy: BOTH, why: 'the name tools are prefixed with' },
  command: { readBy: BOTH, why: 'the stdio command LiteLLM spawns' },
  args: { readBy: BOTH, why: 'arguments of the stdio command' },
  env: { readBy: BOTH, why: "the stdio process's environment" },
  auth_type: { readBy: BOTH, why: 'how LiteLLM authenticates to the server' },
  authentication_token: { readBy: BOTH, why: 'the credential for auth_type' },
  auth_value: { readBy: BOTH, why: 'the credential for auth_type (older name)' },
  access_groups: { readBy: BOTH, why: 'MCP access groups keys can be granted' },
  server_id: {
    readBy: NEWER,
    why: 'pins the id grants name (1.77.3 always derives it from name, url, transport, auth_type and alias)',
    instead: 'on 1.77.3 nothing: grants hold the derived id, which changes with the url',
  },
  static_headers: {
    readBy: NEWER,
    why: 'headers LiteLLM sends to the server on every request (1.77.3 sends none)',
    instead: "on 1.77.3 nothing: a server that needs a Host header must accept the container's name instead",
  },
  extra_headers: { readBy: NEWER, why: 'client headers forwarded to the server (1.77.3 forwards none)', instead: 'upgrade LiteLLM' },
  allowed_tools: { readBy: NEWER, why: 'the tools LiteLLM exposes from the server (1.77.3 exposes all)', instead: 'upgrade LiteLLM' },
  disallowed_tools: { readBy: NEWER, why: 'tools LiteLLM hides (1.77.3 hides none)', instead: 'upgrade LiteLLM' },
  spec_path: { readBy: NEWER, why: 'an OpenAPI spec served as MCP tools', instead: 'upgrade LiteLLM' },
  timeout: { readBy: NEWER, why: "the server's request timeout", instead: 'upgrade LiteLLM' },
  api_keys: {
    readBy: [],
    why: "no version reads api_keys in a server entry: which keys may use a server is the key's grant in the database",
    instead: 'grant the server to the key (mcpgw.yaml keys[].mcp_servers, or object_permission.mcp_servers via /key/generate)',
  },
  require_approval: {
    readBy: [],
    why: "no version reads require_approval in a server entry: it belongs to the request's MCP tool",
    instead: 'send it in the request: tools: [{type: mcp, server_url: litellm_proxy/mcp/<server>, require_approval: never}]',
  },
};

/** LiteLLM's answer for one field: honoured, ignored, or unknown for a version it was not read in. */
function judgeRule(rule: Pick<Rule, 'readBy'>, version: string): FieldStatus {
  const known = KNOWN_VERSIONS.find((candidate) => candidate === normalVersion(version));
  if (known) return rule.readBy.includes(known) ? 'honoured' : 'ignored';
  if (rule.readBy.length === KNOWN_VERSIONS.length) return 'honoured';
  if (rule.readBy.length === 0) return 'ignored';
  // Read by one known version only: between or beyond them the field's fate is not known from a source read.
  const parsed = parseVersion(version);
  const newest = parseVersion('1.108.7') as NonNullable<ReturnType<typeof parseVersion>>;
  const oldest = parseVersion('1.77.3') as NonNullable<ReturnType<typeof parseVersion>>;
  if (parsed && compareVersions(parsed, newest) > 0 && rule.readBy.includes('1.108.7')) return 'honoured';
  if (parsed && compareVersions(parsed, oldest) < 0 && !rule.readBy.includes('1.77.3')) return 'ignored';
  return 'unknown';
}

function normalVersion(version: string): string | undefined {
  return parseVersion(version)?.join('.');
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Every field of a config.yaml document that matters to what LiteLLM serves, judged for `version`: the top-level
 * sections, litellm_settings and general_settings keys mcpgw knows, each MCP server entry's fields, a server
 * without transport, `${VAR}` anywhere and `os.environ/` inside a list (neither is ever resolved).
 */
export function judgeLitellmConfig(doc: unknown, version: string): FieldJudgement[] {
  const out: FieldJudgement[] = [];
  const top = record(doc);
  if (!top) return out;
  for (const [key, value] of Object.entries(top)) {
    const ignored = IGNORED_TOP_LEVEL[key];
    const readBy = TOP_LEVEL[key];
    if (ignored) out.push({ path: key, status: 'ignored', why: ignored.why, instead: ignored.instead });
    else if (readBy) out.push({ path: key, status: judgeRule({ readBy }, version), why: `a section load_config reads` });
    else out.push({ path: key, status: judgeRule({ readBy: [] }, version), why: 'LiteLLM reads no top-level field of this name' });
    if (key === 'litellm_settings') judgeSettings(record(value), key, version, out);
    if (key === 'general_settings') judgeSettings(record(value), key, version, out);
    if (key === 'mcp_servers') judgeServers(record(value), version, out);
  }
  unresolved(doc, '', out);
  return out;
}

function judgeSettings(section: Record<string, unknown> | undefined, name: string, version: string, out: FieldJudgement[]): void {
  for (const key of Object.keys(section ?? {})) {
    const path = `${name}.${key}`;
    const ignored = name === 'litellm_settings' ? IGNORED_LITELLM_SETTINGS[key] : undefined;
    if (ignored) out.push({ path, status: judgeRule(ignored, version), why: ignored.why, ...(ignored.instead ? { instead: ignored.instead } : {}) });
    else if ((name === 'litellm_settings' ? HONOURED_LITELLM_SETTINGS : HONOURED_GENERAL_SETTINGS).has(key))
      out.push({ path, status: 'honoured', why: name === 'litellm_settings' ? 'read by the litellm library or load_config' : 'read by the proxy' });
  }
}

function judgeServers(servers: Record<string, unknown> | undefined, version: string, out: FieldJudgement[]): void {
  for (const [name, value] of Object.entries(servers ?? {})) {
    const entry = record(value);
    if (!entry) continue;
    const at = `mcp_servers.${name}`;
    if (entry.transport === undefined)
      out.push({
        path: `${at}.transport`,
        status: 'ignored',
        why: 'missing: LiteLLM takes a config.yaml server without transport as http (streamable HTTP), whatever the url says',
        instead: 'write transport: sse for an SSE server (a url ending in /sse), http for /mcp',
      });
    for (const field of Object.keys(entry)) {
      const rule = SERVER_FIELDS[field];
      const path = `${at}.${field}`;
      if (!rule) out.push({ path, status: 'unknown', why: "a field mcpgw has not checked in LiteLLM's source" });
      else
        out.push({
          path,
          status: judgeRule(rule, version),
          why: rule.why,
          ...(rule.instead && judgeRule(rule, version) !== 'honoured' ? { instead: rule.instead } : {}),
        });
    }
  }
}

/** `${VAR}` is never expanded; `os.environ/NAME` is resolved only as a whole value in a mapping, never in a list. */
function unresolved(value: unknown, path: string, out: FieldJudgement[], inList = false): void {
  if (typeof value === 'string') {
    if (/\$\{[A-Za-z_][A-Za-z0-9_]*[^}]*\}/.test(value))
      out.push({
        path,
        status: 'ignored',
        why: `\${…} is never resolved: LiteLLM reads the text literally`,
        instead: 'os.environ/NAME as the whole value (mcpgw renders it so)',
        literal: 'shell-variable',
      });
    else if (inList && value.startsWith('os.environ/'))
      out.push({
        path,
        status: 'ignored',
        why: 'os.environ/ inside a list is never resolved: LiteLLM resolves it only as a value in a mapping',
        instead: 'a mapping value, or an environment variable the program reads itself',
        literal: 'environ-in-list',
      });
    return;
  }
  if (Array.isArray(value)) for (const [index, item] of value.entries()) unresolved(item, `${path}[${index}]`, out, true);
  else if (record(value)) for (const [key, item] of Object.entries(value as object)) unresolved(item, path ? `${path}.${key}` : key, out);
}

/** The fields `version` ignores (or may ignore) in a config.yaml: what doctor and adopt report. */
export function ignoredFields(doc: unknown, version: string): FieldJudgement[] {
  return judgeLitellmConfig(doc, version).filter((judgement) => judgement.status === 'ignored');
}

/** Whether `version` reads a field of an MCP server entry (e.g. static_headers, which 1.77.3 never sends). */
export function serverFieldStatus(field: string, version: string): FieldStatus {
  const rule = SERVER_FIELDS[field];
  return rule ? judgeRule(rule, version) : 'unknown';
}
