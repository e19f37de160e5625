import { keyHeaderValue } from '../gateway/key-header.js';

/** What stands in for the key when none was given (printing only: --write refuses to store it). */
export const KEY_PLACEHOLDER = '<your-litellm-key>';

/** The key header's value, with the placeholder when no key was given. */
export function bearer(key: string | undefined): string {
  return keyHeaderValue(key ?? KEY_PLACEHOLDER);
}

/**
 * The environment variable that holds `Bearer <key>` for configs that must not contain the key. One name per
 * server, the same for every client, so one `export` serves them all.
 */
export function authEnvVar(name: string): string {
  return `MCPGW_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_AUTH`;
}

/** The note telling the user what to export; it names the variable and never carries the key. */
export function exportNote(envVar: string, reader: string): string {
  return `${reader} reads the key from $${envVar}: export ${envVar}='Bearer <key>' in the environment that starts it`;
}
