import type { ConfigIssue } from '../../errors.js';
import { isPrivateAddress } from '../lan.js';
import { record } from './raw.js';

/** Under the LAN-only rule: addresses that bind on the LAN or loopback only, and no reverse proxy or SSO in front of LiteLLM. */
export function checkLanRules(doc: Record<string, unknown>, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
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
