import { isIP } from 'node:net';
import type { ConfigIssue } from '../../errors.js';
import { isLanHost } from '../lan.js';

/**
 * A url server LiteLLM connects to: http(s) only, no credentials in it (they would be rendered in clear into
 * config/config.yaml and shown by doctor and mcp list), and under the LAN-only rule plain http to a LAN name,
 * the same rule as host. False when the url is unusable, so no further rule reads it.
 */
export function checkServerUrl(text: string, lanOnly: boolean, path: string, issues: ConfigIssue[]): boolean {
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
