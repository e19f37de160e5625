import type { ConfigIssue } from '../../errors.js';
import { isLanHost } from '../lan.js';
import { record } from './raw.js';

/**
 * Settings of a disabled observability part are a mistake (the user expects them to act), and the scrape target
 * obeys the LAN-only rule like every other address.
 */
export function checkObservability(section: Record<string, unknown> | undefined, lanOnly: boolean, issues: ConfigIssue[]): void {
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
