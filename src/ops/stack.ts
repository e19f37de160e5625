import { loadConfig, type LoadedConfig } from '../config/load.js';
import { checkSecrets } from '../config/secret-rules.js';
import { readSecrets, type Secrets } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import { renderStack, type RenderedFile } from '../render/render.js';
import { loadTemplates } from '../render/templates.js';
import { buildStackModel, type StackModel } from '../stack/model.js';
import type { OpContext } from './context.js';

export interface LoadedStack {
  loaded: LoadedConfig;
  secrets: Secrets;
  model: StackModel;
  files: RenderedFile[];
}

/**
 * The boundary every stack command crosses first: mcpgw.yaml validated, secrets read (and registered for
 * redaction before anything can print them) and checked, the model built and its files rendered in memory.
 */
export async function loadStack(ctx: OpContext): Promise<LoadedStack> {
  const loaded = await loadConfig(ctx.configFile);
  const secrets = await readSecrets(loaded.secretsFile);
  ctx.ui.addSecrets(secrets.values());
  const model = buildStackModel(loaded.config);
  const problems = checkSecrets(loaded.config, model.requiredSecrets, secrets);
  if (problems.length > 0) throw new ConfigError(loaded.secretsFile, problems);
  const files = renderStack(model, secrets, loadTemplates(), loaded.secretsFile);
  return { loaded, secrets, model, files };
}
