import { desiredKey } from './desired.js';
import type { KeyStore } from './store.js';
import { generateKey } from './token.js';

/** A key that exists only for the duration of a check. */
export interface KeyLease {
  key: string;
  release(): Promise<void>;
}

/** Lifetime of a check's own key: it is revoked at the end, and expires by itself if the run is killed. */
const LEASE_LIFETIME = '1h';

/**
 * A LiteLLM key row written for one run (probe, doctor) with the given MCP grants, revoked on release.
 * `protect` registers the key for redaction before anything can print it.
 */
export async function leaseKey(
  store: KeyStore,
  ids: Map<string, string>,
  servers: string[],
  deps: { randomBytes(size: number): Buffer; protect(value: string): void; prefix: string },
): Promise<KeyLease> {
  const key = generateKey(deps.randomBytes);
  deps.protect(key);
  const alias = `${deps.prefix}-${deps.randomBytes(4).toString('hex')}`;
  await store.create(desiredKey({ alias, key, models: [], mcpServers: servers, mcpGroups: [], expires: LEASE_LIFETIME }, ids));
  return { key, release: async () => void (await store.revoke({ alias })) };
}
