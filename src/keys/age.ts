import type { KeyRow } from './store.js';

export interface StaleKey {
  alias: string | null;
  keyName: string;
  createdAt: string;
  ageDays: number;
}

/**
 * Keys due for rotation: live keys (not blocked, not expired) whose row is older than `maxAgeSeconds`
 * (`keys_max_age` in mcpgw.yaml, via durationSeconds). A rotated key's old row is skipped once its grace
 * expiry has passed, and rows without a creation time (written by hand) cannot be judged. Pure, so
 * `mcpgw doctor` can run it on `KeyStore.list()` and turn each result into a warning with the fix
 * `mcpgw keys rotate <alias>`.
 */
export function keysOlderThan(rows: readonly Pick<KeyRow, 'alias' | 'keyName' | 'createdAt' | 'expires' | 'blocked'>[], maxAgeSeconds: number, now: Date): StaleKey[] {
  const cutoff = now.getTime() - maxAgeSeconds * 1000;
  return rows
    .filter((row) => !row.blocked && row.createdAt !== null && row.createdAt.getTime() < cutoff && !(row.expires && row.expires.getTime() <= now.getTime()))
    .map((row) => ({
      alias: row.alias,
      keyName: row.keyName,
      createdAt: (row.createdAt as Date).toISOString(),
      ageDays: Math.floor((now.getTime() - (row.createdAt as Date).getTime()) / 86_400_000),
    }))
    .sort((a, b) => b.ageDays - a.ageDays);
}
