import type { ConfigIssue } from '../../errors.js';
import { keySecretName } from '../key-secrets.js';
import { declaredModelNames, record, stringList } from './raw.js';

/**
 * Keys against each other (one alias, one secret, one token hash each) and against what they grant: declared MCP
 * servers, groups some server is in, declared models; tool permissions only on servers the key also names.
 */
export function checkKeys(keys: unknown[], servers: Record<string, unknown>, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
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
