import { declaredKeySecret, keySecretName } from '../config/key-secrets.js';
import type { McpgwConfig } from '../config/schema.js';
import type { Secrets } from '../config/secrets.js';
import { UserError } from '../errors.js';

/**
 * mcpgw.yaml's text with the key declared by `tokenSha256` declared by `secret` instead: the one
 * `token_sha256: <hash>` pair becomes `secret: <name>` in place (block or flow style, quotes and comments kept),
 * for a key `keys rotate` gave a value mcpgw now holds.
 */
export function declareBySecret(text: string, tokenSha256: string, secret: string, file = 'mcpgw.yaml'): string {
  const pair = new RegExp(`\\btoken_sha256(\\s*:\\s*)(["']?)${tokenSha256}\\2(?![0-9a-f])`, 'g');
  const found = text.match(pair)?.length ?? 0;
  if (found !== 1) {
    throw new UserError(
      `${file} holds token_sha256: ${tokenSha256.slice(0, 12)}… ${found === 0 ? 'nowhere' : `${found} times`} mcpgw can rewrite`,
      `declare the key with \`secret: ${secret}\` instead of token_sha256 by hand, then run \`mcpgw keys rotate\``,
    );
  }
  return text.replace(pair, (_match, colon: string, quote: string) => `secret${colon}${quote}${secret}${quote}`);
}

/** A key declared by its hash (token_sha256), asked for by alias: mcpgw keeps its row but never had its value. */
export function keyKnownByHash(alias: string): UserError {
  return new UserError(
    `the key "${alias}" is declared by its hash (token_sha256): mcpgw has no value for it`,
    `pass the key its clients already use instead of the alias, or \`mcpgw keys rotate ${alias}\` to give it a value mcpgw keeps (its clients then need the new one)`,
  );
}

/**
 * The secret under which mcpgw keeps the value of the key called `alias`, when it keeps one: a key declared in
 * mcpgw.yaml by value (under its secret), else one `keys create --save` kept under the alias's default secret (a
 * secret some declared key names is that key's, not a saved one). A key declared by its hash has none.
 */
export function keptKeySecret(config: Pick<McpgwConfig, 'keys'>, secrets: Secrets, alias: string): string | undefined {
  const declared = config.keys.find((key) => key.alias === alias);
  if (declared?.token_sha256) return undefined;
  const secret = declared ? declaredKeySecret(declared) : keySecretName(alias);
  if (!declared && config.keys.some((key) => !key.token_sha256 && declaredKeySecret(key) === secret)) return undefined;
  return secrets.get(secret) ? secret : undefined;
}

/**
 * The value of the key called `alias`, from the secrets file (see keptKeySecret). When there is none, the error says
 * why mcpgw has no value (a key is shown once unless saved) and what to pass instead; it names the secret, never a value.
 */
export function aliasKeyValue(config: Pick<McpgwConfig, 'keys'>, secrets: Secrets, secretsFile: string, alias: string): { value: string; secret: string } {
  const declared = config.keys.find((key) => key.alias === alias);
  if (declared?.token_sha256) throw keyKnownByHash(alias);
  const secret = keptKeySecret(config, secrets, alias);
  const value = secret && secrets.get(secret);
  if (secret && value) return { value, secret };
  if (declared)
    throw new UserError(
      `no value for the key "${alias}": ${secretsFile} has no ${declaredKeySecret(declared)}`,
      `run \`mcpgw up\` or \`mcpgw keys sync\` (they create declared keys), or add ${declaredKeySecret(declared)}=sk-… to ${secretsFile}`,
    );
  throw new UserError(
    `mcpgw keeps no value for "${alias}": it is not declared in mcpgw.yaml, and \`mcpgw keys create\` shows a key once unless given --save`,
    `pass the key itself (sk-…, as \`keys create\` printed it), or \`mcpgw keys rotate ${alias} --save\` for a new value mcpgw keeps in ${secretsFile} ` +
      `(its clients then need it)${config.keys.length ? `; aliases declared in mcpgw.yaml: ${config.keys.map((key) => key.alias).join(', ')}` : ''}`,
  );
}
