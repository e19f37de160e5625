import type { SqlClient } from '../db/connect.js';
import { StepFailed } from '../errors.js';

export const TOKENS = 'LiteLLM_VerificationToken';
export const GRANTS = 'LiteLLM_ObjectPermissionTable';
export const DEPRECATED_TOKENS = 'LiteLLM_DeprecatedVerificationToken';

/** The upgrade that adds what a newer LiteLLM's migrations bring; named by every refusal below. */
export const SCHEMA_UPGRADE_FIX = "upgrade LiteLLM (`mcpgw upgrade`): its migrations add what is missing, and the keys' rows are kept";

/**
 * Columns mcpgw reads and writes that LiteLLM 1.77's schema (litellm-proxy-extras 0.2.19, the seed's) already has:
 * without them mcpgw cannot manage keys at all.
 */
export const REQUIRED_COLUMNS: Record<string, readonly string[]> = {
  [TOKENS]: [
    'token',
    'key_name',
    'key_alias',
    'models',
    'expires',
    'created_at',
    'spend',
    'blocked',
    'max_budget',
    'created_by',
    'updated_by',
    'updated_at',
    'object_permission_id',
    'metadata',
    'budget_duration',
    'budget_reset_at',
    'rpm_limit',
    'tpm_limit',
    'max_parallel_requests',
    'allowed_routes',
  ],
  [GRANTS]: ['object_permission_id', 'mcp_servers', 'mcp_access_groups'],
};

/** Columns later migrations add: read as NULL and left unwritten where the database lacks them. */
export const LATER_COLUMNS = {
  lastRotationAt: { table: TOKENS, column: 'last_rotation_at', type: 'timestamp(3)', migration: '20250926194702_unnamed_migration' },
  rotationCount: { table: TOKENS, column: 'rotation_count', type: 'integer', migration: '20250926194702_unnamed_migration' },
  toolPermissions: { table: GRANTS, column: 'mcp_tool_permissions', type: 'jsonb', migration: '20251006143948_add_mcp_tool_permissions' },
} as const;
export type LaterColumn = keyof typeof LATER_COLUMNS;

/** The table a later migration adds: a rotated key's old hash, admitted by LiteLLM until its revoke_at. */
export const DEPRECATED_TOKENS_MIGRATION = '20260203120000_add_deprecated_verification_token_table';

/**
 * Which of LiteLLM's key tables and columns this database has, read once from information_schema: LiteLLM adds
 * columns release by release (a 1.77-era database has no `last_rotation_at`), and mcpgw reads what exists.
 */
export class KeyColumns {
  private constructor(private readonly tables: Map<string, Set<string>>) {}

  static async read(db: SqlClient): Promise<KeyColumns> {
    const { rows } = await db.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
      [[TOKENS, GRANTS, DEPRECATED_TOKENS]],
    );
    const tables = new Map<string, Set<string>>();
    for (const row of rows) tables.set(row.table_name, (tables.get(row.table_name) ?? new Set()).add(row.column_name));
    return new KeyColumns(tables);
  }

  /** For tests and callers that already know the schema: table → its columns. */
  static of(tables: Record<string, readonly string[]>): KeyColumns {
    return new KeyColumns(new Map(Object.entries(tables).map(([table, columns]) => [table, new Set(columns)])));
  }

  hasTable(table: string): boolean {
    return this.tables.has(table);
  }

  has(column: LaterColumn): boolean {
    const { table, column: name } = LATER_COLUMNS[column];
    return this.tables.get(table)?.has(name) === true;
  }

  /** `alias.column`, or a NULL of the column's type under its name where this database lacks it. */
  select(alias: string, column: LaterColumn): string {
    const { column: name, type } = LATER_COLUMNS[column];
    return this.has(column) ? `${alias}.${name}` : `NULL::${type} AS ${name}`;
  }

  /** Refuses a database mcpgw cannot manage keys in, naming what is missing and the fix. */
  assertUsable(): void {
    if (!this.hasTable(TOKENS) || !this.hasTable(GRANTS)) {
      if (this.hasTable(TOKENS)) {
        throw new StepFailed(`LiteLLM's schema in this database predates MCP grants (no ${GRANTS})`, SCHEMA_UPGRADE_FIX);
      }
      throw new StepFailed(
        "LiteLLM's key tables do not exist in this database yet",
        'LiteLLM creates them when it first starts with DATABASE_URL: run `mcpgw up` (or start the proxy) first',
      );
    }
    const missing = Object.entries(REQUIRED_COLUMNS).flatMap(([table, columns]) =>
      columns.filter((column) => !this.tables.get(table)?.has(column)).map((c) => `${table}.${c}`),
    );
    if (missing.length > 0) throw new StepFailed(`LiteLLM's key tables lack ${missing.join(', ')} (a schema older than LiteLLM 1.77)`, SCHEMA_UPGRADE_FIX);
  }
}
