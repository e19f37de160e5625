import { isIP } from 'node:net';
import type { ConfigIssue } from '../../errors.js';
import { hostProblem } from '../host.js';
import { isLanHost } from '../lan.js';

/** The name clients put in the gateway's URL: a valid host name or IP; under the LAN-only rule, a LAN one. */
export function checkHost(host: unknown, lanOnly: boolean, issues: ConfigIssue[]): void {
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
