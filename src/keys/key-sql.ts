import type { KeyColumns } from './columns.js';
import type { DesiredKey } from './desired.js';
import { GRANTS, KEY_COLUMNS, KEY_TABLES, type KeyColumn, type KeyField, type KeyRowData, type KeyTable, TOKENS, type Write } from './key-table.js';

/** A key to write: the grant id its row links to, and for a repair the row found for it. */
export interface KeyWrite {
  key: DesiredKey;
  permission: string;
  row?: KeyRowData;
}

export interface Statement {
  text: string;
  values: unknown[];
}

const COLUMNS = Object.entries(KEY_COLUMNS) as [KeyField, KeyColumn][];

const nameOf = (field: KeyField, column: KeyColumn) => column.column ?? field;

/** Every column but those a later migration adds is there (KeyColumns.assertUsable refuses a database without). */
const present = (schema: KeyColumns, field: KeyField, column: KeyColumn) => column.since === undefined || schema.has(field);

/** The key rows joined with their grants, every column of KEY_COLUMNS; one this database lacks is read as NULL. */
export function selectKeys(schema: KeyColumns): string {
  const list = COLUMNS.map(([field, column]) => {
    if (!present(schema, field, column)) return `NULL::${column.type.name} AS ${field}`;
    const name = nameOf(field, column);
    return `${KEY_TABLES[column.table].alias}.${name}${name === field ? '' : ` AS ${field}`}`;
  });
  return `SELECT ${list.join(', ')}
    FROM "${TOKENS}" ${KEY_TABLES[TOKENS].alias}
    LEFT JOIN "${GRANTS}" ${KEY_TABLES[GRANTS].alias} ON ${KEY_TABLES[GRANTS].alias}.object_permission_id = ${KEY_TABLES[TOKENS].alias}.object_permission_id`;
}

/** A row as pg's driver returns it (`selectKeys`), each field parsed as its column's type says. */
export function parseKeyRow(raw: Record<string, unknown>): KeyRowData {
  return Object.fromEntries(COLUMNS.map(([field, column]) => [field, column.type.parse(raw[field])])) as KeyRowData;
}

/** The settings in which the row differs from the declared key, by the names `keys sync` and doctor print, in KEY_COLUMNS' order. */
export function driftedFields(key: DesiredKey, row: KeyRowData): string[] {
  return COLUMNS.flatMap(([field, column]) =>
    column.drift && column.declared && !column.drift.same(row[field], column.declared(key), row) ? [column.drift.field] : [],
  );
}

interface Written {
  field: KeyField;
  column: KeyColumn;
  write: Write;
}

/** The columns of `table` a create or a repair writes in this database, each with its value. */
function written(table: KeyTable, schema: KeyColumns, statement: 'create' | 'repair'): Written[] {
  return COLUMNS.flatMap(([field, column]) => {
    if (column.table !== table || !present(schema, field, column)) return [];
    const write = column[statement] ?? (column.declared ? (key: DesiredKey) => column.declared?.(key) : undefined);
    return write ? [{ field, column, write }] : [];
  });
}

const valueSql = ({ field, column, write }: Written) => (typeof write === 'function' ? column.type.value(`r.${field}`) : write.sql);

/** The rows to write as one jsonb array of records (one field per written value), and how SQL reads it as `r`. */
function records(columns: Written[], writes: KeyWrite[], now: Date, rowKey?: (write: KeyWrite) => unknown): { source: string; payload: string } {
  const computed = columns.flatMap(({ field, column, write }) => (typeof write === 'function' ? [{ field, column, write }] : []));
  const fields = [...computed.map(({ field, column }) => `${field} ${column.type.record}`), ...(rowKey ? ['row_key text'] : [])];
  const payload = writes.map((entry) => ({
    ...Object.fromEntries(
      computed.map(({ field, write }) => [field, write(entry.key, { now, permission: entry.permission, ...(entry.row ? { row: entry.row } : {}) })]),
    ),
    ...(rowKey ? { row_key: rowKey(entry) } : {}),
  }));
  return { source: `jsonb_to_recordset($1::jsonb) AS r(${fields.join(', ')})`, payload: JSON.stringify(payload) };
}

/** One INSERT for any number of new rows of `table` (the keys' or their grants'); none for no rows. */
export function insertRows(table: KeyTable, schema: KeyColumns, writes: KeyWrite[], now: Date): Statement | undefined {
  if (writes.length === 0) return undefined;
  const columns = written(table, schema, 'create');
  const { source, payload } = records(columns, writes, now);
  return {
    text: `INSERT INTO "${table}" (${columns.map(({ field, column }) => nameOf(field, column)).join(', ')})
       SELECT ${columns.map(valueSql).join(', ')} FROM ${source}`,
    values: [payload],
  };
}

/** One UPDATE rewriting the found rows of `table` to the declared keys, each row found by its current key; none for no rows. */
export function repairRows(table: KeyTable, schema: KeyColumns, writes: KeyWrite[], now: Date): Statement | undefined {
  if (writes.length === 0) return undefined;
  const { alias, key } = KEY_TABLES[table];
  const columns = written(table, schema, 'repair');
  const { source, payload } = records(columns, writes, now, (write) => write.row?.[key]);
  return {
    text: `UPDATE "${table}" ${alias} SET ${columns.map((entry) => `${nameOf(entry.field, entry.column)} = ${valueSql(entry)}`).join(', ')}
      FROM ${source} WHERE ${alias}.${nameOf(key, KEY_COLUMNS[key])} = r.row_key`,
    values: [payload],
  };
}
