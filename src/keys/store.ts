import { randomUUID } from 'node:crypto';
import type { SqlClient } from '../db/connect.js';
import { StepFailed, UserError } from '../errors.js';
import { KEY_ALLOWED_ROUTES } from '../litellm/routes.js';
import { DEPRECATED_TOKENS, DEPRECATED_TOKENS_MIGRATION, KeyColumns, SCHEMA_UPGRADE_FIX } from './columns.js';
import type { DesiredKey } from './desired.js';
import { driftedFields, insertRows, type KeyWrite, parseKeyRow, repairRows, selectKeys, type Statement } from './key-sql.js';
import { GRANTS, KEY_COLUMNS, type KeyRowData, MANAGED_BY, TOKENS } from './key-table.js';
import type { Clock } from '../time/clock.js';

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

/** One lock id for every key write, so two syncs (or a sync and a create) never interleave. */
const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('mcpgw:keys'))`;

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
    private readonly clock: Clock,
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

  /** The key rows joined with their grants that `condition` (SQL over `v`, the key's row, and `p`, its grant) picks. */
  private async rows(condition: string, values: unknown[] = []): Promise<KeyRowData[]> {
    const { rows } = await this.db.query<Record<string, unknown>>(`${selectKeys(await this.columns())} ${condition}`, values);
    return rows.map(parseKeyRow);
  }

  async list(): Promise<KeyRow[]> {
    const rows = await this.rows('ORDER BY v.key_alias NULLS LAST, v.created_at');
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
      spend: row.spend ?? 0,
      blocked: row.blocked === true,
      managed: row.created_by === MANAGED_BY,
      budget: row.max_budget,
      budgetDuration: row.budget_duration,
      toolPermissions: row.mcp_tool_permissions,
      hasPermission: row.grant_id !== null,
      allowedRoutes: row.allowed_routes ?? [],
      rpmLimit: row.rpm_limit,
      tpmLimit: row.tpm_limit,
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
    const rows = await this.rows('WHERE v.token = ANY($1::text[])', [keys.map((key) => key.token)]);
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
      await this.write([key], []);
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
      const rows = await this.rows('WHERE v.token = ANY($1::text[]) OR v.key_alias = ANY($2::text[])', [
        keys.map((key) => key.token),
        keys.map((key) => key.alias),
      ]);
      const byToken = new Map(rows.map((row) => [row.token, row]));
      const declaredTokens = new Set(keys.map((key) => key.token));
      const byAlias = new Map(rows.filter((row) => row.key_alias !== null && !declaredTokens.has(row.token)).map((row) => [row.key_alias as string, row]));
      const changes: KeyChange[] = [];
      const missing: DesiredKey[] = [];
      const drifted: { key: DesiredKey; row: KeyRowData }[] = [];
      for (const key of keys) {
        const row = byToken.get(key.token) ?? byAlias.get(key.alias);
        if (!row) {
          missing.push(key);
          changes.push({ alias: key.alias, action: 'create' });
          continue;
        }
        const fields = driftedFields(key, row);
        if (fields.length === 0) {
          changes.push({ alias: key.alias, action: 'keep', ...(row.blocked === true ? { blocked: true as const } : {}) });
          continue;
        }
        changes.push({ alias: key.alias, action: 'update', fields });
        drifted.push({ key, row });
      }
      if (!options.dryRun) await this.write(missing, drifted);
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
      const rows = await this.rows('WHERE v.key_alias = $1', [alias]);
      const old = rows[0];
      if (!old) throw new UserError(`no key has alias "${alias}"`, 'see `mcpgw keys list`');
      if (rows.length > 1) throw new UserError(`${rows.length} keys share alias "${alias}"`, 'revoke the extra ones first');
      const now = new Date(this.clock.now());
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
        ...(columns.has('rotation_count') ? ['rotation_count = COALESCE(rotation_count, 0) + 1'] : []),
        ...(columns.has('last_rotation_at') ? [`last_rotation_at = $5::timestamptz AT TIME ZONE 'UTC'`] : []),
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
    const tools = (await this.columns()).has('mcp_tool_permissions');
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

  /**
   * Writes the declared keys, batched whatever their number: new rows for `created`, and the found rows of `repaired`
   * rewritten to their declarations (a row without a grant gets one). Grants first: a key's row links to its grant.
   */
  private async write(created: DesiredKey[], repaired: { key: DesiredKey; row: KeyRowData }[]): Promise<void> {
    const schema = await this.columns();
    const now = new Date(this.clock.now());
    const creates: KeyWrite[] = created.map((key) => ({ key, permission: randomUUID() }));
    const repairs: KeyWrite[] = repaired.map(({ key, row }) => ({ key, row, permission: row.grant_id ?? randomUUID() }));
    const granted = repairs.filter((write) => write.row?.grant_id !== null);
    const ungranted = repairs.filter((write) => write.row?.grant_id === null);
    const statements = [
      insertRows(GRANTS, schema, [...creates, ...ungranted], now),
      repairRows(GRANTS, schema, granted, now),
      repairRows(TOKENS, schema, repairs, now),
      insertRows(TOKENS, schema, creates, now),
    ];
    for (const statement of statements.filter((entry): entry is Statement => entry !== undefined)) await this.db.query(statement.text, statement.values);
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
  if (columns.has('mcp_tool_permissions')) return;
  const listed = keys.filter((key) => Object.keys(key.toolPermissions).length > 0).map((key) => key.alias);
  if (listed.length === 0) return;
  throw new StepFailed(
    `${listed.join(', ')} declare${listed.length === 1 ? 's' : ''} mcp_tools, but this database's LiteLLM schema has no ` +
      `${GRANTS}.mcp_tool_permissions (migration ${KEY_COLUMNS.mcp_tool_permissions.since}): ` +
      'the key would reach every tool of its servers',
    `${SCHEMA_UPGRADE_FIX}; or drop mcp_tools from the key until then`,
  );
}

/** The new value's expiry: the declared lifetime, else the row's lifetime (expires − its last start) from now. */
function nextExpiry(old: KeyRowData, declaredSeconds: number | undefined, now: Date): Date | null {
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
