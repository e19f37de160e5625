import { parse } from 'yaml';
import { HARDENING, type NetworkModel, type ServiceModel, type StackModel } from '../stack/model.js';
import type { Templates } from './templates.js';
import { stringify, templateDocument } from './yaml.js';

export const COMPOSE_FILE = 'docker-compose.yml';
export const ENV_DIR = 'env';

export function envFileFor(service: string): string {
  return `${ENV_DIR}/${service}.env`;
}

/** docker-compose.yml for the stack: pure, deterministic, secrets only by env_file reference. */
export function renderCompose(model: StackModel, templates: Templates): string {
  const doc = templateDocument(templates.compose);
  const serviceDefaults = parse(templates.composeService) as Record<string, unknown>;
  doc.set('name', model.name);
  doc.set('services', Object.fromEntries(model.services.map((service) => [service.name, composeService(service, serviceDefaults)])));
  doc.set('networks', Object.fromEntries(model.networks.map((network) => [network.name, composeNetwork(network)])));
  if (model.volumes.length > 0) {
    doc.set('volumes', Object.fromEntries(model.volumes.map((name) => [name, { name, labels: { 'io.mcpgw.stack': model.name } }])));
  } else {
    doc.delete('volumes');
  }
  return stringify(doc);
}

function composeNetwork(network: NetworkModel): Record<string, unknown> {
  if (network.external) return { name: network.name, external: true };
  return { name: network.name, driver: 'bridge', ...(network.internal ? { internal: true } : {}), labels: { ...network.labels } };
}

function composeService(service: ServiceModel, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    image: service.image,
    container_name: service.containerName,
  };
  if (service.entrypoint) out.entrypoint = service.entrypoint;
  if (service.command) out.command = service.command;
  if (service.secretEnv.length > 0) out.env_file = [envFileFor(service.name)];
  if (Object.keys(service.environment).length > 0) out.environment = service.environment;
  if (service.ports.length > 0) {
    out.ports = service.ports.map((port) => ({
      target: port.target,
      published: String(port.published),
      host_ip: port.hostIp,
      protocol: 'tcp',
    }));
  }
  out.networks = [...service.networks];
  if (service.volumes.length > 0) {
    out.volumes = service.volumes.map((volume) => ({
      type: volume.kind,
      source: volume.source,
      target: volume.target,
      ...(volume.readOnly ? { read_only: true } : {}),
    }));
  }
  if (service.healthcheck) {
    const { test, interval, timeout, retries, startPeriod } = service.healthcheck;
    out.healthcheck = { test, interval, timeout, retries, start_period: startPeriod };
  }
  if (service.dependsOn.length > 0) {
    out.depends_on = Object.fromEntries(service.dependsOn.map((dep) => [dep.service, { condition: dep.condition }]));
  }
  if (service.user) out.user = service.user;
  out.cap_drop = [...HARDENING.capDrop];
  if (service.capAdd.length > 0) out.cap_add = [...service.capAdd];
  out.security_opt = [...HARDENING.securityOpt];
  out.labels = service.labels;
  // A fresh copy per service: shared objects would be written as YAML anchors and aliases.
  const settings = structuredClone(defaults) as { logging?: { options?: Record<string, string> } };
  if (service.logOptions && settings.logging) settings.logging.options = { ...settings.logging.options, ...service.logOptions };
  return { ...out, ...settings };
}
