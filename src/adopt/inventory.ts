import type { Ledger, SchemaVerdict } from '../litellm/migrations.js';
import type { ComposeProject, ComposeService } from './compose.js';

/** A container of the compose project as Docker shows it (inspect only). */
export interface SeenContainer {
  service: string;
  name: string;
  image: string;
  running: boolean;
  status: string;
  networks: string[];
}

/** A key row of LiteLLM_VerificationToken with its grants; `token` stays in memory (written only as token_sha256). */
export interface KeyRow {
  token: string;
  keyAlias: string | null;
  keyName: string | null;
  expires: Date | null;
  blocked: boolean | null;
  models: string[];
  createdBy: string | null;
  createdAt: Date | null;
  /** object_permission.mcp_servers: server ids (or names) as that LiteLLM wrote them; null without a permission row. */
  mcpServers: string[] | null;
  mcpGroups: string[];
}

export interface McpServerRow {
  serverId: string;
  serverName: string | null;
  alias: string | null;
  url: string | null;
  transport: string | null;
}

export interface DatabaseSnapshot {
  /** user@host:port/db, never the password. */
  where: string;
  database: string;
  /** Other databases on the same server: applications mcpgw must never disturb. */
  otherDatabases: string[];
  keys: KeyRow[];
  servers: McpServerRow[];
  ledger: Ledger;
  /** The ledger against the migrations the running LiteLLM image ships, when they could be read from inside it. */
  verdict?: SchemaVerdict;
}

/** What adopt observed, every I/O done: the input of the pure analysis and of the files --write produces. */
export interface Observed {
  compose: ComposeProject;
  litellm: ComposeService;
  containers: SeenContainer[];
  /** LiteLLM's container (inspect), undefined when it does not exist. */
  litellmContainer?: SeenContainer & { env: Map<string, string>; publishedPort?: number };
  configFile?: string;
  /** config.yaml parsed (undefined when absent or unreadable, `configError` says why). */
  config?: Record<string, unknown>;
  configError?: string;
  /** Each env file of the LiteLLM service: its variables (values kept for matching keys, never reported). */
  envFiles: { file: string; values: Map<string, string> | undefined; error?: string }[];
  version?: { version: string; source: string };
  /**
   * model_name → the provider the running LiteLLM resolved for its model (its /model/info): a model config.yaml names
   * without a provider prefix is found in that version's model map, which a later version may no longer carry.
   */
  modelProviders?: Map<string, string>;
  /** Migration names the running LiteLLM image ships, read from inside it. */
  shippedMigrations?: string[];
  database?: DatabaseSnapshot;
  databaseError?: string;
  /** Each url server of config.yaml, as LiteLLM's place on the network answered. */
  reach: Map<
    string,
    { ok: boolean; seen: string; cause?: { cause: string; fix: string }; status?: number; speaks?: { transport: 'sse' | 'http'; path: string } }
  >;
}

/**
 * The environment LiteLLM runs with: its container's own (what really applies), else what the compose file gives
 * it (env files, then `environment:` over them, as compose does).
 */
export function litellmEnvironment(observed: Pick<Observed, 'litellmContainer' | 'envFiles' | 'litellm'>): Map<string, string> {
  if (observed.litellmContainer) return observed.litellmContainer.env;
  const env = new Map<string, string>();
  for (const file of observed.envFiles) for (const [name, value] of file.values ?? []) env.set(name, value);
  for (const [name, value] of Object.entries(observed.litellm.environment)) if (!/\$\{/.test(value)) env.set(name, value);
  return env;
}
