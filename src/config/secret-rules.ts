import type { ConfigIssue } from '../errors.js';
import { GENERATED_SECRETS } from './generated-secrets.js';
import type { McpgwConfig } from './schema.js';
import { secretLine, type Secrets } from './secrets.js';

/** LiteLLM only accepts bearer keys that start with this, the master key included. */
const MASTER_KEY_PREFIX = 'sk-';
/** Shorter than LiteLLM's own minimum for custom keys is guessable. */
const MASTER_KEY_MIN_LENGTH = 16;

/**
 * The secret values the stack needs, checked before anything is rendered or started: each is set and not
 * empty, the master key is one LiteLLM accepts, an external database URL is a postgresql:// URL. Every problem
 * names the variable and its line in the secrets file, never the value.
 */
export function checkSecrets(config: McpgwConfig, required: readonly string[], secrets: Secrets): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const push = (name: string, message: string, fix: string) => {
    const line = secretLine(secrets, name);
    issues.push({ path: name, message, fix, ...(line !== undefined ? { line, column: 1 } : {}) });
  };
  for (const name of [...new Set(required)].sort()) {
    const value = secrets.get(name);
    if (value === undefined) {
      push(
        name,
        'is not set',
        GENERATED_SECRETS.includes(name)
          ? `\`mcpgw up\` adds it (a secret mcpgw generates: its database roles' and Redis's passwords, Prometheus's scrape key)`
          : `add ${name}=… to the secrets file (\`mcpgw init\` writes the standard ones)`,
      );
    } else if (value.trim() === '') push(name, 'is empty', `give ${name} a value (for a password: \`openssl rand -hex 24\`)`);
  }
  const masterName = config.litellm.master_key;
  const master = secrets.get(masterName);
  if (master?.trim()) {
    const generate = `set ${masterName}=sk-<random> (\`openssl rand -hex 24\` after sk-; \`mcpgw init\` generates one)`;
    if (!master.startsWith(MASTER_KEY_PREFIX)) push(masterName, `does not start with ${MASTER_KEY_PREFIX}: LiteLLM refuses a master key without it`, generate);
    else if (master.length < MASTER_KEY_MIN_LENGTH || /\s/.test(master))
      push(masterName, `is too short or has spaces: a master key needs at least ${MASTER_KEY_MIN_LENGTH} characters`, generate);
  }
  if (config.postgres.mode === 'external') {
    const url = secrets.get(config.postgres.url);
    if (url?.trim() && !/^postgres(ql)?:\/\/[^\s]+$/.test(url))
      push(config.postgres.url, 'is not a postgresql:// URL', `set ${config.postgres.url}=postgresql://user:password@host:5432/database`);
  }
  return issues;
}
