import type { StackModel } from '../stack/model.js';
import type { Templates } from './templates.js';
import { stringify, templateDocument } from './yaml.js';

export const LITELLM_CONFIG_FILE = 'config/config.yaml';

/** LiteLLM's config.yaml: every secret is an os.environ/NAME reference, never a value and never ${NAME}. */
export function renderLiteLLMConfig(model: StackModel, templates: Templates): string {
  const doc = templateDocument(templates.litellmConfig);
  const { model_list, mcp_servers, general_settings } = model.litellmConfig;
  doc.set('model_list', model_list);
  doc.set('mcp_servers', mcp_servers);
  doc.set('general_settings', general_settings);
  if (model.litellmConfig.litellm_settings) doc.set('litellm_settings', model.litellmConfig.litellm_settings);
  return stringify(doc);
}
