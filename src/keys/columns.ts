import type { SqlClient } from '../db/connect.js';
import { StepFailed } from '../errors.js';
import { GRANTS, KEY_COLUMNS, type KeyColumn, type KeyField, TOKENS } from './key-table.js';

export const DEPRECATED_TOKENS = 'LiteLLM_DeprecatedVerificationToken';

/** The upgrade that adds what a newer LiteLLM's migrations bring; named by every refusal below. */
export const SCHEMA_UPGRADE_FIX = "upgrade LiteLLM (`mcpgw upgrade`): its migrations add what is missing, and the keys' rows are kept";

/** Table → the names of KEY_COLUMNS' columns LiteLLM 1.77's schema already has (`later` false) or later migrations add. */
function columnNames(later: boolean): Record<string, readonly string[]> {
  const tables: Record<string, string[]> = {};
  for (const [field, column] of Object.entries(KEY_COLUMNS) as [string, KeyColumn][]) {
    if ((column.since !== undefined) === later) (tables[column.table] ??= []).push(column.column ?? field);
  }
  return tables;
}

/**
 * Columns mcpgw reads and writes that LiteLLM 1.77's schema (litellm-proxy-extras 0.2.19, the seed's) already has:
 * without them mcpgw cannot manage keys at all.
 */
export const REQUIRED_COLUMNS = columnNames(false);
/** Columns later migrations add: read as NULL and left unwritten where the database lacks them. */
export const LATER_COLUMNS = columnNames(true);

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

  /** Whether this database has the column (only those a later migration added may be missing: assertUsable). */
  has(field: KeyField): boolean {
    const { table, column } = KEY_COLUMNS[field];
    return this.tables.get(table)?.has(column ?? field) === true;
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
