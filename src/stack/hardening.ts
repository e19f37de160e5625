import type { ContainerHardening } from '../docker/containers.js';
import { HARDENING, type ServiceModel } from './model.js';

/**
 * What a container lacks of the hardening its service asks for (cap_drop ALL, no-new-privileges, only the
 * capabilities given back, the non-root user), in words for a plan reason or a doctor finding. Empty: none.
 */
export function hardeningGaps(service: Pick<ServiceModel, 'user' | 'capAdd'>, actual: ContainerHardening): string[] {
  const gaps: string[] = [];
  const dropped = new Set(actual.capDrop.map(capability));
  for (const cap of HARDENING.capDrop) if (!dropped.has(cap)) gaps.push(`capabilities not dropped (cap_drop ${cap})`);
  const extra = actual.capAdd.map(capability).filter((cap) => !service.capAdd.includes(cap));
  if (extra.length > 0) gaps.push(`capabilities added beyond what it needs (${extra.join(', ')})`);
  const options = new Set(actual.securityOpt.map((option) => option.replace(/=/, ':')));
  for (const option of HARDENING.securityOpt) if (!options.has(option) && !options.has(option.replace(/:true$/, ''))) gaps.push(`no ${option}`);
  if (service.user && actual.user !== service.user) gaps.push(`runs as ${actual.user || "the image's user (root)"}, not ${service.user}`);
  return gaps;
}

/** Docker reports capabilities as given, with or without the CAP_ prefix. */
function capability(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}
