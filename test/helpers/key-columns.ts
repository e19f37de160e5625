import { DEPRECATED_TOKENS, LATER_COLUMNS, REQUIRED_COLUMNS } from '../../src/keys/columns.js';

/**
 * What information_schema.columns answers KeyColumns.read for a schema at `level`: '1.77' (the seed's, without the
 * columns and table later migrations add) or 'current'. For fake databases in the fast tiers.
 */
export function keyColumnRows(level: '1.77' | 'current'): { table_name: string; column_name: string }[] {
  const rowsOf = (tables: Record<string, readonly string[]>) =>
    Object.entries(tables).flatMap(([table, columns]) => columns.map((column) => ({ table_name: table, column_name: column })));
  if (level === '1.77') return rowsOf(REQUIRED_COLUMNS);
  return [
    ...rowsOf(REQUIRED_COLUMNS),
    ...rowsOf(LATER_COLUMNS),
    ...['id', 'token', 'active_token_id', 'revoke_at', 'created_at'].map((column) => ({ table_name: DEPRECATED_TOKENS, column_name: column })),
  ];
}

/** LiteLLM's key rows as a small fake database for the doctor's key checks: the column probe and KeyStore.list() are the only reads. */
export function fakeKeyDatabase(rows: Record<string, unknown>[], level: '1.77' | 'current') {
  return async () => ({
    async query<R extends object>(sql: string) {
      if (sql.includes('information_schema.columns')) return { rows: keyColumnRows(level) as unknown as R[], rowCount: 1 };
      return { rows: rows as R[], rowCount: rows.length };
    },
    end: async () => undefined,
  });
}
