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
