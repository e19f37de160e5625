import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../db/connect.js';
import { StepFailed, UserError } from '../errors.js';
import { KEY_ALLOWED_ROUTES } from '../litellm/routes.js';
import { DEPRECATED_TOKENS, DEPRECATED_TOKENS_MIGRATION, KeyColumns, LATER_COLUMNS, SCHEMA_UPGRADE_FIX } from './columns.js';
import type { DesiredKey } from './desired.js';

/** A rotated key's old hash, the alias of the key it was replaced by, and the end of its grace period. */
export interface RotatedKey {
  token: string;
  alias: string | null;
  revokeAt: Date;
}

/** A key row as `keys list` shows it: never the token hash, never the key. */
export interface KeyRow {
  token: string;
  keyName: string;
  alias: string | null;
  models: string[];
  mcpServers: string[];
  mcpGroups: string[];
  expires: Date | null;
  /** When LiteLLM's row was written, for the key-age check. */
  createdAt: Date | null;
  /** When the key's value was last replaced (`keys rotate` keeps the row, like LiteLLM's /key/regenerate). */
  lastRotationAt: Date | null;
  spend: number;
  blocked: boolean;
  managed: boolean;
  budget: number | null;
  budgetDuration: string | null;
  /** Server id → allowed tools (LiteLLM's mcp_tool_permissions). */
  toolPermissions: Record<string, string[]>;
  /** Whether the key's object-permission row exists: LiteLLM reads its MCP grants there. */
  hasPermission: boolean;
  /** LiteLLM's allowed_routes: empty admits every LLM route, the provider pass-through routes too. */
  allowedRoutes: string[];
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
}

export type KeyChange =
  | { alias: string; action: 'create' }
  | { alias: string; action: 'update'; fields: string[] }
  | { alias: string; action: 'keep'; blocked?: true };

/** Marks rows mcpgw wrote, so list can tell them from keys made in LiteLLM's UI. */
const MANAGED_BY = 'mcpgw';
/** One lock id for every key write, so two syncs (or a sync and a create) never interleave. */
const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('mcpgw:keys'))`;

interface DbKeyRow {
  token: string;
  key_name: string | null;
  key_alias: string | null;
  models: string[] | null;
  expires: Date | null;
  created_at: Date | null;
  last_rotation_at: Date | null;
  spend: number;
  blocked: boolean | null;
  max_budget: number | null;
  created_by: string | null;
  object_permission_id: string | null;
  has_permission: boolean;
  mcp_servers: string[] | null;
  mcp_access_groups: string[] | null;
  mcp_tool_permissions: unknown;
  budget_duration: string | null;
  /** BigInt columns: pg hands them over as strings. */
  rpm_limit: string | number | null;
  tpm_limit: string | number | null;
  max_parallel_requests: number | null;
  allowed_routes: string[] | null;
}

/** The key rows joined with their grants, the columns a newer LiteLLM adds read as NULL where this database lacks them. */
function selectKeys(columns: KeyColumns): string {
  return `
  SELECT v.token, v.key_name, v.key_alias, v.models, v.expires, v.created_at, ${columns.select('v', 'lastRotationAt')}, v.spend, v.blocked, v.max_budget,
         v.created_by, v.object_permission_id, p.object_permission_id IS NOT NULL AS has_permission, p.mcp_servers, p.mcp_access_groups,
         ${columns.select('p', 'toolPermissions')}, v.budget_duration, v.rpm_limit, v.tpm_limit, v.max_parallel_requests, v.allowed_routes
    FROM "LiteLLM_VerificationToken" v
    LEFT JOIN "LiteLLM_ObjectPermissionTable" p ON p.object_permission_id = v.object_permission_id`;
}

/**
 * LiteLLM's key tables, written the way LiteLLM's own /key/generate leaves them: the token row (sha256 of the
 * key, abbreviated key_name, alias, models written explicitly) linked to an object-permission row holding the
 * MCP grants. Every change is one transaction under one advisory lock; all SQL is parameterised.
 */
export class KeyStore {
  /** Object-permission rows the last sync moved from derived to pinned server ids (rolled back on a dry run). */
  migratedGrants = 0;
  /** Rows mcpgw wrote before it set allowed_routes, closed to the pass-through routes by the last sync. */
  closedRoutes = 0;
  private schema?: Promise<KeyColumns>;

  constructor(
    private readonly db: SqlClient,
    private readonly clock: () => Date,
  ) {}

  /** The key tables' columns, asked once per store (one store per connection). */
  columns(): Promise<KeyColumns> {
    this.schema ??= KeyColumns.read(this.db);
    return this.schema;
  }

  /** Refuses a database without LiteLLM's key tables, or one too old for mcpgw to manage keys in. */
  async assertSchema(): Promise<void> {
    (await this.columns()).assertUsable();
  }

  async list(): Promise<KeyRow[]> {
    const { rows } = await this.db.query<DbKeyRow>(`${selectKeys(await this.columns())} ORDER BY v.key_alias NULLS LAST, v.created_at`);
    return rows.map((row) => ({
      token: row.token,
      keyName: row.key_name ?? 'sk-...',
      alias: row.key_alias,
      models: row.models ?? [],
      mcpServers: row.mcp_servers ?? [],
      mcpGroups: row.mcp_access_groups ?? [],
      expires: row.expires,
      createdAt: row.created_at,
      lastRotationAt: row.last_rotation_at,
      spend: Number(row.spend),
      blocked: row.blocked === true,
      managed: row.created_by === MANAGED_BY,
      budget: row.max_budget,
      budgetDuration: row.budget_duration,
      toolPermissions: toolPermissionsOf(row),
      hasPermission: row.has_permission,
      allowedRoutes: row.allowed_routes ?? [],
      rpmLimit: numberOrNull(row.rpm_limit),
      tpmLimit: numberOrNull(row.tpm_limit),
      maxParallelRequests: row.max_parallel_requests,
    }));
  }

  /**
   * The old hashes of rotated keys LiteLLM still knows (LiteLLM_DeprecatedVerificationToken), each with the alias of
   * the key it now leads to and when LiteLLM stops admitting it; none on a schema from before that table.
   */
  async rotated(): Promise<RotatedKey[]> {
    if (!(await this.columns()).hasTable(DEPRECATED_TOKENS)) return [];
    const { rows } = await this.db.query<{ token: string; alias: string | null; revoke_at: Date }>(
      `SELECT d.token, v.key_alias AS alias, d.revoke_at
         FROM "LiteLLM_DeprecatedVerificationToken" d LEFT JOIN "LiteLLM_VerificationToken" v ON v.token = d.active_token_id`,
    );
    return rows.map((row) => ({ token: row.token, alias: row.alias, revokeAt: row.revoke_at }));
  }

  /** What `sync` would change for each declared key found by its hash (read only; missing keys are not listed). */
  async drift(keys: DesiredKey[]): Promise<{ alias: string; fields: string[] }[]> {
    const { rows } = await this.db.query<DbKeyRow>(`${selectKeys(await this.columns())} WHERE v.token = ANY($1::text[])`, [keys.map((key) => key.token)]);
    const byToken = new Map(rows.map((row) => [row.token, row]));
    return keys.flatMap((key) => {
      const row = byToken.get(key.token);
      return row ? [{ alias: key.alias, fields: driftedFields(key, row) }] : [];
    });
  }

  /** Creates one key; refuses a duplicate alias or an existing token. */
  async create(key: DesiredKey): Promise<void> {
    const columns = await this.columns();
    refuseToolLists([key], columns);
    await this.transaction(async () => {
      await this.assertAliasFree(key);
      await this.insert([key]);
    });
  }

  /** LiteLLM requires unique aliases (its /key/generate refuses duplicates); mcpgw keeps the same rule. */
  async assertAliasFree(key: DesiredKey): Promise<void> {
    const { rows } = await this.db.query<{ token: string }>(`SELECT token FROM "LiteLLM_VerificationToken" WHERE token = $1 OR key_alias = $2`, [
      key.token,
      key.alias,
    ]);
    if (rows.length > 0)
      throw new UserError(
        `a key with alias "${key.alias}" (or this exact key) already exists`,
        'pick another alias, or `mcpgw keys rotate` / `keys revoke` the old one',
      );
  }

  /**
   * Makes the declared keys exist with exactly their declared grants, models and budget: creates missing rows
   * (e.g. after a DB wipe) and fixes drift. Expiry is set at creation and never extended by a sync. A key whose
   * value changed in the secrets file replaces the value of the row holding its alias (aliases stay unique, as
   * LiteLLM keeps them), and a key an admin blocked in LiteLLM stays blocked: unblocking is a human decision.
   */
  async sync(keys: DesiredKey[], options: { dryRun: boolean; legacyServerIds?: Map<string, string> }): Promise<KeyChange[]> {
    const columns = await this.columns();
    refuseToolLists(keys, columns);
    return this.transaction(async () => {
      // Grants written before server ids were pinned hold LiteLLM's derived ids: rewritten once, for every row.
      this.migratedGrants = options.legacyServerIds && options.legacyServerIds.size > 0 ? await this.migrateServerIds(options.legacyServerIds) : 0;
      this.closedRoutes = await this.closeRoutes();
      const { rows } = await this.db.query<DbKeyRow>(`${selectKeys(columns)} WHERE v.token = ANY($1::text[]) OR v.key_alias = ANY($2::text[])`, [
        keys.map((key) => key.token),
        keys.map((key) => key.alias),
      ]);
      const byToken = new Map(rows.map((row) => [row.token, row]));
      const declaredTokens = new Set(keys.map((key) => key.token));
      const byAlias = new Map(rows.filter((row) => row.key_alias !== null && !declaredTokens.has(row.token)).map((row) => [row.key_alias as string, row]));
      const changes: KeyChange[] = [];
      const missing: DesiredKey[] = [];
      for (const key of keys) {
        const row = byToken.get(key.token) ?? byAlias.get(key.alias);
        if (!row) {
          missing.push(key);
          changes.push({ alias: key.alias, action: 'create' });
          continue;
        }
        const fields = [...(row.token === key.token ? [] : ['key']), ...driftedFields(key, row)];
        if (fields.length === 0) {
          changes.push({ alias: key.alias, action: 'keep', ...(row.blocked === true ? { blocked: true as const } : {}) });
          continue;
        }
        changes.push({ alias: key.alias, action: 'update', fields });
        if (!options.dryRun) await this.repair(key, row);
      }
      if (!options.dryRun) await this.insert(missing);
      return changes;
    }, options.dryRun);
  }

  /**
   * Gives the key with alias `alias` a new value the way LiteLLM's /key/regenerate does: the one row keeps its
   * alias, grants, spend and budget and takes the new hash, and the old hash goes to
   * LiteLLM_DeprecatedVerificationToken, which LiteLLM's auth follows to the row until `revoke_at`. The old key
   * is admitted for `graceSeconds`, never past its own expiry (an expired key stays refused). The new key keeps
   * the row's lifetime: the declared one (`expiresInSeconds`), else the old lifetime counted from now. A schema
   * from before LiteLLM kept old hashes (a 1.77-era one) has nowhere to keep the old key: a grace is refused there.
   * Returns the hash the row held before.
   */
  async rotate(alias: string, next: { token: string; keyName: string; expiresInSeconds?: number }, graceSeconds: number): Promise<{ oldToken: string }> {
    const columns = await this.columns();
    return this.transaction(async () => {
      const { rows } = await this.db.query<DbKeyRow>(`${selectKeys(columns)} WHERE v.key_alias = $1`, [alias]);
      const old = rows[0];
      if (!old) throw new UserError(`no key has alias "${alias}"`, 'see `mcpgw keys list`');
      if (rows.length > 1) throw new UserError(`${rows.length} keys share alias "${alias}"`, 'revoke the extra ones first');
      const now = this.clock();
      const expires = nextExpiry(old, next.expiresInSeconds, now);
      const graceEnd = now.getTime() + graceSeconds * 1000;
      const revokeAt = Math.min(graceEnd, old.expires?.getTime() ?? graceEnd);
      const grace = revokeAt > now.getTime();
      if (grace && !columns.hasTable(DEPRECATED_TOKENS)) {
        throw new UserError(
          `this database's LiteLLM schema has no ${DEPRECATED_TOKENS} (migration ${DEPRECATED_TOKENS_MIGRATION}): ` +
            `the old key of "${alias}" cannot keep working for a grace period`,
          `${SCHEMA_UPGRADE_FIX}; or rotate with \`--grace 0\`, which refuses the old key at once`,
        );
      }
      // The rotation bookkeeping columns exist from migration 20250926194702 on; an older row simply lacks them.
      const bookkeeping = [
        ...(columns.has('rotationCount') ? [`${LATER_COLUMNS.rotationCount.column} = COALESCE(${LATER_COLUMNS.rotationCount.column}, 0) + 1`] : []),
        ...(columns.has('lastRotationAt') ? [`${LATER_COLUMNS.lastRotationAt.column} = $5::timestamptz AT TIME ZONE 'UTC'`] : []),
      ];
      await this.db.query(
        `UPDATE "LiteLLM_VerificationToken"
            SET token = $2, key_name = $3, expires = $4::timestamptz AT TIME ZONE 'UTC', ${bookkeeping.map((set) => `${set}, `).join('')}
                updated_by = $6, updated_at = $5::timestamptz AT TIME ZONE 'UTC'
          WHERE token = $1`,
        [old.token, next.token, next.keyName, expires?.toISOString() ?? null, now.toISOString(), MANAGED_BY],
      );
      if (grace) {
        await this.db.query(
          `INSERT INTO "LiteLLM_DeprecatedVerificationToken" (id, token, active_token_id, revoke_at) VALUES ($1, $2, $3, $4::timestamptz AT TIME ZONE 'UTC')
           ON CONFLICT (token) DO UPDATE SET active_token_id = EXCLUDED.active_token_id, revoke_at = EXCLUDED.revoke_at`,
          [randomUUID(), old.token, next.token, new Date(revokeAt).toISOString()],
        );
      }
      return { oldToken: old.token };
    });
  }

  /**
   * Replaces derived server ids by the pinned ones in every object-permission row that holds one (keys, teams,
   * users alike), keys of mcp_tool_permissions included; returns how many rows changed. A no-op once done.
   */
  async migrateServerIds(legacy: Map<string, string>): Promise<number> {
    const mapping = JSON.stringify(Object.fromEntries(legacy));
    const tools = (await this.columns()).has('toolPermissions');
    const { rowCount } = await this.db.query(
      `UPDATE "LiteLLM_ObjectPermissionTable" p
          SET mcp_servers = ARRAY(SELECT DISTINCT COALESCE($1::jsonb ->> s, s) FROM unnest(p.mcp_servers) AS s ORDER BY 1)${
            tools
              ? `,
              mcp_tool_permissions = CASE WHEN jsonb_typeof(p.mcp_tool_permissions) = 'object'
                THEN (SELECT COALESCE(jsonb_object_agg(COALESCE($1::jsonb ->> t.key, t.key), t.value), '{}'::jsonb) FROM jsonb_each(p.mcp_tool_permissions) AS t)
                ELSE p.mcp_tool_permissions END`
              : ''
          }
        WHERE p.mcp_servers && $2::text[]${
          tools
            ? `
           OR (jsonb_typeof(p.mcp_tool_permissions) = 'object' AND p.mcp_tool_permissions ?| $2::text[])`
            : ''
        }`,
      [mapping, [...legacy.keys()]],
    );
    return rowCount ?? 0;
  }

  /**
   * Gives every row mcpgw wrote without allowed_routes (keys made before mcpgw set it, declared or not) the
   * routes its keys get now; rows made in LiteLLM's UI or API are not mcpgw's to narrow. A no-op once done.
   */
  private async closeRoutes(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE "LiteLLM_VerificationToken" SET allowed_routes = $1::text[] WHERE created_by = $2 AND COALESCE(cardinality(allowed_routes), 0) = 0`,
      [KEY_ALLOWED_ROUTES, MANAGED_BY],
    );
    return rowCount ?? 0;
  }

  /** Deletes the key rows (and their grants) matching an alias or a key; returns how many went. */
  async revoke(match: { alias?: string; token?: string }): Promise<number> {
    return this.transaction(async () => {
      const { rows } = await this.db.query<{ token: string; object_permission_id: string | null }>(
        `DELETE FROM "LiteLLM_VerificationToken" WHERE token = $1 OR key_alias = $2 RETURNING token, object_permission_id`,
        [match.token ?? null, match.alias ?? null],
      );
      // Old values of a rotated key in their grace period lead to the row: they go with it.
      if ((await this.columns()).hasTable(DEPRECATED_TOKENS)) {
        await this.db.query(`DELETE FROM "LiteLLM_DeprecatedVerificationToken" WHERE active_token_id = ANY($1::text[]) OR token = $2`, [
          rows.map((row) => row.token),
          match.token ?? null,
        ]);
      }
      const permissions = rows.map((row) => row.object_permission_id).filter((id): id is string => id !== null);
      if (permissions.length > 0)
        await this.db.query(`DELETE FROM "LiteLLM_ObjectPermissionTable" WHERE object_permission_id = ANY($1::text[])`, [permissions]);
      return rows.length;
    });
  }

  /** Batched inserts: one statement for the grants, one for the tokens, however many keys. */
  private async insert(keys: DesiredKey[]): Promise<void> {
    if (keys.length === 0) return;
    const now = this.clock();
    const records = keys.map((key) => ({
      permission: randomUUID(),
      token: key.token,
      key_name: key.keyName,
      key_alias: key.alias,
      models: key.models,
      mcp_servers: key.mcpServers,
      mcp_groups: key.mcpGroups,
      expires: key.expiresInSeconds ? new Date(now.getTime() + key.expiresInSeconds * 1000).toISOString() : null,
      max_budget: key.budget ?? null,
      tools: Object.keys(key.toolPermissions).length > 0 ? key.toolPermissions : null,
      budget_duration: key.budgetDuration ?? null,
      rpm_limit: key.rpmLimit ?? null,
      tpm_limit: key.tpmLimit ?? null,
      max_parallel_requests: key.maxParallelRequests ?? null,
      allowed_routes: key.allowedRoutes,
    }));
    const payload = JSON.stringify(records);
    // A database without tool lists gets no key that declares one (refuseToolLists): the column is left out.
    const tools = (await this.columns()).has('toolPermissions');
    await this.db.query(
      `INSERT INTO "LiteLLM_ObjectPermissionTable" (object_permission_id, mcp_servers, mcp_access_groups${tools ? ', mcp_tool_permissions' : ''})
       SELECT r.permission, ARRAY(SELECT jsonb_array_elements_text(r.mcp_servers)), ARRAY(SELECT jsonb_array_elements_text(r.mcp_groups))${tools ? ', r.tools' : ''}
         FROM jsonb_to_recordset($1::jsonb) AS r(permission text, mcp_servers jsonb, mcp_groups jsonb, tools jsonb)`,
      [payload],
    );
    await this.db.query(
      `INSERT INTO "LiteLLM_VerificationToken"
         (token, key_name, key_alias, models, expires, max_budget, budget_duration, budget_reset_at, rpm_limit, tpm_limit, max_parallel_requests,
          object_permission_id, metadata, created_by, updated_by, allowed_routes)
       SELECT r.token, r.key_name, r.key_alias, ARRAY(SELECT jsonb_array_elements_text(r.models)), r.expires::timestamptz AT TIME ZONE 'UTC',
              r.max_budget, r.budget_duration, CASE WHEN r.budget_duration IS NULL THEN NULL ELSE now() AT TIME ZONE 'UTC' END,
              r.rpm_limit, r.tpm_limit, r.max_parallel_requests, r.permission, $2::jsonb, $3, $3, ARRAY(SELECT jsonb_array_elements_text(r.allowed_routes))
         FROM jsonb_to_recordset($1::jsonb) AS r(token text, key_name text, key_alias text, models jsonb, expires text, max_budget double precision,
              budget_duration text, rpm_limit bigint, tpm_limit bigint, max_parallel_requests int, permission text, allowed_routes jsonb)`,
      [payload, JSON.stringify({ managed_by: MANAGED_BY }), MANAGED_BY],
    );
  }

  private async repair(key: DesiredKey, row: DbKeyRow): Promise<void> {
    let permission = row.object_permission_id;
    const tools = (await this.columns()).has('toolPermissions');
    if (!permission) {
      permission = randomUUID();
      await this.db.query(
        `INSERT INTO "LiteLLM_ObjectPermissionTable" (object_permission_id, mcp_servers, mcp_access_groups${tools ? ', mcp_tool_permissions' : ''}) ` +
          `VALUES ($1, $2::text[], $3::text[]${tools ? ', $4::jsonb' : ''})`,
        [permission, key.mcpServers, key.mcpGroups, ...(tools ? [toolsJson(key)] : [])],
      );
    } else {
      await this.db.query(
        `UPDATE "LiteLLM_ObjectPermissionTable" SET mcp_servers = $2::text[], mcp_access_groups = $3::text[]${tools ? ', mcp_tool_permissions = $4::jsonb' : ''} ` +
          `WHERE object_permission_id = $1`,
        [permission, key.mcpServers, key.mcpGroups, ...(tools ? [toolsJson(key)] : [])],
      );
    }
    // A key declared by hash has no value to abbreviate: its row keeps its key_name, unless the row takes another hash.
    const keyName = key.keyName ?? (row.token === key.token ? row.key_name : null);
    // A changed budget_duration opens a new window now; LiteLLM's reset job then computes the next reset itself.
    await this.db.query(
      `UPDATE "LiteLLM_VerificationToken"
          SET token = $7, key_name = $8, key_alias = $2, models = $3::text[], max_budget = $4, object_permission_id = $5, updated_by = $6, updated_at = now(),
              budget_reset_at = CASE WHEN $9::text IS NULL THEN NULL WHEN budget_duration IS DISTINCT FROM $9::text THEN now() AT TIME ZONE 'UTC' ELSE budget_reset_at END,
              budget_duration = $9, rpm_limit = $10, tpm_limit = $11, max_parallel_requests = $12, allowed_routes = $13::text[]
        WHERE token = $1`,
      [
        row.token,
        key.alias,
        key.models,
        key.budget ?? null,
        permission,
        MANAGED_BY,
        key.token,
        keyName,
        key.budgetDuration ?? null,
        key.rpmLimit ?? null,
        key.tpmLimit ?? null,
        key.maxParallelRequests ?? null,
        key.allowedRoutes,
      ],
    );
  }

  private async transaction<T>(work: () => Promise<T>, rollback = false): Promise<T> {
    await this.db.query('BEGIN');
    try {
      // LiteLLM's timestamps are naive UTC (Prisma writes them so); the columns' defaults and now() follow the
      // session's zone, which a database or role may set to anything.
      await this.db.query(`SET LOCAL TIME ZONE 'UTC'`);
      await this.db.query(LOCK_SQL);
      const result = await work();
      await this.db.query(rollback ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      await this.db.query('ROLLBACK').catch(() => undefined);
      if (error instanceof UserError || error instanceof StepFailed) throw error;
      // Postgres discards an unfinished transaction, also when the connection dies: nothing was written.
      throw new StepFailed(
        `the key transaction was rolled back: ${(error as Error).message}`,
        'nothing was written; check the database and run the command again',
      );
    }
  }
}

/**
 * A tool allow-list needs LiteLLM's mcp_tool_permissions (migration 20251006143948); written without it, the key
 * would reach every tool of its servers, more than declared: refused with the upgrade as the fix.
 */
function refuseToolLists(keys: DesiredKey[], columns: KeyColumns): void {
  if (columns.has('toolPermissions')) return;
  const listed = keys.filter((key) => Object.keys(key.toolPermissions).length > 0).map((key) => key.alias);
  if (listed.length === 0) return;
  throw new StepFailed(
    `${listed.join(', ')} declare${listed.length === 1 ? 's' : ''} mcp_tools, but this database's LiteLLM schema has no ` +
      `${LATER_COLUMNS.toolPermissions.table}.${LATER_COLUMNS.toolPermissions.column} (migration ${LATER_COLUMNS.toolPermissions.migration}): ` +
      'the key would reach every tool of its servers',
    `${SCHEMA_UPGRADE_FIX}; or drop mcp_tools from the key until then`,
  );
}

function driftedFields(key: DesiredKey, row: DbKeyRow): string[] {
  const fields: string[] = [];
  if (row.key_alias !== key.alias) fields.push('alias');
  if (!sameSet(row.models ?? [], key.models)) fields.push('models');
  if (!row.object_permission_id || !sameSet(row.mcp_servers ?? [], key.mcpServers)) fields.push('mcp_servers');
  if (!sameSet(row.mcp_access_groups ?? [], key.mcpGroups)) fields.push('mcp_groups');
  if ((row.max_budget ?? null) !== (key.budget ?? null)) fields.push('budget');
  if ((row.budget_duration ?? null) !== (key.budgetDuration ?? null)) fields.push('budget_duration');
  if (canonicalTools(toolPermissionsOf(row)) !== canonicalTools(key.toolPermissions)) fields.push('mcp_tools');
  if (numberOrNull(row.rpm_limit) !== (key.rpmLimit ?? null)) fields.push('rpm_limit');
  if (numberOrNull(row.tpm_limit) !== (key.tpmLimit ?? null)) fields.push('tpm_limit');
  if ((row.max_parallel_requests ?? null) !== (key.maxParallelRequests ?? null)) fields.push('max_parallel_requests');
  // Keys written before mcpgw set allowed_routes could call LiteLLM's provider pass-through routes: sync closes them.
  if (!sameSet(row.allowed_routes ?? [], key.allowedRoutes)) fields.push('allowed_routes');
  return fields;
}

function numberOrNull(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}

/** LiteLLM's mcp_tool_permissions as written (an object of server → tool list); anything else counts as none. */
function toolPermissionsOf(row: Pick<DbKeyRow, 'mcp_tool_permissions'>): Record<string, string[]> {
  const value = typeof row.mcp_tool_permissions === 'string' ? (JSON.parse(row.mcp_tool_permissions) as unknown) : row.mcp_tool_permissions;
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

function toolsJson(key: DesiredKey): string | null {
  return Object.keys(key.toolPermissions).length > 0 ? JSON.stringify(key.toolPermissions) : null;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

/** The new value's expiry: the declared lifetime, else the row's lifetime (expires − its last start) from now. */
function nextExpiry(old: DbKeyRow, declaredSeconds: number | undefined, now: Date): Date | null {
  if (declaredSeconds) return new Date(now.getTime() + declaredSeconds * 1000);
  if (!old.expires) return null;
  const start = old.last_rotation_at ?? old.created_at;
  const lifetime = start ? old.expires.getTime() - start.getTime() : 0;
  if (lifetime > 0) return new Date(now.getTime() + lifetime);
  if (old.expires.getTime() > now.getTime()) return old.expires;
  throw new UserError(
    `the key "${old.key_alias}" has expired and its lifetime cannot be read from its row`,
    `declare it in mcpgw.yaml with expires: (e.g. 90d) and rotate again, or \`mcpgw keys revoke\` it and \`keys create --expires …\` a new one`,
  );
}
