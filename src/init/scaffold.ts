import { DEFAULT_LITELLM_IMAGE, DEFAULT_POSTGRES_IMAGE } from '../config/schema.js';
import { BUILTIN_LITELLM_VERSION, BUILTIN_POSTGRES_MAJOR } from '../images/builtin.js';
import { generatedSecret } from '../config/secrets.js';
import { generateKey } from '../keys/token.js';
import { fillPlaceholders, type Templates } from '../render/templates.js';

export interface Scaffold {
  mcpgwYaml: string;
  secretsEnv: string;
}

const EVERYTHING_PACKAGE = '@modelcontextprotocol/server-everything@2026.8.31';

/**
 * Where the stack's images come from. online: the upstream images, pulled. offline: built by mcpgw from package
 * registries (PyPI, Debian, npm) for a machine that reaches no container registry, with the canary model for
 * the probe, so the first `mcpgw up` proves the gateway without a registry or a provider key.
 */
const SOURCES = {
  online: {
    probe_model: '',
    litellm_image: `image: ${DEFAULT_LITELLM_IMAGE}`,
    postgres_image: `image: ${DEFAULT_POSTGRES_IMAGE}`,
    everything_source: [
      '    image: node:20-bookworm-slim',
      `    command: ["npx", "-y", "${EVERYTHING_PACKAGE}", "streamableHttp"]   # pinned, as the catalog`,
    ].join('\n'),
  },
  offline: {
    probe_model: "probe_model: canary               # `mcpgw probe` runs its tool calls on mcpgw's canary model: no provider key\n",
    litellm_image: `build: builtin                  # mcpgw builds LiteLLM ${BUILTIN_LITELLM_VERSION} (DB mode) from PyPI; no registry needed`,
    postgres_image: `build: builtin                  # Debian's PostgreSQL ${BUILTIN_POSTGRES_MAJOR}, built by mcpgw`,
    everything_source: [
      `    build: { npm: "${EVERYTHING_PACKAGE}" }   # installed into the image at build time`,
      '    command: ["mcp-server-everything", "streamableHttp"]',
    ].join('\n'),
  },
} as const;

/** The commented mcpgw.yaml and a secrets file with freshly generated values. Pure given `random`. */
export function scaffold(host: string, templates: Templates, random: (size: number) => Buffer, source: keyof typeof SOURCES = 'online'): Scaffold {
  return {
    mcpgwYaml: fillPlaceholders(templates.mcpgwYaml, { host, ...SOURCES[source] }),
    secretsEnv: fillPlaceholders(templates.secretsEnv, {
      name: 'litellm',
      master_key: generateKey(random),
      salt_key: generateKey(random),
      postgres_password: generatedSecret(random),
      postgres_admin_password: generatedSecret(random),
      postgres_keys_password: generatedSecret(random),
      claude_code_key: generateKey(random),
      backup_key: generatedSecret(random),
    }),
  };
}
