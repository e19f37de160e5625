import { Document, isMap, isScalar, type Node } from 'yaml';
import { keySecretName } from '../config/key-secrets.js';
import { keyAlias as aliasSchema } from '../config/schema.js';
import { RESERVED_POSTGRES_ROLES } from '../config/postgres-roles.js';
import { serverFieldStatus } from '../litellm/config-fields.js';
import { allValues, configServers, record, reference, type AdoptReport, type KeyPlan } from './analyse.js';
import { litellmEnvironment, type Observed } from './inventory.js';

/** What `adopt --write` writes: mcpgw.yaml's text and the secrets file's entries (values never leave these). */
export interface AdoptedFiles {
  mcpgwYaml: string;
  secrets: [string, string][];
  /** What the mapping could not carry over, each said once in the report. */
  notes: string[];
}

export interface WriteInputs {
  /** The name clients reach the gateway by (host:). */
  host: string;
  /** Backups of the hand-written files, by original path → backup path and sha256. */
  backups: { file: string; backup: string; sha256: string }[];
  /** The network the database host is on, as seen from LiteLLM's container. */
  databaseNetwork?: string;
  /** The image of the shared Postgres' container, when Docker showed it. */
  databaseImage?: string;
}

const SERVER_NAME = /^[a-z][a-z0-9_]*$/;
const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** mcpgw's stack name from the compose project: lowercase letters, digits and -, starting with a letter, at most 32. */
export function stackName(project: string): string {
  const name = project
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return name || 'litellm';
}

/** A key alias within mcpgw's rule, from LiteLLM's alias (or the variable holding the key, or its key_name), unique in `taken`. */
function aliasFor(plan: KeyPlan, index: number, taken: Set<string>): string {
  const source = plan.alias ?? plan.valueIn?.replace(/^LITELLM_VIRTUAL_KEY_/, '') ?? '';
  const base = source
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 56);
  // A row with neither alias nor value: named after the last characters key_name shows (sk-...f6e6), as people know it.
  const shown = /^sk-\.\.\.([A-Za-z0-9]{4})$/.exec(plan.keyName ?? '')?.[1]?.toLowerCase();
  let alias = aliasSchema.safeParse(base).success ? base : `adopted-${shown ?? index + 1}`;
  for (let n = 2; taken.has(alias); n += 1) alias = `${base || 'adopted'}-${n}`;
  taken.add(alias);
  return alias;
}

function comment(doc: Document, path: (string | number)[], text: string): void {
  const parentPath = path.slice(0, -1);
  const last = path.at(-1);
  const parent = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
  if (typeof last === 'string' && isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = text;
    return;
  }
  const node = doc.getIn(path, true) as Node | undefined;
  if (node) node.commentBefore = text;
}

/**
 * The mcpgw.yaml that describes the adopted deployment as it runs, and its secrets: the master key kept, the salt
 * key set to it when none was (LiteLLM encrypted stored credentials with the master key), the shared Postgres as
 * external (mcpgw never drops a database it does not own), url servers with the Host header they need, models,
 * and the keys with the grants config.yaml meant them to have.
 */
export function adoptedFiles(observed: Observed, keys: KeyPlan[], report: AdoptReport, inputs: WriteInputs): AdoptedFiles {
  const env = litellmEnvironment(observed);
  const values = allValues(observed);
  const secrets = new Map<string, string>();
  const notes: string[] = [];
  const put = (name: string, value: string | undefined, what: string) => {
    if (value === undefined) notes.push(`${what}: ${name} has no value in LiteLLM's environment or env files; add ${name}=… to the secrets file`);
    else secrets.set(name, value);
  };
  const master = env.get('LITELLM_MASTER_KEY');
  put('LITELLM_MASTER_KEY', master, 'the master key');
  put('LITELLM_SALT_KEY', env.get('LITELLM_SALT_KEY') ?? master, 'the salt key');
  put('DATABASE_URL', env.get('DATABASE_URL'), "LiteLLM's database");

  const models = (Array.isArray(observed.config?.model_list) ? observed.config.model_list : []).flatMap((item, index) => {
    const entry = record(item);
    const params = record(entry?.litellm_params);
    if (typeof entry?.model_name !== 'string' || typeof params?.model !== 'string') {
      notes.push(`model_list[${index}] has no model_name or litellm_params.model: not adopted`);
      return [];
    }
    const apiKey = reference(params.api_key);
    let secret: string | undefined;
    if (apiKey.name) {
      secret = SECRET_NAME.test(apiKey.name) ? apiKey.name : `MODEL_${index + 1}_API_KEY`;
      put(secret, values.get(apiKey.name), `model ${entry.model_name}`);
    } else if (apiKey.literal) {
      secret = `MODEL_${index + 1}_API_KEY`;
      put(secret, apiKey.literal, `model ${entry.model_name}`);
      notes.push(`model ${entry.model_name}: its api_key was written in config.yaml itself; it is now the secret ${secret}`);
    }
    const dropped = Object.keys(params).filter((field) => !['model', 'api_key', 'api_base'].includes(field));
    if (dropped.length) notes.push(`model ${entry.model_name}: litellm_params ${dropped.join(', ')} have no place in mcpgw.yaml and are not carried over`);
    const apiBase = typeof params.api_base === 'string' && /^https?:\/\//.test(params.api_base) ? params.api_base : undefined;
    // Without a provider prefix LiteLLM looks the model up in its own model map, which drops retired models
    // (1.108.7 no longer knows claude-3-haiku-20240307): the provider the running version resolved is written out.
    const provider = params.model.includes('/') ? undefined : observed.modelProviders?.get(entry.model_name);
    if (provider) notes.push(`model ${entry.model_name}: ${params.model} written as ${provider}/${params.model}, the provider the running LiteLLM resolved`);
    else if (!params.model.includes('/'))
      notes.push(`model ${entry.model_name}: ${params.model} names no provider and the running LiteLLM did not say which it used; write it as provider/model`);
    const model = provider ? `${provider}/${params.model}` : params.model;
    return [{ name: entry.model_name, model, ...(secret ? { api_key: secret } : {}), ...(apiBase ? { api_base: apiBase } : {}) }];
  });
  const modelNames = new Set(models.map((model) => model.name));

  const servers: Record<string, Record<string, unknown>> = {};
  for (const [name, entry] of configServers(observed.config)) {
    if (!SERVER_NAME.test(name)) {
      notes.push(`MCP server ${name}: mcpgw names servers with a–z, 0–9 and _; not adopted (rename it in config.yaml, or add it with \`mcpgw mcp add\`)`);
      continue;
    }
    const reached = report.mcpServers.find((server) => server.name === name);
    const description = typeof entry.description === 'string' ? { description: entry.description } : {};
    const tools =
      Array.isArray(entry.allowed_tools) && entry.allowed_tools.every((tool) => typeof tool === 'string') ? { allowed_tools: entry.allowed_tools } : {};
    if (typeof entry.url === 'string' && !/\$\{|os\.environ\//.test(entry.url)) {
      const speaks = observed.reach.get(name)?.speaks;
      const transport = entry.transport === 'sse' || entry.transport === 'http' ? entry.transport : (speaks?.transport ?? 'http');
      servers[name] = { transport, url: entry.url, ...(reached?.hostHeader ? { host_header: reached.hostHeader } : {}), ...description, ...tools };
    } else if (typeof entry.command === 'string') {
      const serverEnv: Record<string, string> = {};
      for (const [variable, value] of Object.entries(record(entry.env) ?? {})) {
        const ref = reference(value);
        const secret = ref.name && SECRET_NAME.test(ref.name) ? ref.name : `MCP_${name.toUpperCase()}_${variable.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
        put(secret, ref.name ? values.get(ref.name) : ref.literal, `MCP server ${name}`);
        serverEnv[variable] = secret;
      }
      servers[name] = {
        transport: 'stdio',
        inside_litellm: true,
        command: entry.command,
        ...(Array.isArray(entry.args) ? { args: entry.args.map(String) } : {}),
        ...(Object.keys(serverEnv).length ? { env: serverEnv } : {}),
        ...description,
        ...tools,
      };
    } else notes.push(`MCP server ${name}: neither a plain url nor a command; not adopted`);
  }
  const serverNames = Object.keys(servers);

  const taken = new Set<string>();
  const secretsTaken = new Set(secrets.keys());
  const declared = keys.filter((plan) => plan.declared);
  const keyEntries = declared.map((plan, index) => {
    const alias = aliasFor(plan, index, taken);
    const grant = plan.servers.filter((server) => serverNames.includes(server));
    const models = plan.models.filter((model) => modelNames.has(model));
    if (models.length < plan.models.length)
      notes.push(`key ${alias}: models ${plan.models.filter((m) => !modelNames.has(m)).join(', ')} are not in model_list; left out`);
    let identity: Record<string, string>;
    if (plan.value !== undefined) {
      let secret = plan.valueIn && SECRET_NAME.test(plan.valueIn) && !secretsTaken.has(plan.valueIn) ? plan.valueIn : keySecretName(alias);
      if (secretsTaken.has(secret)) secret = keySecretName(alias);
      secretsTaken.add(secret);
      secrets.set(secret, plan.value);
      identity = { secret };
    } else identity = { token_sha256: plan.row?.token ?? '' };
    return { plan, alias, entry: { alias, ...identity, ...(models.length ? { models } : {}), ...(grant.length ? { mcp_servers: grant } : {}) } };
  });

  const port = observed.litellmContainer?.publishedPort ?? observed.litellm.ports.find((entry) => entry.target === 4000)?.published ?? 4000;
  const networks = [...new Set(observed.litellmContainer?.networks ?? observed.litellm.networks)].filter((network) => network !== inputs.databaseNetwork);
  const url = (() => {
    try {
      return new URL(env.get('DATABASE_URL') ?? '');
    } catch {
      return undefined;
    }
  })();
  const database = url?.pathname.replace(/^\//, '');
  const user = url ? decodeURIComponent(url.username) : '';

  const doc = new Document({
    version: 1,
    name: stackName(observed.compose.project),
    host: inputs.host,
    secrets: './secrets/litellm.env',
    adopted: {
      compose_file: observed.compose.file,
      project: observed.compose.project,
      litellm_container: observed.litellmContainer?.name ?? observed.litellm.containerName ?? `${observed.compose.project}-${observed.litellm.name}-1`,
      litellm_version: report.litellm.version ?? '0.0.0',
    },
    litellm: {
      build: 'builtin',
      port,
      master_key: 'LITELLM_MASTER_KEY',
      salt_key: 'LITELLM_SALT_KEY',
      ...(models.length ? { models } : {}),
      ...(networks.length ? { networks } : {}),
    },
    postgres: {
      mode: 'external',
      ...(inputs.databaseImage ? { image: inputs.databaseImage } : {}),
      url: 'DATABASE_URL',
      network: inputs.databaseNetwork ?? 'postgres-net',
      network_external: true,
      ...(database && /^[a-z_][a-z0-9_]*$/.test(database) ? { database } : {}),
      ...(/^[a-z_][a-z0-9_]*$/.test(user) && !RESERVED_POSTGRES_ROLES.includes(user) ? { user } : {}),
    },
    ...(serverNames.length ? { mcp_servers: servers } : {}),
    ...(keyEntries.length ? { keys: keyEntries.map((key) => key.entry) } : {}),
  });
  const backups = inputs.backups.map((backup) => ` ${backup.file} → ${backup.backup} (sha256 ${backup.sha256})`);
  doc.commentBefore = [
    ` Written by \`mcpgw adopt --write\`: the deployment of ${observed.compose.file} (compose project ${observed.compose.project}) as it runs.`,
    " Nothing that runs was changed. `mcpgw upgrade` replaces the adopted LiteLLM container by mcpgw's own (kept, stopped and renamed,",
    ' until the new one is proven); until then that container keeps serving.',
    ' The hand-written files mcpgw replaces when it renders are kept as they were:',
    ...backups,
  ].join('\n');
  comment(doc, ['adopted'], ' The deployment adopted: upgrade stops and renames litellm_container, never removes it.');
  comment(
    doc,
    ['litellm'],
    [
      ` LiteLLM mcpgw runs after \`mcpgw upgrade\`: its builtin ${report.litellm.target} (the adopted container runs ${report.litellm.version ?? 'an unknown version'}).`,
      ' master_key: the existing master key, kept (clients and scripts that use it go on working).',
      report.secrets.saltKey === 'missing'
        ? ' salt_key: none was set, so LiteLLM encrypted the credentials it stores with the master key; LITELLM_SALT_KEY is that master key, so they stay readable.'
        : ' salt_key: the existing LITELLM_SALT_KEY, kept.',
      networks.length ? ` networks: the networks the adopted LiteLLM is on, where its MCP servers are reached (${networks.join(', ')}).` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  comment(
    doc,
    ['postgres'],
    [
      ' The shared Postgres the deployment already uses, as external: mcpgw runs no Postgres of its own, never creates or removes the',
      ` network, and a restore replaces only LiteLLM's tables there${report.database?.otherDatabases.length ? ` (the server also holds ${report.database.otherDatabases.join(', ')})` : ''}.`,
      " url: the DATABASE_URL LiteLLM's container uses.",
      ...(inputs.databaseImage
        ? [` image: the shared Postgres' own (${inputs.databaseImage}), whose pg_dump and psql match its server (backup, restore, upgrade).`]
        : []),
    ].join('\n'),
  );
  if (serverNames.length)
    comment(
      doc,
      ['mcp_servers'],
      " The MCP servers config.yaml gave LiteLLM, each with an explicit transport; host_header where the server refused LiteLLM's Host.",
    );
  if (keyEntries.length) {
    comment(
      doc,
      ['keys'],
      [
        ' The keys in the database, each with the servers config.yaml meant it to have (virtual_keys, mcp_servers.X.api_keys) and its grants.',
        " secret: the key's value is in an env file (now in the secrets file); token_sha256: a key known only by its hash, kept as it is.",
        ...(report.litellm.version && serverFieldStatus('server_id', report.litellm.version) !== 'honoured'
          ? [
              ` mcpgw grants by the server_id it pins, which LiteLLM ${report.litellm.version} ignores (it derives its own ids): let \`mcpgw upgrade\``,
              ' write these grants with the new LiteLLM; `mcpgw keys sync` against the adopted one would leave these keys without any server.',
            ]
          : []),
        ...(keys.some((plan) => !plan.declared)
          ? [
              ` Not declared (left in the database, never deleted): ${keys
                .filter((plan) => !plan.declared)
                .map((plan) => `${plan.label} (${plan.notDeclared})`)
                .join(', ')}.`,
            ]
          : []),
      ].join('\n'),
    );
    keyEntries.forEach((key, index) => {
      const why = [
        key.plan.row
          ? key.plan.handMade
            ? 'a row inserted by hand'
            : `made by ${key.plan.row.createdBy}`
          : 'meant by config.yaml, missing from the database: `mcpgw keys sync` creates it',
        key.plan.noGrant && key.plan.row ? 'had no MCP grant (every server before 1.80): granted every adopted server so an upgrade keeps its access' : '',
        key.plan.alias && key.plan.alias !== key.alias ? `LiteLLM's alias "${key.plan.alias}"` : '',
      ].filter(Boolean);
      comment(doc, ['keys', index], ` ${why.join('; ')}`);
    });
  }
  return { mcpgwYaml: doc.toString({ lineWidth: 0 }), secrets: [...secrets], notes };
}
