import type { McpgwConfig } from './schema.js';
import type { Secrets } from './secrets.js';

/** The secret that holds a declared key's value when its entry names none (`secret:`). */
export function keySecretName(alias: string): string {
  return `MCPGW_KEY_${alias.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The secret a declared key's value lives under: the one its entry names, else its alias's default. */
export function declaredKeySecret(key: { alias: string; secret?: string | undefined }): string {
  return key.secret ?? keySecretName(key.alias);
}

/** The declared keys mcpgw can present: those with a value in the secrets file (a key known by its hash has none). */
export function declaredKeyValues(config: Pick<McpgwConfig, 'keys'>, secrets: Secrets): { alias: string; key: string }[] {
  return config.keys.flatMap((key) => {
    if (key.token_sha256) return [];
    const value = secrets.get(declaredKeySecret(key));
    return value ? [{ alias: key.alias, key: value }] : [];
  });
}
