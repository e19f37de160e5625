import { isLanHost } from '../config/lan.js';
import type { LoadedConfig } from '../config/load.js';
import { readSecrets } from '../config/secrets.js';
import { UserError } from '../errors.js';
import { KEY_HEADER } from '../gateway/key-header.js';
import { gatewayMcpUrl } from '../stack/endpoints.js';
import { aliasKeyValue } from '../keys/declaration.js';
import { refuseMasterKey, validateKey } from '../keys/token.js';

/** The gateway's MCP endpoint from mcpgw.yaml (host, LiteLLM's port), the URL every client config points at. */
export function gatewayUrl(loaded: LoadedConfig): string {
  return gatewayMcpUrl(loaded.config.host, loaded.config.litellm.port);
}

export interface UrlRules {
  /** mcpgw.yaml's lan_only when there is one: https and public names are refused, as doctor refuses them. */
  lanOnly?: boolean;
  warn(line: string): void;
  note(line: string): void;
}

/**
 * Checks a --url with the rules doctor applies to client files, when the config is made rather than later:
 * absolute http(s) without credentials, LiteLLM's MCP endpoint (/mcp/ or /mcp/<server>; a bare gateway address
 * gets /mcp/, an SSE path is refused since these clients speak streamable HTTP), and under the LAN-only rule
 * plain http to a LAN name. A bare /mcp is only warned about.
 */
export function checkUrl(text: string, rules: UrlRules): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`--url ${text} is not an absolute URL`, 'give the full endpoint, e.g. http://gateway.lan:4000/mcp/');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError(`--url ${text} is not http(s)`, 'LiteLLM serves MCP over http(s): e.g. http://gateway.lan:4000/mcp/');
  if (url.username || url.password)
    throw new UserError('--url must not carry credentials', `the key goes in the ${KEY_HEADER} header: pass --key or --key-alias`);
  const endpoint = `${url.origin}/mcp/`;
  if (rules.lanOnly) {
    const optOut = 'or set lan_only: false in mcpgw.yaml to opt in';
    if (url.protocol === 'https:')
      throw new UserError(`--url ${text} is https, which the LAN-only rule turns off`, `use http://${url.host}${url.pathname}, ${optOut}`);
    if (!isLanHost(url.hostname.replace(/^\[|\]$/g, '')))
      throw new UserError(
        `--url ${text} names ${url.hostname}, which is not a LAN name or address`,
        `use the gateway's LAN name or IP (mcpgw.yaml's host), ${optOut}`,
      );
  }
  if (url.pathname === '/' && !url.search) {
    rules.note(`--url has no path: using ${endpoint}, the gateway's MCP endpoint`);
    return endpoint;
  }
  if (/\/sse\/?$/.test(url.pathname))
    throw new UserError(`--url ${text} is an SSE endpoint`, `the clients mcpgw configures speak streamable HTTP: use ${endpoint}`);
  if (url.pathname === '/mcp')
    rules.warn('the URL ends in /mcp without the trailing slash: some LiteLLM versions answer it with a 307 redirect; /mcp/ works everywhere');
  else if (!url.pathname.startsWith('/mcp/') && rules.lanOnly !== false) {
    throw new UserError(`--url ${text} is not LiteLLM's MCP endpoint`, `LiteLLM serves MCP at /mcp/ (every granted server) or /mcp/<server>: e.g. ${endpoint}`);
  }
  return url.href;
}

/**
 * The value of the key called `alias` (declared in mcpgw.yaml, or saved by `keys create --save`), read from the
 * secrets file where `mcpgw init`/`keys` keep it and checked as a client key. Errors name the secret, never its value.
 */
export async function declaredKeyValue(loaded: LoadedConfig, alias: string): Promise<string> {
  const secrets = await readSecrets(loaded.secretsFile);
  const { value, secret } = aliasKeyValue(loaded.config, secrets, loaded.secretsFile, alias);
  const place = `${secret} in ${loaded.secretsFile}`;
  validateKey(value, place);
  refuseMasterKey(value, secrets.get(loaded.config.litellm.master_key), place);
  return value;
}
