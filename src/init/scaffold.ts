import { DEFAULT_LITELLM_IMAGE, DEFAULT_POSTGRES_IMAGE } from '../config/schema.js';
import { generateKey } from '../keys/token.js';
import { fillPlaceholders, type Templates } from '../render/templates.js';

export interface Scaffold {
  mcpgwYaml: string;
  secretsEnv: string;
}

/** The commented mcpgw.yaml and a secrets file with freshly generated values. Pure given `random`. */
export function scaffold(host: string, templates: Templates, random: (size: number) => Buffer): Scaffold {
  return {
    mcpgwYaml: fillPlaceholders(templates.mcpgwYaml, {
      host,
      litellm_image: DEFAULT_LITELLM_IMAGE,
      postgres_image: DEFAULT_POSTGRES_IMAGE,
    }),
    secretsEnv: fillPlaceholders(templates.secretsEnv, {
      name: 'litellm',
      master_key: generateKey(random),
      salt_key: generateKey(random),
      // Hex keeps the password safe inside a postgresql:// URL without escaping.
      postgres_password: random(24).toString('hex'),
      claude_code_key: generateKey(random),
    }),
  };
}
