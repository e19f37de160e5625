import { describe, expect, it } from 'vitest';
import { KeyColumns, LATER_COLUMNS, REQUIRED_COLUMNS } from '../../src/keys/columns.js';
import type { DesiredKey } from '../../src/keys/desired.js';
import { driftedFields, insertRows, type KeyWrite, parseKeyRow, repairRows, selectKeys, type Statement } from '../../src/keys/key-sql.js';
import { declaredSettings, GRANTS, type KeyTable, TOKENS } from '../../src/keys/key-table.js';
import { keyColumnRows } from '../helpers/key-columns.js';

/** The schema KeyColumns.read finds in a database at `level`. */
function schema(level: '1.77' | 'current'): KeyColumns {
  const tables: Record<string, string[]> = {};
  for (const row of keyColumnRows(level)) (tables[row.table_name] ??= []).push(row.column_name);
  return KeyColumns.of(tables);
}

const NOW = new Date('2026-12-01T10:00:00Z');

const KEY: DesiredKey = {
  alias: 'codex',
  token: 'a'.repeat(64),
  keyName: 'sk-...wxyz',
  models: ['gpt-b', 'gpt-a'],
  mcpServers: ['id-everything'],
  mcpGroups: ['dev'],
  expiresInSeconds: 3600,
  budget: 25,
  budgetDuration: '30d',
  toolPermissions: { 'id-everything': ['add', 'echo'] },
  rpmLimit: 60,
  tpmLimit: 100000,
  maxParallelRequests: 4,
  allowedRoutes: ['/v1/chat/completions', '/mcp'],
};

/** KEY's settings held in the key's own row, by column name. */
const KEY_SETTINGS = {
  token: KEY.token,
  key_alias: 'codex',
  models: ['gpt-b', 'gpt-a'],
  max_budget: 25,
  budget_duration: '30d',
  rpm_limit: 60,
  tpm_limit: 100000,
  max_parallel_requests: 4,
  allowed_routes: ['/v1/chat/completions', '/mcp'],
};

/** The key's row as pg's driver hands it over (bigints as strings, sets in another order), linked to its grant. */
const ROW = {
  token: KEY.token,
  key_name: 'sk-...wxyz',
  key_alias: 'codex',
  models: ['gpt-a', 'gpt-b'],
  mcp_servers: ['id-everything'],
  mcp_access_groups: ['dev'],
  max_budget: 25,
  budget_duration: '30d',
  mcp_tool_permissions: { 'id-everything': ['echo', 'add'] },
  rpm_limit: '60',
  tpm_limit: '100000',
  max_parallel_requests: 4,
  allowed_routes: ['/mcp', '/v1/chat/completions'],
  object_permission_id: 'grant-1',
  grant_id: 'grant-1',
  spend: 0,
};

/** The record fields a statement declares for `r`, and those its SQL reads. */
function recordFields(statement: Statement): { declared: string[]; read: string[] } {
  const definition = /AS r\(([^)]*)\)/.exec(statement.text)?.[1] ?? '';
  return {
    declared: definition.split(', ').map((field) => field.split(' ')[0] ?? ''),
    read: [...new Set([...statement.text.matchAll(/\br\.([a-z_]+)/g)].map((match) => match[1] ?? ''))],
  };
}

function columnsOf(statement: Statement): string[] {
  return (/^INSERT INTO "[^"]+" \(([^)]*)\)/.exec(statement.text)?.[1] ?? '').split(', ');
}

const payload = (statement: Statement | undefined) => JSON.parse(String(statement?.values[0])) as Record<string, unknown>[];

describe('the key columns table and the SQL derived from it', () => {
  it('knows which columns a 1.77-era schema has and which later migrations add', () => {
    expect(REQUIRED_COLUMNS[TOKENS]).toEqual(expect.arrayContaining(['token', 'rpm_limit', 'allowed_routes', 'budget_reset_at', 'metadata', 'updated_at']));
    expect(REQUIRED_COLUMNS[GRANTS]).toEqual(expect.arrayContaining(['object_permission_id', 'mcp_servers', 'mcp_access_groups']));
    expect(LATER_COLUMNS).toEqual({ [TOKENS]: ['last_rotation_at', 'rotation_count'], [GRANTS]: ['mcp_tool_permissions'] });
    expect(() => schema('1.77').assertUsable()).not.toThrow();
    expect(() => KeyColumns.of({ [TOKENS]: ['token'], [GRANTS]: REQUIRED_COLUMNS[GRANTS] ?? [] }).assertUsable()).toThrow(
      /key tables lack LiteLLM_VerificationToken\.key_name, .*LiteLLM_VerificationToken\.rpm_limit/,
    );
  });

  it('selects every column, and a NULL of its type under its name where an old schema lacks it', () => {
    const current = selectKeys(schema('current'));
    expect(current).toContain('v.rpm_limit');
    expect(current).toContain('v.last_rotation_at');
    expect(current).toContain('p.mcp_tool_permissions');
    expect(current).toContain('p.object_permission_id AS grant_id');
    const old = selectKeys(schema('1.77'));
    expect(old).toContain('NULL::timestamp(3) AS last_rotation_at');
    expect(old).toContain('NULL::integer AS rotation_count');
    expect(old).toContain('NULL::jsonb AS mcp_tool_permissions');
    expect(old).not.toMatch(/[vp]\.(last_rotation_at|rotation_count|mcp_tool_permissions)/);
  });

  it('leaves a column an old schema lacks out of the INSERT and the repair UPDATE', () => {
    const write: KeyWrite = { key: KEY, permission: 'grant-1', row: parseKeyRow(ROW) };
    for (const table of [GRANTS, TOKENS] as KeyTable[]) {
      for (const statement of [insertRows(table, schema('1.77'), [write], NOW), repairRows(table, schema('1.77'), [write], NOW)]) {
        expect(statement?.text).not.toMatch(/mcp_tool_permissions|last_rotation_at|rotation_count/);
        expect(Object.keys(payload(statement)[0] ?? {})).not.toContain('mcp_tool_permissions');
      }
    }
    expect(columnsOf(insertRows(GRANTS, schema('current'), [write], NOW) as Statement)).toEqual(
      expect.arrayContaining(['object_permission_id', 'mcp_servers', 'mcp_access_groups', 'mcp_tool_permissions']),
    );
    expect(repairRows(GRANTS, schema('current'), [write], NOW)?.text).toContain('mcp_tool_permissions = r.mcp_tool_permissions');
  });

  it('declares every record field its SQL reads, and writes no column twice', () => {
    const write: KeyWrite = { key: KEY, permission: 'grant-1', row: parseKeyRow(ROW) };
    for (const level of ['1.77', 'current'] as const) {
      for (const table of [GRANTS, TOKENS] as KeyTable[]) {
        for (const statement of [insertRows(table, schema(level), [write], NOW), repairRows(table, schema(level), [write], NOW)] as Statement[]) {
          const { declared, read } = recordFields(statement);
          expect(read.filter((field) => !declared.includes(field))).toEqual([]);
          expect(Object.keys(payload(statement)[0] ?? {}).sort()).toEqual([...declared].sort());
        }
        const columns = columnsOf(insertRows(table, schema(level), [write], NOW) as Statement);
        expect(new Set(columns).size).toBe(columns.length);
      }
    }
  });

  it('writes a new key as LiteLLM leaves it: its settings, lifetime from now, managed by mcpgw, linked to its grant', () => {
    const [row] = payload(insertRows(TOKENS, schema('current'), [{ key: KEY, permission: 'grant-9' }], NOW));
    expect(row).toEqual({
      ...KEY_SETTINGS,
      key_name: 'sk-...wxyz',
      expires: '2026-12-01T11:00:00.000Z',
      object_permission_id: 'grant-9',
      metadata: { managed_by: 'mcpgw' },
      created_by: 'mcpgw',
      updated_by: 'mcpgw',
    });
    const [grant] = payload(insertRows(GRANTS, schema('current'), [{ key: { ...KEY, toolPermissions: {} }, permission: 'grant-9' }], NOW));
    expect(grant).toEqual({ grant_id: 'grant-9', mcp_servers: ['id-everything'], mcp_access_groups: ['dev'], mcp_tool_permissions: null });
    expect(insertRows(TOKENS, schema('current'), [], NOW)).toBeUndefined();
  });

  it('repairs a row found by its current key, never touching its expiry; a key declared by hash keeps the row key_name', () => {
    const byHash: DesiredKey = { ...KEY, keyName: null };
    const same = repairRows(TOKENS, schema('current'), [{ key: byHash, permission: 'grant-1', row: parseKeyRow(ROW) }], NOW);
    expect(same?.text).toMatch(/WHERE v\.token = r\.row_key$/);
    expect(same?.text).not.toMatch(/expires|created_by|metadata/);
    expect(same?.text).toContain('updated_at = now()');
    expect(payload(same)[0]).toMatchObject({ row_key: KEY.token, key_name: 'sk-...wxyz', object_permission_id: 'grant-1' });
    // The row found by alias takes the declared hash: the old abbreviation would name another key.
    const other = parseKeyRow({ ...ROW, token: 'b'.repeat(64) });
    expect(payload(repairRows(TOKENS, schema('current'), [{ key: byHash, permission: 'grant-1', row: other }], NOW))[0]).toMatchObject({
      row_key: 'b'.repeat(64),
      token: KEY.token,
      key_name: null,
    });
    expect(repairRows(GRANTS, schema('current'), [{ key: KEY, permission: 'grant-1', row: parseKeyRow(ROW) }], NOW)?.text).toMatch(
      /WHERE p\.object_permission_id = r\.row_key$/,
    );
  });

  it("gives /key/generate the declared settings under LiteLLM's column names, the unset ones left out", () => {
    expect(declaredSettings(KEY, TOKENS)).toEqual(KEY_SETTINGS);
    expect(declaredSettings(KEY, GRANTS)).toEqual({
      mcp_servers: ['id-everything'],
      mcp_access_groups: ['dev'],
      mcp_tool_permissions: { 'id-everything': ['add', 'echo'] },
    });
    const bare: DesiredKey = {
      alias: 'bare',
      token: KEY.token,
      keyName: null,
      models: [],
      mcpServers: [],
      mcpGroups: [],
      toolPermissions: {},
      allowedRoutes: [],
    };
    expect(declaredSettings(bare, TOKENS)).toEqual({ token: KEY.token, key_alias: 'bare', models: [], allowed_routes: [] });
    expect(declaredSettings(bare, GRANTS)).toEqual({ mcp_servers: [], mcp_access_groups: [] });
  });

  it('compares a row with its declaration as sets and numbers, and names the drift in a fixed order', () => {
    expect(driftedFields(KEY, parseKeyRow(ROW))).toEqual([]);
    const drifted = parseKeyRow({
      token: 'b'.repeat(64),
      key_name: null,
      key_alias: 'old',
      models: [],
      mcp_servers: ['id-everything'],
      mcp_access_groups: null,
      max_budget: null,
      budget_duration: null,
      mcp_tool_permissions: null,
      rpm_limit: '1000',
      tpm_limit: null,
      max_parallel_requests: null,
      allowed_routes: [],
      object_permission_id: null,
      grant_id: null,
    });
    expect(driftedFields(KEY, drifted)).toEqual([
      'key',
      'alias',
      'models',
      'mcp_servers',
      'mcp_groups',
      'budget',
      'budget_duration',
      'mcp_tools',
      'rpm_limit',
      'tpm_limit',
      'max_parallel_requests',
      'allowed_routes',
    ]);
    expect(driftedFields(KEY, parseKeyRow({ ...ROW, rpm_limit: '61', mcp_tool_permissions: '{"id-everything":["add"]}' }))).toEqual(['mcp_tools', 'rpm_limit']);
  });
});
