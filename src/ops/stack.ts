import { loadConfig, type LoadedConfig } from '../config/load.js';
import { checkSecrets } from '../config/secret-rules.js';
import { GENERATED_POSTGRES_SECRETS } from '../config/postgres-roles.js';
import { addGeneratedSecrets, readSecrets, type Secrets } from '../config/secrets.js';
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
 * redaction before anything can print them), mcpgw's generated ones added when missing, and checked, the model built and its files rendered in memory.
 */
export async function loadStack(ctx: OpContext, options: { dryRun?: boolean } = {}): Promise<LoadedStack> {
  const loaded = await loadConfig(ctx.configFile);
  const read = await readSecrets(loaded.secretsFile);
  ctx.ui.addSecrets(read.values());
  // The passwords of mcpgw's own Postgres roles: a secrets file from before they existed gets them here, so the
  // next `up` can move the volume over (a dry run only pretends).
  const generated = loaded.config.postgres.mode === 'bundled' ? GENERATED_POSTGRES_SECRETS : [];
  const { secrets, added } = await addGeneratedSecrets(read, loaded.secretsFile, generated, ctx.deps.randomBytes, !options.dryRun);
  ctx.ui.addSecrets(secrets.values());
  if (added.length > 0) ctx.ui.info(`${options.dryRun ? 'would add' : 'added'} ${added.join(', ')} (mcpgw's own database roles) to ${loaded.secretsFile}`);
  const model = buildStackModel(loaded.config);
  const problems = checkSecrets(loaded.config, model.requiredSecrets, secrets);
  if (problems.length > 0) throw new ConfigError(loaded.secretsFile, problems);
  const files = renderStack(model, secrets, loadTemplates(), loaded.secretsFile);
  return { loaded, secrets, model, files };
}
