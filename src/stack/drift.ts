import type { ContainerConfig, ContainerSpec } from '../docker/containers.js';

/**
 * How a container as the engine reports it differs from the spec `up` would create it with, in words for a plan
 * reason; empty when it runs as specified. The hash label says what mcpgw meant to create; this reads what is
 * there, so a container recreated by hand with copied labels, or reattached after it was made, is still found.
 * Only what the spec sets is compared: an image's own env, labels and VOLUMEs belong to the container too.
 * Environment differences are named by variable, never by value (they hold secrets).
 */
export function runDrift(spec: ContainerSpec, imageId: string | undefined, actual: ContainerConfig): string[] {
  const drift: string[] = [];
  const networks = difference(
    spec.networks.map((network) => network.name),
    actual.networks,
  );
  if (networks.missing.length + networks.extra.length > 0) {
    const parts = [
      ...(networks.missing.length ? [`not on ${networks.missing.join(', ')}`] : []),
      ...(networks.extra.length ? [`also on ${networks.extra.join(', ')}`] : []),
    ];
    drift.push(`${parts.join(', ')}: its networks were changed after it was created`);
  }
  if (imageId && actual.imageId !== imageId) drift.push(`runs image ${shortId(actual.imageId)}, not ${spec.image} (${shortId(imageId)})`);
  const ports = difference(spec.ports.map(portText), actual.ports.map(portText));
  if (ports.missing.length + ports.extra.length > 0)
    drift.push(`publishes ${listed(ports.extra, 'no port')} where mcpgw.yaml says ${listed(ports.missing, 'none')}`);
  const env = changedNames(spec.env.map(entry), new Map(actual.env.map(entry)));
  if (env.length > 0) drift.push(`its environment differs in ${env.join(', ')}`);
  const labels = changedNames(Object.entries(spec.labels), new Map(Object.entries(actual.labels)));
  if (labels.length > 0) drift.push(`its labels differ in ${labels.join(', ')}`);
  const mounts = difference(spec.mounts.map(mountText), actual.mounts.map(mountText));
  if (mounts.missing.length + mounts.extra.length > 0)
    drift.push(`mounts ${listed(mounts.extra, 'nothing')} where mcpgw.yaml says ${listed(mounts.missing, 'nothing')}`);
  return drift;
}

/** What only the wanted side has (missing from what runs) and what only the actual side has, each in its own order. */
function difference(wanted: readonly string[], actual: readonly string[]): { missing: string[]; extra: string[] } {
  return { missing: wanted.filter((item) => !actual.includes(item)), extra: actual.filter((item) => !wanted.includes(item)) };
}

/** Items sorted and joined, or `none` when there are none. */
function listed(items: string[], none: string): string {
  return items.length > 0 ? [...items].sort().join(', ') : none;
}

/** Names whose wanted value the actual one lacks or differs from, in the spec's order. */
function changedNames(wanted: [string, string][], actual: Map<string, string>): string[] {
  return wanted.filter(([name, value]) => actual.get(name) !== value).map(([name]) => name);
}

/** `NAME=value` split at the first `=`. */
function entry(line: string): [string, string] {
  const at = line.indexOf('=');
  return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
}

function portText(port: { hostIp: string; published: number; target: number }): string {
  return `${port.hostIp || '0.0.0.0'}:${port.published}->${port.target}`;
}

function mountText(mount: { type: string; source: string; target: string; readOnly: boolean }): string {
  return `${mount.type} ${mount.source} at ${mount.target}${mount.readOnly ? ' (read-only)' : ''}`;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
