import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';

/** LiteLLM refuses a bearer that is not the master key unless it starts with this. */
export const KEY_PREFIX = 'sk-';
/** LiteLLM's MINIMUM_CUSTOM_KEY_LENGTH: shorter keys are shown as a bare "sk-...". */
const MINIMUM_KEY_LENGTH = 16;

/** A new virtual key: the prefix and 32 random bytes, URL-safe (as strong as LiteLLM's own). */
export function generateKey(random: (size: number) => Buffer): string {
  return `${KEY_PREFIX}${random(32).toString('base64url')}`;
}

/** The `token` column: sha256 hex of the whole key, exactly as LiteLLM's hash_token computes it. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The `key_name` column: LiteLLM's abbreviate_api_key, for display. */
export function abbreviateKey(key: string): string {
  return key.length < MINIMUM_KEY_LENGTH ? 'sk-...' : `sk-...${key.slice(-4)}`;
}

/** Rejects keys LiteLLM would refuse, naming the rule, never the key. */
export function validateKey(key: string, where: string): void {
  if (!key.startsWith(KEY_PREFIX)) {
    throw new UserError(`${where} does not start with "${KEY_PREFIX}"`, 'LiteLLM only accepts virtual keys that start with sk- (mcpgw keys create generates one)');
  }
  if (key.length < MINIMUM_KEY_LENGTH + 8 || /\s/.test(key)) {
    throw new UserError(`${where} is too short or contains whitespace`, 'use at least 24 characters without spaces, or let mcpgw generate the key');
  }
}
