import type { Secrets } from '../config/secrets.js';
import { formatSecrets } from '../config/secrets.js';
import type { SecretEnv, ServiceModel } from '../stack/model.js';

/** The env file of one service: only the variables it needs, with values taken from the secrets file. */
export function renderEnvFile(service: Pick<ServiceModel, 'secretEnv'>, secrets: Secrets, header: string): string {
  return formatSecrets(resolveSecretEnv(service, secrets), header.trimEnd().split('\n'));
}

/** The secret variables of a service with their values; the same list the env file holds. */
export function resolveSecretEnv(service: Pick<ServiceModel, 'secretEnv'>, secrets: Secrets): [string, string][] {
  return service.secretEnv.map((env): [string, string] => [env.name, resolve(env, secrets)]);
}

function resolve(env: SecretEnv, secrets: Secrets): string {
  if (env.kind === 'secret') return required(secrets, env.secret);
  const password = encodeURIComponent(required(secrets, env.passwordSecret));
  return `postgresql://${env.user}:${password}@${env.host}:${env.port}/${env.database}`;
}

function required(secrets: Secrets, name: string): string {
  const value = secrets.get(name);
  // Callers check presence first (missingSecrets); reaching this is a bug, and the message names no value.
  if (value === undefined) throw new Error(`secret ${name} is missing`);
  return value;
}
