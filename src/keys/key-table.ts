import type { DesiredKey } from './desired.js';

export const TOKENS = 'LiteLLM_VerificationToken';
export const GRANTS = 'LiteLLM_ObjectPermissionTable';
export type KeyTable = typeof TOKENS | typeof GRANTS;

/** Marks rows mcpgw wrote, so list can tell them from keys made in LiteLLM's UI. */
export const MANAGED_BY = 'mcpgw';

/**
 * How values of one SQL type travel: written from a field of a jsonb record (one parameter carries any number of
 * rows), read back as pg's driver hands them over.
 */
export interface SqlType<T> {
  /** The column's type, for the NULL that stands in for a column this database lacks. */
  readonly name: string;
  /** The record field's type in jsonb_to_recordset. */
  readonly record: string;
  /** SQL turning the record field `ref` into the column's value. */
  value(ref: string): string;
  /** The driver's value as mcpgw uses it. */
  parse(raw: unknown): T;
}

function plain<T>(name: string, parse: (raw: unknown) => T = (raw) => raw as T): SqlType<T> {
  return { name, record: name, value: (ref) => ref, parse };
}

function numberOrNull(raw: unknown): number | null {
  return raw === null || raw === undefined ? null : Number(raw);
}

const TEXT = plain<string | null>('text');
/** The key's hash: the primary key, never NULL. */
const HASH = plain<string>('text');
const BOOLEAN = plain<boolean | null>('boolean');
const INTEGER = plain<number | null>('integer');
/** pg hands bigint (and, defensively, double precision) columns over as strings. */
const BIGINT = plain('bigint', numberOrNull);
const DOUBLE = plain('double precision', numberOrNull);
const JSONB = plain<unknown>('jsonb');
/** Written from a JSON array, in its order. */
const TEXT_ARRAY: SqlType<string[] | null> = {
  name: 'text[]',
  record: 'jsonb',
  value: (ref) => `ARRAY(SELECT jsonb_array_elements_text(${ref}))`,
  parse: (raw) => raw as string[] | null,
};
/** LiteLLM's timestamps are naive UTC (Prisma writes them so): written from an ISO instant, whatever the session's zone. */
const TIMESTAMP: SqlType<Date | null> = {
  name: 'timestamp(3)',
  record: 'text',
  value: (ref) => `${ref}::timestamptz AT TIME ZONE 'UTC'`,
  parse: (raw) => raw as Date | null,
};
/** LiteLLM's mcp_tool_permissions as written (an object of server → tool list); anything else counts as none. */
const TOOL_LISTS: SqlType<Record<string, string[]>> = { ...JSONB, parse: toolPermissionsOf };

/** The grant's id, the time, and on a repair the row found for the key: what a write takes besides the key. */
export interface WriteContext {
  now: Date;
  permission: string;
  /** The row a repair rewrites; none when the key is created. */
  row?: { token: string; key_name: string | null };
}

/** A column's value in a write: one computed from the key (it travels in the jsonb record), or SQL over the record `r` and the row. */
export type Write = ((key: DesiredKey, context: WriteContext) => unknown) | { sql: string };

/** One column of LiteLLM's key tables that mcpgw reads (every one) and writes (those with a value). */
export interface KeyColumn<T = unknown, D = unknown> {
  readonly table: KeyTable;
  /** The column's name, where the row names it otherwise (the grant's own id, beside the key's link to it). */
  readonly column?: string;
  readonly type: SqlType<T>;
  /** The migration that added a column LiteLLM 1.77's schema (the seed's) lacks: read as NULL and never written there. */
  readonly since?: string;
  /** The key setting the column holds, as mcpgw.yaml declares it: written on create and on repair. */
  declared?(key: DesiredKey): D;
  /** How a row drifts from the declared setting, and the name `keys sync` and doctor print for it. */
  readonly drift?: { readonly field: string; same(actual: NoInfer<T>, declared: D, row: { object_permission_id: string | null }): boolean };
  /** What a create writes that is no declared setting. */
  readonly create?: Write;
  /** What a repair writes that is no declared setting. */
  readonly repair?: Write;
}

function column<T, D = never>(table: KeyTable, type: SqlType<T>, spec: Omit<KeyColumn<T, D>, 'table' | 'type'> = {}): KeyColumn<T, D> {
  return { table, type, ...spec };
}

const sameValue = (actual: unknown, declared: unknown) => (actual ?? null) === (declared ?? null);
const sameMembers = (actual: readonly string[] | null, declared: readonly string[]) => sameSet(actual ?? [], declared);
const sameTools = (actual: Record<string, string[]>, declared: Record<string, string[]> | null) => canonicalTools(actual) === canonicalTools(declared ?? {});

/** A key declared by hash has no value to abbreviate: its row keeps its key_name, unless the row takes another hash. */
const keyName = (key: DesiredKey, { row }: WriteContext) => key.keyName ?? (row?.token === key.token ? row.key_name : null);
const permission = (_key: DesiredKey, context: WriteContext) => context.permission;
const managedBy = () => MANAGED_BY;
/** The migration that brought rotation bookkeeping (a 1.77-era row simply lacks it). */
const ROTATION_MIGRATION = '20250926194702_unnamed_migration';

/**
 * The columns of LiteLLM's key tables mcpgw reads and writes, one entry each: the key store's SELECT, its row type,
 * the INSERT of a new key, the UPDATE that repairs a drifted one and the drift comparison are all derived from here
 * (src/keys/key-sql.ts). Drift is reported in this order. A row is the key's (`v`) joined with its grant (`p`).
 */
export const KEY_COLUMNS = {
  token: column(TOKENS, HASH, { declared: (key) => key.token, drift: { field: 'key', same: sameValue } }),
  key_name: column(TOKENS, TEXT, { create: keyName, repair: keyName }),
  key_alias: column(TOKENS, TEXT, { declared: (key) => key.alias, drift: { field: 'alias', same: sameValue } }),
  models: column(TOKENS, TEXT_ARRAY, { declared: (key) => key.models, drift: { field: 'models', same: sameMembers } }),
  // A key without an object-permission row has no MCP grant at all, whatever it declares.
  mcp_servers: column(GRANTS, TEXT_ARRAY, {
    declared: (key) => key.mcpServers,
    drift: { field: 'mcp_servers', same: (actual, declared, row) => Boolean(row.object_permission_id) && sameMembers(actual, declared) },
  }),
  mcp_access_groups: column(GRANTS, TEXT_ARRAY, { declared: (key) => key.mcpGroups, drift: { field: 'mcp_groups', same: sameMembers } }),
  max_budget: column(TOKENS, DOUBLE, { declared: (key) => key.budget ?? null, drift: { field: 'budget', same: sameValue } }),
  budget_duration: column(TOKENS, TEXT, { declared: (key) => key.budgetDuration ?? null, drift: { field: 'budget_duration', same: sameValue } }),
  // A tool allow-list on a schema without the column is refused before any write (KeyStore's refuseToolLists).
  mcp_tool_permissions: column(GRANTS, TOOL_LISTS, {
    since: '20251006143948_add_mcp_tool_permissions',
    declared: (key) => (Object.keys(key.toolPermissions).length > 0 ? key.toolPermissions : null),
    drift: { field: 'mcp_tools', same: sameTools },
  }),
  rpm_limit: column(TOKENS, BIGINT, { declared: (key) => key.rpmLimit ?? null, drift: { field: 'rpm_limit', same: sameValue } }),
  tpm_limit: column(TOKENS, BIGINT, { declared: (key) => key.tpmLimit ?? null, drift: { field: 'tpm_limit', same: sameValue } }),
  max_parallel_requests: column(TOKENS, INTEGER, {
    declared: (key) => key.maxParallelRequests ?? null,
    drift: { field: 'max_parallel_requests', same: sameValue },
  }),
  // Keys written before mcpgw set allowed_routes could call LiteLLM's provider pass-through routes: sync closes them.
  allowed_routes: column(TOKENS, TEXT_ARRAY, { declared: (key) => key.allowedRoutes, drift: { field: 'allowed_routes', same: sameMembers } }),
  // Expiry is set at creation and never extended by a sync.
  expires: column(TOKENS, TIMESTAMP, {
    create: (key, { now }) => (key.expiresInSeconds ? new Date(now.getTime() + key.expiresInSeconds * 1000).toISOString() : null),
  }),
  // A budget window opens when a duration is set or changed; LiteLLM's reset job then computes the next reset itself.
  budget_reset_at: column(TOKENS, TIMESTAMP, {
    create: { sql: `CASE WHEN r.budget_duration IS NULL THEN NULL ELSE now() AT TIME ZONE 'UTC' END` },
    repair: {
      sql:
        `CASE WHEN r.budget_duration IS NULL THEN NULL WHEN v.budget_duration IS DISTINCT FROM r.budget_duration ` +
        `THEN now() AT TIME ZONE 'UTC' ELSE v.budget_reset_at END`,
    },
  }),
  object_permission_id: column(TOKENS, TEXT, { create: permission, repair: permission }),
  // The grant's own id: NULL on a key whose object-permission row does not exist (the seed's hand-made keys).
  grant_id: column(GRANTS, TEXT, { column: 'object_permission_id', create: permission }),
  metadata: column(TOKENS, JSONB, { create: () => ({ managed_by: MANAGED_BY }) }),
  created_by: column(TOKENS, TEXT, { create: managedBy }),
  updated_by: column(TOKENS, TEXT, { create: managedBy, repair: managedBy }),
  // A new row takes the column's default, the same instant.
  updated_at: column(TOKENS, TIMESTAMP, { repair: { sql: 'now()' } }),
  created_at: column(TOKENS, TIMESTAMP),
  spend: column(TOKENS, DOUBLE),
  blocked: column(TOKENS, BOOLEAN),
  // Rotation bookkeeping, which `keys rotate` writes (KeyStore.rotate).
  last_rotation_at: column(TOKENS, TIMESTAMP, { since: ROTATION_MIGRATION }),
  rotation_count: column(TOKENS, INTEGER, { since: ROTATION_MIGRATION }),
};

export type KeyField = keyof typeof KEY_COLUMNS;

/** A key row joined with its grant, as the store reads it: one field per column above, of the type it parses to. */
export type KeyRowData = { [F in KeyField]: (typeof KEY_COLUMNS)[F]['type'] extends SqlType<infer T> ? T : never };

/** The key's declared settings held in `table`'s columns, by column name, those unset left out. */
export function declaredSettings(key: DesiredKey, table: KeyTable): Record<string, unknown> {
  return Object.fromEntries(
    (Object.entries(KEY_COLUMNS) as [KeyField, KeyColumn][]).flatMap(([field, column]) => {
      const value = column.table === table ? column.declared?.(key) : undefined;
      return value === undefined || value === null ? [] : [[field, value]];
    }),
  );
}

/** Each table's alias in mcpgw's SQL (the SQL above names them), and the field holding the key a repair finds its row by. */
export const KEY_TABLES = {
  [TOKENS]: { alias: 'v', key: 'token' },
  [GRANTS]: { alias: 'p', key: 'grant_id' },
} as const satisfies Record<KeyTable, { alias: string; key: KeyField }>;

function toolPermissionsOf(raw: unknown): Record<string, string[]> {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([server, tools]) => [server, Array.isArray(tools) ? tools.map(String) : []]));
}

function canonicalTools(permissions: Record<string, string[]>): string {
  return JSON.stringify(
    Object.entries(permissions)
      .map(([server, tools]) => [server, [...new Set(tools)].sort()])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}
