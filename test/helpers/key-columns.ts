import { DEPRECATED_TOKENS, LATER_COLUMNS, REQUIRED_COLUMNS } from '../../src/keys/columns.js';

/**
 * What information_schema.columns answers KeyColumns.read for a schema at `level`: '1.77' (the seed's, without the
 * columns and table later migrations add) or 'current'. For fake databases in the fast tiers.
 */
export function keyColumnRows(level: '1.77' | 'current'): { table_name: string; column_name: string }[] {
  const rows = Object.entries(REQUIRED_COLUMNS).flatMap(([table, columns]) => columns.map((column) => ({ table_name: table, column_name: column })));
  if (level === '1.77') return rows;
  return [
    ...rows,
    ...Object.values(LATER_COLUMNS).map(({ table, column }) => ({ table_name: table, column_name: column })),
    ...['id', 'token', 'active_token_id', 'revoke_at', 'created_at'].map((column) => ({ table_name: DEPRECATED_TOKENS, column_name: column })),
  ];
}
