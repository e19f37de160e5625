import { isIP } from 'node:net';
import type { ConfigIssue } from '../errors.js';
import { mcpServiceName } from './names.js';
import { hostProblem } from './host.js';
import { isLanHost, isPrivateAddress } from './lan.js';
import { isSecretEnvironment, secretArguments } from './literal-secrets.js';
import { BUILTIN_LITELLM_IMAGE, BUILTIN_POSTGRES_IMAGE, PACKAGE_DATA_DIR, packageImage, type PackageSource } from '../images/builtin.js';
import { formatPath, type PathSegment } from './path.js';
import { checkSwarm } from './swarm-rules.js';
import { CANARY_MODEL_NAME, CANARY_PROBE_MODEL, DEFAULT_MCP_PORT_RANGE, type McpgwConfig } from './schema.js';
import type { Secrets } from './secrets.js';

/**
 * Rules that span fields or scan the whole document. They read the raw parsed YAML defensively (not the typed
 * config) so they still report alongside schema errors: the user sees every problem in one run.
 */
export function checkRules(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const doc = record(raw);
  findShellVariables(raw, [], issues);
  if (!doc) return issues;

  const lanOnly = doc.lan_only !== false;
  const servers = record(doc.mcp_servers) ?? {};
  const litellm = record(doc.litellm) ?? {};
  const postgres = record(doc.postgres) ?? {};
  const keys = Array.isArray(doc.keys) ? doc.keys : [];
  const range = checkRange(doc.mcp_port_range, issues);
  const stack = typeof doc.name === 'string' ? doc.name : 'litellm';

  checkPorts(litellm, postgres, servers, range, issues);
  for (const [name, value] of Object.entries(servers)) {
    checkServerName(stack, name, issues);
    checkServer(name, record(value) ?? {}, lanOnly, issues);
    checkServerBuild(name, record(value) ?? {}, issues);
    checkServerVolumes(name, record(value) ?? {}, issues);
  }
  checkBuiltin('litellm', litellm, BUILTIN_LITELLM_IMAGE, issues);
  checkBuiltin('postgres', postgres, BUILTIN_POSTGRES_IMAGE, issues);
  if (postgres.build !== undefined && postgres.mode === 'external') {
    issues.push({ path: 'postgres.build', message: 'applies to the bundled Postgres only (mode is external)', fix: 'remove build, or set mode: bundled' });
  }
  checkKeys(keys, servers, litellm, issues);
  checkProbeModel(doc.probe_model, litellm, issues);
  checkHost(doc.host, lanOnly, issues);
  if (lanOnly) checkLanRules(doc, litellm, issues);
  checkObservability(record(doc.observability), lanOnly, issues);
  checkSwarm(doc, litellm, issues);
  return issues;
}

/** mcp_port_range as [low, high]; an inverted or impossible range is reported (and the default used meanwhile). */
function checkRange(value: unknown, issues: ConfigIssue[]): [number, number] | undefined {
  if (typeof value !== 'string') return parseRange(DEFAULT_MCP_PORT_RANGE);
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (!match) return undefined; // the schema reports the form
  const [low, high] = [Number(match[1]), Number(match[2])];
  if (low > high) {
    issues.push({ path: 'mcp_port_range', message: `${value} is inverted: the lower port comes first`, fix: `write ${high}-${low}` });
    return undefined;
  }
  if (low < 1 || high > 65535) {
    issues.push({ path: 'mcp_port_range', message: `${value} is outside 1–65535`, fix: 'use a range such as 48000-48999' });
    return undefined;
  }
  return [low, high];
}

/** The server's container name is also its DNS name on the stack network: one DNS label, at most 63 characters. */
function checkServerName(stack: string, name: string, issues: ConfigIssue[]): void {
  const container = `${stack}-${mcpServiceName(name)}`;
  if (container.length > MAX_DNS_LABEL) {
    issues.push({
      path: `mcp_servers.${name}`,
      message:
        `the name is too long: its container ${container.slice(0, 20)}… would have ` +
        `${container.length} characters, and a DNS name has at most ${MAX_DNS_LABEL}`,
      fix: `shorten the server name to at most ${Math.max(1, MAX_DNS_LABEL - container.length + name.length)} characters`,
    });
  }
}

function checkPorts(
  litellm: Record<string, unknown>,
  postgres: Record<string, unknown>,
  servers: Record<string, unknown>,
  range: [number, number] | undefined,
  issues: ConfigIssue[],
): void {
  const owners = new Map<number, string>();
  const claim = (port: unknown, path: string) => {
    if (typeof port !== 'number') return;
    const owner = owners.get(port);
    if (owner) issues.push({ path, message: `port ${port} is already used by ${owner}`, fix: 'give each port its own number' });
    else owners.set(port, path);
  };
  claim(litellm.port ?? 4000, 'litellm.port');
  claim(postgres.host_port, 'postgres.host_port');
  for (const [name, value] of Object.entries(servers)) {
    const server = record(value) ?? {};
    const path = `mcp_servers.${name}.port`;
    if (range && typeof server.port === 'number' && (server.port < range[0] || server.port > range[1])) {
      issues.push({
        path,
        message: `${server.port} is outside ${range[0]}–${range[1]}`,
        fix: `pick a free port in ${range[0]}–${range[1]} (or change mcp_port_range)`,
      });
    }
    claim(server.port, path);
  }
}

function checkServer(name: string, server: Record<string, unknown>, lanOnly: boolean, issues: ConfigIssue[]): void {
  const at = (field: string) => `mcp_servers.${name}.${field}`;
  checkLiteralSecrets(name, server, issues);
  const transport = server.transport;
  // With build, the image is the one mcpgw builds (the schema fills it in).
  const hasImage = typeof server.image === 'string' || server.build !== undefined;
  const hasUrl = typeof server.url === 'string';
  if (transport === 'stdio') {
    const inside = server.inside_litellm === true;
    // A bridged server has its own container and port; mcpgw's bridge fixes the path (/mcp).
    const foreign = inside
      ? (['image', 'build', 'bridge', 'port', 'container_port', 'publish', 'path', 'url', 'host_header'] as const)
      : (['path', 'url'] as const);
    for (const field of foreign) {
      if (server[field] !== undefined) {
        issues.push(
          inside
            ? {
                path: at(field),
                message: 'does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)',
                fix: `remove ${field}, or remove inside_litellm to run the server in its own container`,
              }
            : { path: at(field), message: 'does not apply to a bridged stdio server (its bridge serves /mcp)', fix: `remove ${field}` },
        );
      }
    }
    if (!inside && !hasImage)
      issues.push({
        path: `mcp_servers.${name}`,
        message: "a stdio server runs in a container of its own, behind mcpgw's bridge, and this one names no image",
        fix:
          'add build: { npm: "PACKAGE@X.Y.Z" } or { pypi: "PACKAGE==X.Y.Z" } (mcpgw builds the image with the server and its bridge from ' +
          'the package registry; `mcp add --npm/--pypi` writes it) and port: 48xxx, or image: IMAGE if you have one with node and the command; ' +
          "or, only if it must, inside_litellm: true to have LiteLLM spawn it in its own container, where it can read LiteLLM's master key, " +
          'salt key and DATABASE_URL',
      });
    if (!inside && hasImage && server.port === undefined)
      issues.push({ path: at('port'), message: 'is required for a bridged stdio server', fix: 'pick a free port in the MCP range, e.g. 48010' });
    if (server.command === undefined) issues.push({ path: at('command'), message: 'is required for a stdio server', fix: 'set the command to run, e.g. npx' });
    const args = Array.isArray(server.args) ? server.args : [];
    args.forEach((arg, index) => {
      if (typeof arg === 'string' && arg.includes('os.environ/')) {
        issues.push({
          path: `${at('args')}[${index}]`,
          message: 'LiteLLM does not resolve os.environ/ inside args (only whole values in mappings)',
          fix: 'pass the secret through env: { VAR: SECRET_NAME } and let the server read VAR',
        });
      }
    });
    return;
  }
  if (transport !== 'sse' && transport !== 'http') return;
  for (const field of ['bridge', 'inside_litellm'] as const) {
    if (server[field] !== undefined)
      issues.push({ path: at(field), message: `applies only to stdio servers (this one is ${transport})`, fix: `remove ${field}` });
  }
  if (hasImage && hasUrl) {
    issues.push({
      path: at('url'),
      message: 'cannot be combined with image',
      fix: 'use image (mcpgw runs the container) or url (an existing server), not both',
    });
  } else if (!hasImage && !hasUrl) {
    issues.push({
      path: `mcp_servers.${name}`,
      message: `needs image (a container mcpgw runs) or url (an existing ${transport} server)`,
      fix: 'add image: IMAGE and port: 48xxx, or url: http://host:port/path',
    });
  }
  // With both image and url the conflict above is the finding; a missing port would only be noise.
  if (hasImage && !hasUrl && server.port === undefined) {
    issues.push({ path: at('port'), message: 'is required when mcpgw runs the container', fix: 'pick a free port in the MCP range, e.g. 48010' });
  }
  if (hasUrl) {
    for (const field of ['port', 'container_port', 'path', 'command'] as const) {
      if (server[field] !== undefined) issues.push({ path: at(field), message: 'does not apply with url', fix: 'put the port and path in the url itself' });
    }
    if (server.publish !== undefined)
      issues.push({ path: at('publish'), message: 'does not apply with url (mcpgw runs no container for it)', fix: 'remove publish' });
    const url = String(server.url);
    if (url.includes('${')) return; // already reported as an unresolved variable
    if (!checkServerUrl(url, lanOnly, at('url'), issues)) return;
    checkUrlPath(url, transport, at('url'), issues);
  }
  if (hasImage && typeof server.path === 'string') checkUrlPath(`http://x${server.path}`, transport, at('path'), issues);
}

/** `build: builtin` runs the image mcpgw builds, so an image named beside it must be that one. */
function checkBuiltin(service: 'litellm' | 'postgres', raw: Record<string, unknown>, image: string, issues: ConfigIssue[]): void {
  if (raw.build !== 'builtin' || raw.image === undefined || raw.image === image) return;
  issues.push({
    path: `${service}.image`,
    message: `is ${String(raw.image)}, but build: builtin builds and runs ${image}`,
    fix: `remove image (or set it to ${image}), or remove build to pull ${String(raw.image)}`,
  });
}

/**
 * `build: { npm | pypi }` on an MCP server: one pinned package (the schema checks the version), installed into the
 * image mcpgw builds and runs for this server, so the server must run in a container of its own, its program
 * must be named, and nothing may be downloaded when the container starts.
 */
function checkServerBuild(name: string, server: Record<string, unknown>, issues: ConfigIssue[]): void {
  const build = record(server.build);
  if (!build) return;
  const at = (field: string) => `mcp_servers.${name}.${field}`;
  const sources = (['npm', 'pypi'] as const).filter((registry) => build[registry] !== undefined);
  if (sources.length !== 1) {
    issues.push({
      path: at('build'),
      message: sources.length ? 'names both npm and pypi' : 'names no package',
      fix: 'give one package: build: { npm: "name@1.2.3" } or build: { pypi: "name==1.2.3" }',
    });
    return;
  }
  if (server.url !== undefined)
    return void issues.push({
      path: at('build'),
      message: 'does not apply with url (mcpgw runs no container for it)',
      fix: 'remove build, or replace url with port: 48xxx',
    });
  const image = packageImage(build as PackageSource);
  if (image && server.image !== undefined && server.image !== image) {
    issues.push({
      path: at('image'),
      message: `is ${String(server.image)}, but build installs the package into ${image}`,
      fix: `remove image (mcpgw names the image it builds), or remove build to pull ${String(server.image)}`,
    });
  }
  const command = Array.isArray(server.command) ? server.command.map(String) : typeof server.command === 'string' ? server.command.split(/\s+/) : [];
  if (command.length === 0) {
    issues.push({
      path: at('command'),
      message: 'is required with build (the image has no program of its own to start)',
      fix: "name the package's program, e.g. command: [mcp-server-everything, streamableHttp]",
    });
  } else if (['npx', 'uvx', 'pipx'].includes(command[0] as string)) {
    issues.push({
      path: at('command'),
      message: `runs ${command[0]}, which downloads the package when the container starts`,
      fix: "run the program the package installed instead (it is on the image's PATH), e.g. mcp-server-everything",
    });
  }
}

/**
 * `volumes:` of an MCP server: only where mcpgw runs its container, one volume per directory, and in an image mcpgw
 * builds (its user is nobody) on the one directory nobody owns there, so the volume starts out writable for it.
 */
function checkServerVolumes(name: string, server: Record<string, unknown>, issues: ConfigIssue[]): void {
  const volumes = record(server.volumes);
  if (!volumes) return;
  const at = (volume: string) => `mcp_servers.${name}.volumes.${volume}`;
  if (server.url !== undefined || server.inside_litellm === true)
    return void issues.push({
      path: `mcp_servers.${name}.volumes`,
      message: 'applies only to a server mcpgw runs a container for (not with url or inside_litellm)',
      fix: 'remove volumes',
    });
  const seen = new Map<string, string>();
  for (const [volume, target] of Object.entries(volumes)) {
    const other = seen.get(String(target));
    if (other) issues.push({ path: at(volume), message: `mounts on ${String(target)}, as ${other} does`, fix: 'give each volume its own directory' });
    seen.set(String(target), volume);
    // A target that is no absolute directory is the schema's finding.
    if (server.build !== undefined && String(target).startsWith('/') && target !== PACKAGE_DATA_DIR)
      issues.push({
        path: at(volume),
        message: `is mounted on ${String(target)}, where the server (nobody, in the image mcpgw builds) cannot write`,
        fix: `mount it on ${PACKAGE_DATA_DIR}, the directory that image gives its user, and point the server there`,
      });
  }
}

/**
 * A url server LiteLLM connects to: http(s) only, no credentials in it (they would be rendered in clear into
 * config/config.yaml and shown by doctor and mcp list), and under the LAN-only rule plain http to a LAN name,
 * the same rule as host. False when the url is unusable, so no further rule reads it.
 */
function checkServerUrl(text: string, lanOnly: boolean, path: string, issues: ConfigIssue[]): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false; // the schema reports a malformed URL
  }
  if (url.username || url.password) {
    issues.push({
      path,
      message: 'holds credentials (user:password@): they would be written in clear into config/config.yaml',
      fix: 'remove them from the url; mcpgw.yaml holds secret names only, never a secret value',
    });
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push({
      path,
      message: `${url.protocol}// is not a transport LiteLLM speaks to MCP servers`,
      fix: 'use an http:// URL such as http://nas.lan:8931/mcp',
    });
    return false;
  }
  const optIn = 'or set lan_only: false to opt in';
  if (lanOnly && url.protocol === 'https:') {
    issues.push({ path, message: 'https is off under the LAN-only rule (plain HTTP on direct ports)', fix: `use http://, ${optIn}` });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (lanOnly && !isLanHost(host)) {
    issues.push({
      path,
      message: `${host} ${isIP(host) ? 'is a public address' : 'looks like a public DNS name'}; the gateway is LAN-only`,
      fix: `use the server's LAN name or IP (e.g. nas.lan), ${optIn}`,
    });
  }
  return true;
}

/**
 * Plain values that are credentials, in the fields that are rendered in clear: `environment` (into
 * docker-compose.yml) and the command words (docker-compose.yml, or config/config.yaml for a stdio server).
 */
function checkLiteralSecrets(name: string, server: Record<string, unknown>, issues: ConfigIssue[]): void {
  const at = (field: string) => `mcp_servers.${name}.${field}`;
  const secretName = (variable: string) => `MCP_${name.toUpperCase()}_${variable.toUpperCase()}`;
  for (const [variable, value] of Object.entries(record(server.environment) ?? {})) {
    // A ${VAR} or os.environ/ reference is reported as such; it holds no value.
    if (typeof value === 'string' && !/\$\{|os\.environ\//.test(value) && isSecretEnvironment(variable, value)) {
      issues.push({
        path: at(`environment.${variable}`),
        message: 'holds a secret value; environment is written in clear into docker-compose.yml',
        fix: `put ${secretName(variable)}=… in the secrets file and write env: { ${variable}: ${secretName(variable)} } instead`,
      });
    }
  }
  const where = server.transport === 'stdio' && server.inside_litellm === true ? 'config/config.yaml' : 'docker-compose.yml';
  for (const field of ['command', 'args'] as const) {
    const value = server[field];
    const words = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value.map(String) : [];
    for (const index of secretArguments(words)) {
      issues.push({
        path: typeof value === 'string' ? at(field) : `${at(field)}[${index}]`,
        message: `holds a secret value; the command is written in clear into ${where}`,
        fix: 'put the value in the secrets file and pass it with env: { VAR: SECRET_NAME } (most servers read their token from an environment variable)',
      });
    }
  }
}

/** LiteLLM talks SSE to `/sse`-style paths and streamable HTTP to `/mcp`; the seed mixed them up. */
export function checkUrlPath(url: string, transport: 'sse' | 'http', path: string, issues: ConfigIssue[]): void {
  let pathname: string;
  try {
    pathname = new URL(url).pathname.replace(/\/$/, '');
  } catch {
    return;
  }
  if (transport === 'sse' && pathname.endsWith('/mcp')) {
    issues.push({
      path,
      message: `${pathname} is a streamable HTTP path but transport is sse`,
      fix: 'set transport: http, or point at the SSE endpoint (usually /sse)',
    });
  }
  if (transport === 'http' && pathname.endsWith('/sse')) {
    issues.push({
      path,
      message: `${pathname} is an SSE path but transport is http`,
      fix: 'set transport: sse, or point at the streamable HTTP endpoint (usually /mcp)',
    });
  }
}

function checkKeys(keys: unknown[], servers: Record<string, unknown>, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
  const serverNames = Object.keys(servers);
  const groups = new Set(Object.values(servers).flatMap((s) => stringList(record(s)?.groups)));
  const models = new Set(declaredModelNames(litellm));
  const aliases = new Map<string, number>();
  const secrets = new Map<string, number>();
  const hashes = new Map<string, number>();
  keys.forEach((value, index) => {
    const key = record(value) ?? {};
    const at = (field: string) => `keys[${index}].${field}`;
    if (typeof key.token_sha256 === 'string') {
      // One token is one row in LiteLLM: two declarations of it would fight over its alias and grants.
      const first = hashes.get(key.token_sha256);
      if (first !== undefined)
        issues.push({
          path: at('token_sha256'),
          message: `the same key as keys[${first}] (one token_sha256 is one key row)`,
          fix: `keep one declaration: merge its grants into keys[${first}] and delete this one`,
        });
      else hashes.set(key.token_sha256, index);
    }
    if (typeof key.alias === 'string') {
      const first = aliases.get(key.alias);
      if (first !== undefined)
        issues.push({ path: at('alias'), message: `"${key.alias}" is already used by keys[${first}]`, fix: 'give each key its own alias' });
      else aliases.set(key.alias, index);
      if (key.token_sha256 !== undefined && key.secret !== undefined)
        issues.push({
          path: at('token_sha256'),
          message: 'a key is declared by its value (secret) or by its hash (token_sha256), not both',
          fix: 'keep secret when the secrets file holds the key, else token_sha256',
        });
      const secret = typeof key.secret === 'string' ? key.secret : keySecretName(key.alias);
      const owner = key.token_sha256 === undefined ? secrets.get(secret) : undefined;
      if (owner !== undefined)
        issues.push({ path: at('secret'), message: `${secret} already holds the key of keys[${owner}]`, fix: `name another secret, e.g. secret: ${secret}_2` });
      else if (key.token_sha256 === undefined) secrets.set(secret, index);
    }
    stringList(key.mcp_servers).forEach((server, i) => {
      if (!serverNames.includes(server)) {
        issues.push({
          path: `${at('mcp_servers')}[${i}]`,
          message: `unknown MCP server "${server}"`,
          fix: serverNames.length ? `declared servers: ${serverNames.join(', ')}` : 'declare it under mcp_servers first',
        });
      }
    });
    const keyServers = stringList(key.mcp_servers);
    for (const server of Object.keys(record(key.mcp_tools) ?? {})) {
      if (!serverNames.includes(server)) {
        issues.push({
          path: `${at('mcp_tools')}.${server}`,
          message: `unknown MCP server "${server}"`,
          fix: serverNames.length ? `declared servers: ${serverNames.join(', ')}` : 'declare it under mcp_servers first',
        });
      } else if (!keyServers.includes(server)) {
        issues.push({
          path: `${at('mcp_tools')}.${server}`,
          message: `${server} is not in this key's mcp_servers`,
          fix:
            `add ${server} to mcp_servers: LiteLLM grants every server named in mcp_tool_permissions ` +
            `anyway (BerriAI/litellm#33397), so mcpgw writes both or neither`,
        });
      }
    }
    if (key.budget_duration !== undefined && key.budget === undefined) {
      issues.push({
        path: at('budget_duration'),
        message: 'resets a budget that is not set',
        fix: 'add budget: (USD) next to budget_duration, or remove budget_duration',
      });
    }
    stringList(key.mcp_groups).forEach((group, i) => {
      if (!groups.has(group))
        issues.push({
          path: `${at('mcp_groups')}[${i}]`,
          message: `no MCP server is in group "${group}"`,
          fix: "add the group to a server's groups, or remove it here",
        });
    });
    stringList(key.models).forEach((model, i) => {
      if (!models.has(model))
        issues.push({
          path: `${at('models')}[${i}]`,
          message: `unknown model "${model}"`,
          fix: models.size ? `declared models: ${[...models].join(', ')}` : 'declare it under litellm.models first',
        });
    });
  });
}

/** The names under litellm.models, read defensively (the schema reports an entry without one). */
function declaredModelNames(litellm: Record<string, unknown>): string[] {
  return (Array.isArray(litellm.models) ? litellm.models : []).map((m) => record(m)?.name).filter((n): n is string => typeof n === 'string');
}

/** probe_model: the canary, or a model declared under litellm.models (whose names must leave the canary's free). */
function checkProbeModel(value: unknown, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
  const names = declaredModelNames(litellm);
  const taken = (Array.isArray(litellm.models) ? litellm.models : []).findIndex((m) => record(m)?.name === CANARY_MODEL_NAME);
  if (value === CANARY_PROBE_MODEL && taken >= 0) {
    issues.push({
      path: `litellm.models[${taken}].name`,
      message: `"${CANARY_MODEL_NAME}" is the name of mcpgw's canary model (probe_model: canary)`,
      fix: 'give this model another name',
    });
  }
  if (typeof value !== 'string' || value === CANARY_PROBE_MODEL || names.includes(value)) return;
  issues.push({
    path: 'probe_model',
    message: `unknown model "${value}"`,
    fix: `use canary (mcpgw's deterministic model, no provider key)${names.length ? ` or a declared model: ${names.join(', ')}` : ', or declare the model under litellm.models first'}`,
  });
}

/** The name clients put in the gateway's URL: a valid host name or IP; under the LAN-only rule, a LAN one. */
function checkHost(host: unknown, lanOnly: boolean, issues: ConfigIssue[]): void {
  if (typeof host !== 'string') return; // the schema reports a missing or mistyped host
  const problem = hostProblem(host);
  if (problem) issues.push({ path: 'host', ...problem });
  else if (lanOnly && !isLanHost(host)) {
    issues.push({
      path: 'host',
      message: `${host} ${isIP(host) ? 'is a public address' : 'looks like a public DNS name'}; the gateway is LAN-only`,
      fix: 'use the LAN name or IP (e.g. linuxserver.lan), or set lan_only: false to opt in explicitly',
    });
  }
}

function checkLanRules(doc: Record<string, unknown>, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
  const optIn = 'or set lan_only: false to opt in explicitly';
  for (const field of ['bind', 'mcp_bind'] as const) {
    const value = doc[field];
    if (typeof value === 'string' && !isPrivateAddress(value)) {
      issues.push({ path: field, message: `${value} is not a LAN or loopback address`, fix: `use 0.0.0.0, 127.0.0.1 or the LAN interface address, ${optIn}` });
    }
  }
  for (const label of Object.keys(record(litellm.labels) ?? {})) {
    if (/^traefik\.|caddy|nginx|oauth|keycloak/i.test(label)) {
      issues.push({ path: `litellm.labels.${label}`, message: 'reverse-proxy/SSO labels are off under the LAN-only rule', fix: `remove the label, ${optIn}` });
    }
  }
}

/** LiteLLM never expands `${VAR}` (only `os.environ/VAR`), so such a value reaches it literally. */
export function findShellVariables(value: unknown, path: PathSegment[], issues: ConfigIssue[]): void {
  if (typeof value === 'string') {
    const match = /\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/.exec(value);
    if (match) {
      issues.push({
        path: formatPath(path),
        message: `\${${match[1]}} is never resolved (LiteLLM only reads os.environ/NAME)`,
        fix: `write the secret name instead (e.g. ${match[1]}) and keep its value in the secrets file`,
      });
    }
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) findShellVariables(item, [...path, index], issues);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) findShellVariables(item, [...path, key], issues);
  }
}

export function keySecretName(alias: string): string {
  return `MCPGW_KEY_${alias.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The declared keys mcpgw can present: those with a value in the secrets file (a key known by its hash has none). */
export function declaredKeyValues(config: Pick<McpgwConfig, 'keys'>, secrets: Secrets): { alias: string; key: string }[] {
  return config.keys.flatMap((key) => {
    if (key.token_sha256) return [];
    const value = secrets.get(key.secret ?? keySecretName(key.alias));
    return value ? [{ alias: key.alias, key: value }] : [];
  });
}

/** Docker resolves containers by name on the stack network: a name is one DNS label. */
const MAX_DNS_LABEL = 63;

export function parseRange(text: string): [number, number] | undefined {
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (!match) return undefined;
  const low = Number(match[1]);
  const high = Number(match[2]);
  return low <= high ? [low, high] : undefined;
}

/**
 * Settings of a disabled observability part are a mistake (the user expects them to act), and the scrape target
 * obeys the LAN-only rule like every other address.
 */
function checkObservability(section: Record<string, unknown> | undefined, lanOnly: boolean, issues: ConfigIssue[]): void {
  if (!section) return;
  for (const part of ['loki', 'prometheus'] as const) {
    const settings = record(section[part]);
    if (!settings || settings.enabled === true) continue;
    for (const field of Object.keys(settings).filter((name) => name !== 'enabled')) {
      issues.push({
        path: `observability.${part}.${field}`,
        message: `has no effect while observability.${part}.enabled is not true`,
        fix: `set observability.${part}.enabled: true, or remove ${field}`,
      });
    }
  }
  const target = record(section.prometheus)?.target;
  if (lanOnly && typeof target === 'string' && !isLanHost(target.replace(/:\d+$/, ''))) {
    issues.push({
      path: 'observability.prometheus.target',
      message: `${target} looks like a public DNS name; the gateway is LAN-only`,
      fix: 'scrape the LAN name or IP (e.g. linuxserver.lan:4000), or set lan_only: false to opt in',
    });
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
