import { hashKey } from '../keys/token.js';
import { BUILTIN_LITELLM_VERSION } from '../images/builtin.js';
import { judgeLitellmConfig, type FieldStatus } from '../litellm/config-fields.js';
import { compareSchema, describeVerdict } from '../litellm/migrations.js';
import { stableServerId } from '../litellm/server-id.js';
import { advisoriesFor, autoExecutes, ungrantedKeyReach } from '../litellm/version.js';
import { litellmEnvironment, type KeyRow, type Observed } from './inventory.js';

export type FindingLevel = 'blocker' | 'warn' | 'info';

/** Something adopt found, with its fix; a blocker makes adopt exit 1 and --write refuse. */
export interface Finding {
  level: FindingLevel;
  what: string;
  fix: string;
}

/** A config.yaml field judged for the LiteLLM that runs and for mcpgw's target. */
export interface JudgedField {
  path: string;
  running: FieldStatus;
  target: FieldStatus;
  why: string;
  instead?: string;
}

/** A key row as adopt reports it: never its value or hash. */
export interface AdoptedKey {
  /** The alias, else key_name, else a placeholder naming the row's creation time. */
  label: string;
  alias: string | null;
  keyName: string | null;
  expires: string | null;
  expired: boolean;
  blocked: boolean;
  models: string[];
  /** Servers the key is granted, by name (`unknown:<id>` for an id no server has). */
  grants: string[];
  /** Servers config.yaml meant it to have (virtual_keys[].mcp_servers, mcp_servers.X.api_keys). */
  intended: string[];
  /** In LiteLLM_VerificationToken (false: only config.yaml names it). */
  inDatabase: boolean;
  /** Made by hand: a row with no creator recorded (inserted with SQL). */
  handMade: boolean;
  /** The environment variable holding its value, when an env file has it. */
  valueIn?: string;
  /** Whether mcpgw.yaml declares it (--write), and why not when it does not. */
  declared: boolean;
  notDeclared?: string;
  /** A key without any grant: 1.77.x let it see every server, 1.80+ none. */
  noGrant: boolean;
}

/** Where a key is meant to come from: a row, or only config.yaml's intent with its value in an env file. */
export interface KeyPlan extends AdoptedKey {
  row?: KeyRow;
  /** The key's value when an env file holds it (goes to the secrets file only). */
  value?: string;
  /** Servers mcpgw.yaml grants it. */
  servers: string[];
}

export interface AdoptReport {
  ok: boolean;
  compose: {
    file: string;
    project: string;
    externalNetworks: string[];
    services: { name: string; image?: string; container?: string; state: string; networks: string[] }[];
  };
  litellm: {
    service: string;
    container?: string;
    running: boolean;
    image?: string;
    version?: string;
    versionSource?: string;
    advisories: { id: string; summary: string; fixed?: string }[];
    autoExecutesChat?: boolean;
    target: string;
  };
  config: { file?: string; fields: JudgedField[] };
  envFiles: { file: string; names: string[]; error?: string }[];
  database?: {
    where: string;
    database: string;
    otherDatabases: string[];
    migrationLevel: string;
    ledger: { present: boolean; litellmTables: number; applied: number };
  };
  keys: AdoptedKey[];
  mcpServerRows: { serverId: string; name: string | null; url: string | null; transport: string | null }[];
  mcpServers: { name: string; transport?: string; url?: string; reach: string; seen?: string; fix?: string; hostHeader?: string }[];
  secrets: { masterKey: 'set' | 'missing' | 'publicly-known'; saltKey: 'set' | 'missing' };
  findings: Finding[];
}

/** sha256 of LiteLLM's documented default master key, which 1.108.7 refuses (litellm/proxy/auth/master_key_boot_check.py). */
const PUBLICLY_KNOWN_MASTER_KEYS = new Set(['88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b']);

export function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The variable a config value names (`os.environ/NAME` or `${NAME}`), else the literal itself. */
export function reference(value: unknown): { name?: string; literal?: string } {
  if (typeof value !== 'string') return {};
  const environ = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  if (environ) return { name: environ[1] as string };
  const shell = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
  if (shell) return { name: shell[1] as string };
  return { literal: value };
}

/** MCP servers of config.yaml, as entries. */
export function configServers(config: Record<string, unknown> | undefined): [string, Record<string, unknown>][] {
  return Object.entries(record(config?.mcp_servers) ?? {}).flatMap(([name, value]) =>
    record(value) ? [[name, record(value) as Record<string, unknown>]] : [],
  );
}

/** Every variable any env file of the project or LiteLLM's container holds: where key values can be found. */
export function allValues(observed: Observed): Map<string, string> {
  const values = new Map<string, string>();
  for (const file of observed.envFiles) for (const [name, value] of file.values ?? []) values.set(name, value);
  for (const [name, value] of litellmEnvironment(observed)) values.set(name, value);
  return values;
}

/** What a grant (an id or a name, as the running LiteLLM wrote it) points at, by server name. */
function grantNames(observed: Observed): (grant: string) => string {
  const byId = new Map<string, string>();
  for (const [name, entry] of configServers(observed.config)) {
    if (typeof entry.server_id === 'string') byId.set(entry.server_id, name);
    if (typeof entry.transport === 'string') byId.set(stableServerId(name, entry), name);
  }
  for (const row of observed.database?.servers ?? []) if (row.serverName) byId.set(row.serverId, row.serverName);
  const names = new Set([
    ...configServers(observed.config).map(([name]) => name),
    ...(observed.database?.servers ?? []).flatMap((row) => row.serverName ?? []),
  ]);
  return (grant) => byId.get(grant) ?? (names.has(grant) ? grant : `unknown:${grant}`);
}

/** The keys config.yaml names (virtual_keys and mcp_servers.X.api_keys), by value, with what it meant them to have. */
function intents(observed: Observed, values: Map<string, string>): Map<string, { name?: string; servers: Set<string>; models: Set<string> }> {
  const out = new Map<string, { name?: string; servers: Set<string>; models: Set<string> }>();
  const note = (ref: unknown, servers: unknown[], models: unknown[]) => {
    const { name, literal } = reference(ref);
    const value = name ? values.get(name) : literal;
    if (!value) return;
    const entry = out.get(value) ?? { ...(name ? { name } : {}), servers: new Set<string>(), models: new Set<string>() };
    for (const server of servers) if (typeof server === 'string') entry.servers.add(server);
    for (const model of models) if (typeof model === 'string') entry.models.add(model);
    out.set(value, entry);
  };
  for (const item of Array.isArray(observed.config?.virtual_keys) ? observed.config.virtual_keys : []) {
    const entry = record(item) ?? {};
    note(entry.api_key ?? entry.key, Array.isArray(entry.mcp_servers) ? entry.mcp_servers : [], Array.isArray(entry.models) ? entry.models : []);
  }
  for (const [server, entry] of configServers(observed.config)) for (const ref of Array.isArray(entry.api_keys) ? entry.api_keys : []) note(ref, [server], []);
  return out;
}

/** The name of the variable holding each candidate key value (sk-…), master and salt keys excluded. */
function keyValues(values: Map<string, string>): Map<string, string> {
  const byValue = new Map<string, string>();
  for (const [name, value] of values) {
    if (name === 'LITELLM_MASTER_KEY' || name === 'LITELLM_SALT_KEY' || !value.startsWith('sk-')) continue;
    if (!byValue.has(value)) byValue.set(value, name);
  }
  return byValue;
}

/**
 * Every key adopt knows: each row of the database, and each key config.yaml meant to exist whose value an env file
 * holds but the database lacks. Which are declared in mcpgw.yaml and with which servers is decided here, once.
 */
export function planKeys(observed: Observed, now: Date): KeyPlan[] {
  const values = allValues(observed);
  const candidates = keyValues(values);
  const meant = intents(observed, values);
  const byHash = new Map([...candidates].map(([value, name]) => [hashKey(value), { value, name }]));
  const meantByHash = new Map([...meant].map(([value, intent]) => [hashKey(value), { value, intent }]));
  const nameOf = grantNames(observed);
  const adoptedServers = configServers(observed.config).map(([name]) => name);
  const widens =
    observed.version !== undefined && ungrantedKeyReach(observed.version.version) === 'all' && ungrantedKeyReach(BUILTIN_LITELLM_VERSION) === 'none';
  const plans: KeyPlan[] = (observed.database?.keys ?? []).map((row) => {
    const known =
      byHash.get(row.token) ??
      (meantByHash.has(row.token) ? { value: meantByHash.get(row.token)?.value as string, name: meantByHash.get(row.token)?.intent.name } : undefined);
    const intent = meantByHash.get(row.token)?.intent;
    const grants = (row.mcpServers ?? []).map(nameOf);
    const intended = [...(intent?.servers ?? [])];
    const expired = row.expires !== null && row.expires.getTime() <= now.getTime();
    const blocked = row.blocked === true;
    const noGrant = grants.length === 0 && row.mcpGroups.length === 0;
    const chosen = [...new Set([...grants, ...intended])].filter((name) => adoptedServers.includes(name));
    // Only where the running LiteLLM lets a grantless key see every server: on 1.80+ it already sees none.
    const servers = chosen.length > 0 ? chosen : noGrant && widens ? adoptedServers : [];
    // LiteLLM hashes every sk- key it is sent: a row holding anything but a SHA-256 admits nobody.
    const notDeclared = expired
      ? 'expired'
      : blocked
        ? 'blocked'
        : /^[0-9a-f]{64}$/.test(row.token)
          ? undefined
          : 'not a SHA-256 in its token column (admits no key)';
    return {
      label: row.keyAlias ?? row.keyName ?? `key made ${row.createdAt?.toISOString() ?? 'at an unknown time'}`,
      alias: row.keyAlias,
      keyName: row.keyName,
      expires: row.expires?.toISOString() ?? null,
      expired,
      blocked,
      models: row.models,
      grants,
      intended,
      inDatabase: true,
      handMade: row.createdBy === null,
      ...(known?.name ? { valueIn: known.name } : {}),
      declared: notDeclared === undefined,
      ...(notDeclared ? { notDeclared } : {}),
      noGrant,
      row,
      ...(known ? { value: known.value } : {}),
      servers,
    };
  });
  const inDatabase = new Set((observed.database?.keys ?? []).map((row) => row.token));
  for (const [hash, { value, intent }] of meantByHash) {
    if (inDatabase.has(hash) || !intent.name) continue;
    const servers = [...intent.servers].filter((name) => adoptedServers.includes(name));
    plans.push({
      label: intent.name,
      alias: null,
      keyName: null,
      expires: null,
      expired: false,
      blocked: false,
      models: [...intent.models],
      grants: [],
      intended: [...intent.servers],
      inDatabase: false,
      handMade: false,
      valueIn: intent.name,
      declared: observed.database !== undefined,
      ...(observed.database === undefined ? { notDeclared: 'the database could not be read' } : {}),
      noGrant: false,
      value,
      servers,
    });
  }
  return plans;
}

/** The migration level in words: the ledger against what the running image ships, else the ledger alone. */
function migrationLevel(db: NonNullable<Observed['database']>, image: string): string {
  if (db.verdict) return describeVerdict(db.verdict, image);
  const { ledger } = db;
  if (!ledger.present) return describeVerdict(compareSchema(ledger, { names: [] }), image);
  const applied = ledger.rows.filter((row) => row.finished && !row.rolledBack);
  return `${applied.length} migrations applied${applied.length ? `, the last ${applied.at(-1)?.name}` : ''} (the running image's own could not be read)`;
}

/** The whole judgement: inventory, fields, keys, servers, secrets and what blocks adoption. */
export function analyse(observed: Observed, now: Date, options: { write?: boolean } = {}): { report: AdoptReport; keys: KeyPlan[] } {
  const findings: Finding[] = [];
  const env = litellmEnvironment(observed);
  const version = observed.version?.version;
  const keys = planKeys(observed, now);

  const master = env.get('LITELLM_MASTER_KEY');
  const masterKey = !master ? 'missing' : PUBLICLY_KNOWN_MASTER_KEYS.has(hashKey(master.trim())) ? 'publicly-known' : 'set';
  const saltKey = env.get('LITELLM_SALT_KEY') ? 'set' : 'missing';
  if (masterKey === 'missing')
    findings.push({
      level: 'blocker',
      what: "LiteLLM's environment has no LITELLM_MASTER_KEY: there is no master key to keep",
      fix: 'set LITELLM_MASTER_KEY in its env file (and restart it) before adopting',
    });
  if (masterKey === 'publicly-known')
    findings.push({
      level: 'warn',
      what: `the master key is LiteLLM's publicly known default: ${BUILTIN_LITELLM_VERSION} refuses to start with it (litellm/proxy/auth/master_key_boot_check.py)`,
      fix: 'rotate it before `mcpgw upgrade` (docs/key-rotation.md), keeping LITELLM_SALT_KEY as adopt writes it',
    });
  if (saltKey === 'missing' && master)
    findings.push({
      level: 'info',
      what: 'no LITELLM_SALT_KEY: LiteLLM encrypted the credentials it stores in the database with the master key',
      fix: 'adopt --write sets LITELLM_SALT_KEY to the current master key, so those values stay readable and the master key can later be rotated alone',
    });

  if (!observed.litellmContainer)
    findings.push({
      level: 'warn',
      what: `no container of the service ${observed.litellm.name} exists: the deployment is not running`,
      fix: 'start it (docker compose up -d) so adopt can read its version and environment, or adopt it as the files describe it',
    });
  if (!observed.config)
    findings.push({
      level: 'blocker',
      what: `LiteLLM's config.yaml could not be read: ${observed.configError ?? 'no config file mounted'}`,
      fix: 'mount the config file with a bind (./config/config.yaml:/app/config.yaml) and pass --config',
    });
  for (const file of observed.envFiles)
    if (file.error)
      findings.push({
        level: 'blocker',
        what: `${file.file}: ${file.error}`,
        fix: 'fix the env file (NAME=value lines) so compose and adopt read the same values',
      });

  const running = version ?? 'unknown';
  const fields = observed.config
    ? (() => {
        const target = judgeLitellmConfig(observed.config, BUILTIN_LITELLM_VERSION);
        return judgeLitellmConfig(observed.config, running).map((field, index): JudgedField => {
          const next = target[index];
          return {
            path: field.path,
            running: version ? field.status : 'unknown',
            target: next?.status ?? 'unknown',
            why: field.why,
            ...((field.instead ?? next?.instead) ? { instead: field.instead ?? next?.instead } : {}),
          };
        });
      })()
    : [];
  if (!version)
    findings.push({
      // mcpgw.yaml records the version adopted (upgrade's starting point): --write cannot guess it.
      level: options.write ? 'blocker' : 'warn',
      what: "LiteLLM's version could not be read (no running container to ask, and its image tag names none)",
      fix: 'start the deployment and run adopt again; adopt --write needs the version for adopted.litellm_version',
    });
  const advisories = version
    ? advisoriesFor(version).map((advisory) => ({ id: advisory.id, summary: advisory.summary, ...(advisory.fixed ? { fixed: advisory.fixed } : {}) }))
    : [];
  for (const advisory of advisories)
    findings.push({
      level: 'warn',
      what: `LiteLLM ${version}: ${advisory.id}: ${advisory.summary}`,
      fix: `\`mcpgw upgrade\` (fixed in ${advisory.fixed ?? 'a later release'})`,
    });
  const autoExecutesChat = version ? autoExecutes(version, 'chat') : undefined;
  if (autoExecutesChat === false)
    findings.push({
      level: 'warn',
      what: `LiteLLM ${version} does not execute MCP tools on /v1/chat/completions (from 1.80.10): a chat completion stops at finish_reason tool_calls`,
      fix: '`mcpgw upgrade` to the builtin release, then send the MCP tool with require_approval: never',
    });

  if (observed.databaseError)
    findings.push({
      level: 'blocker',
      what: `LiteLLM's database could not be read: ${observed.databaseError}`,
      fix: 'make DATABASE_URL reach it from this machine, then run adopt again',
    });
  const db = observed.database;
  if (db && (db.verdict?.state === 'failed' || db.verdict?.state === 'ahead'))
    findings.push({
      level: 'warn',
      what: `the migration ledger does not match the running image: ${describeVerdict(db.verdict, 'the running image')}`,
      fix: '`mcpgw upgrade` checks the ledger against its target before anything changes',
    });
  if (db && !db.ledger.present && db.ledger.litellmTables > 0)
    findings.push({
      level: 'warn',
      what: 'the database has LiteLLM tables but no migration ledger: which columns exist is not recorded',
      fix: '`mcpgw upgrade` refuses to migrate it until the schema is verified (it never records migrations it did not run)',
    });

  for (const key of keys.filter((plan) => plan.noGrant && plan.declared && plan.row))
    findings.push(
      key.servers.length > 0
        ? {
            level: 'info',
            what: `${key.label} has no MCP grant: LiteLLM ${version} lets it see every server, 1.80 and later none`,
            fix: `adopt --write grants it every adopted server (${key.servers.join(', ')}) so an upgrade keeps its access`,
          }
        : {
            level: 'info',
            what: `${key.label} has no MCP grant: LiteLLM ${version ?? '(version unknown)'} gives it no MCP server`,
            fix: 'adopt --write declares it without servers, as it runs; grant it servers in mcpgw.yaml if it needs them',
          },
    );
  for (const key of keys.filter((plan) => !plan.declared))
    findings.push({
      level: 'info',
      what: `${key.label} is ${key.notDeclared}: not declared in mcpgw.yaml`,
      fix: 'it stays in the database as it is; mcpgw never deletes a key it does not declare',
    });
  for (const key of keys.filter((plan) => plan.declared && !plan.row))
    findings.push({
      level: 'info',
      what: `${key.label} is meant by config.yaml but missing from the database`,
      fix: 'adopt --write declares it with its value; `mcpgw keys sync` creates it with its grants',
    });

  const mcpServers = configServers(observed.config).map(([name, entry]) => {
    const reach = observed.reach.get(name);
    const url = typeof entry.url === 'string' ? entry.url : undefined;
    const hostHeader = reach?.status === 421 && url ? `localhost:${new URL(url).port || '80'}` : undefined;
    if (reach && !reach.ok && reach.cause)
      findings.push({
        level: hostHeader ? 'info' : 'warn',
        what: `${name}: ${reach.cause.cause}`,
        fix: hostHeader ? `adopt --write sets host_header: ${hostHeader}` : reach.cause.fix,
      });
    return {
      name,
      ...(typeof entry.transport === 'string' ? { transport: entry.transport } : {}),
      ...(url ? { url } : {}),
      reach: reach ? (reach.ok ? 'ok' : 'fails') : typeof entry.command === 'string' ? 'stdio (spawned by LiteLLM)' : 'not asked',
      ...(reach?.seen ? { seen: reach.seen } : {}),
      ...(reach?.cause ? { fix: reach.cause.fix } : {}),
      ...(hostHeader ? { hostHeader } : {}),
    };
  });

  return {
    keys,
    report: {
      ok: !findings.some((finding) => finding.level === 'blocker'),
      compose: {
        file: observed.compose.file,
        project: observed.compose.project,
        externalNetworks: observed.compose.externalNetworks,
        services: observed.compose.services.map((service) => {
          const container = observed.containers.find((seen) => seen.service === service.name);
          return {
            name: service.name,
            ...(service.image ? { image: service.image } : {}),
            ...(container ? { container: container.name } : {}),
            state: container ? container.status : 'no container',
            networks: container?.networks ?? service.networks,
          };
        }),
      },
      litellm: {
        service: observed.litellm.name,
        ...(observed.litellmContainer ? { container: observed.litellmContainer.name, image: observed.litellmContainer.image } : {}),
        running: observed.litellmContainer?.running ?? false,
        ...(version ? { version } : {}),
        ...(observed.version ? { versionSource: observed.version.source } : {}),
        advisories,
        ...(autoExecutesChat !== undefined ? { autoExecutesChat } : {}),
        target: BUILTIN_LITELLM_VERSION,
      },
      config: { ...(observed.configFile ? { file: observed.configFile } : {}), fields },
      envFiles: observed.envFiles.map((file) => ({
        file: file.file,
        names: [...(file.values?.keys() ?? [])].sort(),
        ...(file.error ? { error: file.error } : {}),
      })),
      ...(db
        ? {
            database: {
              where: db.where,
              database: db.database,
              otherDatabases: db.otherDatabases,
              migrationLevel: migrationLevel(db, observed.litellmContainer?.image ?? 'the running image'),
              ledger: {
                present: db.ledger.present,
                litellmTables: db.ledger.litellmTables,
                applied: db.ledger.rows.filter((row) => row.finished && !row.rolledBack).length,
              },
            },
          }
        : {}),
      keys: keys.map(({ row: _row, value: _value, servers: _servers, ...key }) => key),
      mcpServerRows: (db?.servers ?? []).map((row) => ({ serverId: row.serverId, name: row.serverName, url: row.url, transport: row.transport })),
      mcpServers,
      secrets: { masterKey, saltKey },
      findings,
    },
  };
}
