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
  const networks = networkDrift(
    spec.networks.map((network) => network.name),
    actual.networks,
  );
  if (networks) drift.push(`${networks}: its networks were changed after it was created`);
  if (imageId && actual.imageId !== imageId) drift.push(`runs image ${shortId(actual.imageId)}, not ${spec.image} (${shortId(imageId)})`);
  const ports = setDrift(spec.ports.map(portText), actual.ports.map(portText));
  if (ports) drift.push(`publishes ${ports.actual || 'no port'} where mcpgw.yaml says ${ports.wanted || 'none'}`);
  const env = changedNames(spec.env.map(entry), new Map(actual.env.map(entry)));
  if (env.length > 0) drift.push(`its environment differs in ${env.join(', ')}`);
  const labels = changedNames(Object.entries(spec.labels), new Map(Object.entries(actual.labels)));
  if (labels.length > 0) drift.push(`its labels differ in ${labels.join(', ')}`);
  const mounts = setDrift(spec.mounts.map(mountText), actual.mounts.map(mountText));
  if (mounts) drift.push(`mounts ${mounts.actual || 'nothing'} where mcpgw.yaml says ${mounts.wanted || 'nothing'}`);
  return drift;
}

/** How a container's networks differ from its service's, in words; undefined when they are the same. */
function networkDrift(wanted: readonly string[], on: readonly string[]): string | undefined {
  const missing = wanted.filter((name) => !on.includes(name));
  const extra = on.filter((name) => !wanted.includes(name));
  if (missing.length === 0 && extra.length === 0) return undefined;
  return [...(missing.length ? [`not on ${missing.join(', ')}`] : []), ...(extra.length ? [`also on ${extra.join(', ')}`] : [])].join(', ');
}

/** The entries only one side has, each side sorted; undefined when both hold the same. */
function setDrift(wanted: string[], actual: string[]): { wanted: string; actual: string } | undefined {
  const onlyWanted = wanted.filter((item) => !actual.includes(item)).sort();
  const onlyActual = actual.filter((item) => !wanted.includes(item)).sort();
  if (onlyWanted.length === 0 && onlyActual.length === 0) return undefined;
  return { wanted: onlyWanted.join(', '), actual: onlyActual.join(', ') };
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
