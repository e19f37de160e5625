import { isIP } from 'node:net';

export interface HostProblem {
  message: string;
  fix: string;
}

const NAME_ONLY = 'write only the name or IP address, e.g. linuxserver.lan or 192.168.1.20';

/** The host as it may be shown in a message: short, one line. */
export function shownHost(host: string): string {
  const oneLine = host.replace(/[\u0000-\u001f]/g, '?');
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 57)}…` : oneLine);
}

/**
 * What is wrong with the name LAN clients put in the gateway's URL (`host:` / `init --host`): it must be an IP
 * address or a DNS host name (RFC 1123: labels of letters, digits and "-", at most 63 characters each, 253 in
 * all), without scheme, port or path. Undefined when it is fine.
 */
export function hostProblem(host: string): HostProblem | undefined {
  if (host.trim() === '') return { message: 'is empty', fix: NAME_ONLY };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return { message: 'must be a host name, not a URL', fix: NAME_ONLY };
  if (/\s/.test(host)) return { message: `${shownHost(host)} contains a space`, fix: NAME_ONLY };
  if (isIP(host)) return undefined;
  if (/^\[.*\]$/.test(host) && isIP(host.slice(1, -1)))
    return { message: `${shownHost(host)} has brackets`, fix: 'write the IPv6 address without [ ] (mcpgw adds them in URLs)' };
  if (host.includes('/')) return { message: `${shownHost(host)} has a path`, fix: `${NAME_ONLY} (the gateway's path is always /mcp/)` };
  if (/:\d*$/.test(host)) return { message: `${shownHost(host)} has a port`, fix: `${NAME_ONLY}; the port is litellm.port` };
  const name = host.replace(/\.$/, '');
  if (name.length > 253) return { message: `is ${name.length} characters long; a DNS name has at most 253`, fix: NAME_ONLY };
  const label = name.split('.').find((part) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(part));
  if (label !== undefined) {
    const why =
      label === ''
        ? 'has an empty label (two dots in a row?)'
        : label.length > 63
          ? `has a label of ${label.length} characters (at most 63)`
          : 'may use only letters, digits and "-" (not first or last) between the dots';
    return { message: `${shownHost(host)} is not a valid host name: it ${why}`, fix: NAME_ONLY };
  }
  return undefined;
}

/** A host that is valid but that clients elsewhere on the LAN cannot use to reach this machine. */
export function hostWarning(host: string): string | undefined {
  const lower = host.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost') || /^127\./.test(lower) || lower === '::1') {
    return `host ${host} is this machine only: clients on other machines of the LAN cannot reach the gateway by it (use its LAN name or IP)`;
  }
  if (lower === '0.0.0.0' || lower === '::') return `host ${host} is a listen address, not one clients can connect to (use the machine's LAN name or IP)`;
  return undefined;
}
