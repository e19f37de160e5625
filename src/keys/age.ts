import type { KeyRow } from './store.js';

export interface StaleKey {
  alias: string | null;
  keyName: string;
  createdAt: string;
  ageDays: number;
}

/**
 * Keys due for rotation: live keys (not blocked, not expired) whose value is older than `maxAgeSeconds`
 * (`keys_max_age` in mcpgw.yaml, via durationSeconds), counted from the last rotation (the row is kept, like
 * LiteLLM's /key/regenerate keeps it) or else the row's creation; rows without either (written by hand) cannot
 * be judged. Pure, so
 * `mcpgw doctor` can run it on `KeyStore.list()` and turn each result into a warning with the fix
 * `mcpgw keys rotate <alias>`.
 */
export function keysOlderThan(
  rows: readonly (Pick<KeyRow, 'alias' | 'keyName' | 'createdAt' | 'expires' | 'blocked'> & { lastRotationAt?: Date | null })[],
  maxAgeSeconds: number,
  now: Date,
): StaleKey[] {
  const cutoff = now.getTime() - maxAgeSeconds * 1000;
  return rows
    .map((row) => ({ row, since: row.lastRotationAt ?? row.createdAt }))
    .filter(({ row, since }) => !row.blocked && since !== null && since.getTime() < cutoff && !(row.expires && row.expires.getTime() <= now.getTime()))
    .map(({ row, since }) => ({
      alias: row.alias,
      keyName: row.keyName,
      createdAt: (since as Date).toISOString(),
      ageDays: Math.floor((now.getTime() - (since as Date).getTime()) / 86_400_000),
    }))
    .sort((a, b) => b.ageDays - a.ageDays);
}
