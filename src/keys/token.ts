import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';

/** LiteLLM refuses a bearer that is not the master key unless it starts with this. */
export const KEY_PREFIX = 'sk-';
/** LiteLLM's MINIMUM_CUSTOM_KEY_LENGTH: shorter keys are shown as a bare "sk-...". */
const MINIMUM_KEY_LENGTH = 16;
/** The length mcpgw asks of keys it writes itself; LiteLLM admits shorter ones, so existing keys only get a warning. */
const STRONG_KEY_LENGTH = 24;
/**
 * Printable ASCII without space. An HTTP header value reaches LiteLLM as Latin-1 bytes, so a UTF-8 client's
 * non-ASCII key hashes differently there (401), and Node's fetch refuses to send one at all.
 */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

/** A new virtual key: the prefix and 32 random bytes, URL-safe (as strong as LiteLLM's own). */
export function generateKey(random: (size: number) => Buffer): string {
  return `${KEY_PREFIX}${random(32).toString('base64url')}`;
}

/** The `token` column: sha256 hex of the whole key, exactly as LiteLLM's hash_token computes it. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The `key_name` column: LiteLLM's abbreviate_api_key, for display. Python counts code points, not UTF-16 units. */
export function abbreviateKey(key: string): string {
  const codePoints = [...key];
  return codePoints.length < MINIMUM_KEY_LENGTH ? 'sk-...' : `sk-...${codePoints.slice(-4).join('')}`;
}

/** Rejects keys LiteLLM would refuse or clients cannot send, naming the rule, never the key. */
export function validateKey(key: string, where: string): void {
  if (!key.startsWith(KEY_PREFIX)) {
    throw new UserError(
      `${where} does not start with "${KEY_PREFIX}"`,
      'LiteLLM only accepts virtual keys that start with sk- (mcpgw keys create generates one)',
    );
  }
  if (!KEY_CHARACTERS.test(key)) {
    throw new UserError(
      `${where} contains whitespace, control or non-ASCII characters`,
      'clients send the key as an HTTP header, which carries printable ASCII only (LiteLLM would ' +
        'see other bytes and refuse it): use sk- followed by letters, digits and punctuation, or ' +
        'let mcpgw generate the key',
    );
  }
}

/** A key mcpgw writes into LiteLLM's database: LiteLLM's rules plus a length that makes guessing hopeless. */
export function validateNewKey(key: string, where: string): void {
  validateKey(key, where);
  if (key.length < STRONG_KEY_LENGTH) {
    throw new UserError(
      `${where} is too short for a key mcpgw writes (under ${STRONG_KEY_LENGTH} characters)`,
      `use at least ${STRONG_KEY_LENGTH} characters, or let mcpgw generate the key`,
    );
  }
}

/** A warning for an existing key that works but is easy to guess, or undefined. */
export function weakKeyWarning(key: string, where: string): string | undefined {
  return key.length < STRONG_KEY_LENGTH
    ? `${where} is under ${STRONG_KEY_LENGTH} characters: LiteLLM accepts it, but it is easy to guess; consider \`mcpgw keys rotate\``
    : undefined;
}

/** The master key opens every admin route: it must never be handed to a client or stored as a virtual key. */
export function refuseMasterKey(key: string, masterKey: string | undefined, where: string): void {
  if (masterKey && key === masterKey) {
    throw new UserError(
      `${where} is the LiteLLM master key`,
      'give clients a virtual key instead: `mcpgw keys create --alias <name> --mcp <servers>` (or declare one under keys: in mcpgw.yaml)',
    );
  }
}
