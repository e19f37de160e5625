import path from 'node:path';
import { missingSecrets, type Secrets } from '../config/secrets.js';
import { UserError } from '../errors.js';
import { BRIDGE_SCRIPT_FILE, CANARY_SCRIPT_FILE, type StackModel } from '../stack/model.js';
import { COMPOSE_FILE, ENV_DIR, envFileFor, renderCompose } from './compose.js';
import { renderEnvFile } from './env-files.js';
import { renderObservability } from './observability.js';
import { LITELLM_CONFIG_FILE, renderLiteLLMConfig } from './litellm-config.js';
import type { Templates } from './templates.js';

export interface RenderedFile {
  /** Relative to the output directory. */
  path: string;
  content: string;
  /** Files holding secret values are 0600 and their content is never shown in diffs. */
  secret: boolean;
}

/** Every file of a stack, in a stable order. Pure: same model, secrets and templates give the same bytes. */
export function renderStack(model: StackModel, secrets: Secrets, templates: Templates, secretsFile: string): RenderedFile[] {
  const missing = missingSecrets(model.requiredSecrets, secrets);
  if (missing.length > 0) {
    throw new UserError(
      `${secretsFile} lacks ${missing.join(', ')}`,
      `add ${missing.map((name) => `${name}=…`).join(', ')} to the secrets file (mcpgw init writes the standard ones)`,
    );
  }
  const files: RenderedFile[] = [
    { path: COMPOSE_FILE, content: renderCompose(model, templates), secret: false },
    { path: LITELLM_CONFIG_FILE, content: renderLiteLLMConfig(model, templates), secret: false },
  ];
  const bridged = model.services.some((service) => service.volumes.some((volume) => path.normalize(volume.source) === BRIDGE_SCRIPT_FILE));
  if (bridged) files.push({ path: BRIDGE_SCRIPT_FILE, content: templates.mcpBridge, secret: false });
  if (model.services.some((service) => service.role === 'canary')) files.push({ path: CANARY_SCRIPT_FILE, content: templates.canaryModel, secret: false });
  const withSecrets = model.services.filter((service) => service.secretEnv.length > 0);
  // Keeps the derived secret files out of any git repository the output folder lives in.
  if (withSecrets.length > 0) files.push({ path: `${ENV_DIR}/.gitignore`, content: '*\n', secret: false });
  for (const service of withSecrets) {
    files.push({ path: envFileFor(service.name), content: renderEnvFile(service, secrets, templates.envFileHeader), secret: true });
  }
  if (model.observability) files.push(...renderObservability(model.observability, templates));
  return files;
}
