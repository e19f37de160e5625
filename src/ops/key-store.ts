import { readSecrets } from '../config/secrets.js';
import { databaseUrl, runningDatabaseUrl } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { KeyStore } from '../keys/store.js';
import { swarmDatabaseUrl } from '../swarm/database.js';
import { lazyDocker, type OpContext } from './context.js';
import type { InvalidStack, LoadedStack } from './stack.js';
import { isSwarm, swarmTarget } from './swarm-target.js';

/** Opens LiteLLM's database for key work (schema checked), runs `work`, and always closes the connection. */
export async function withKeyStore<T>(
  ctx: OpContext,
  stack: LoadedStack,
  work: (store: KeyStore, stack: LoadedStack) => Promise<T>,
  engine: () => Promise<Engine> = lazyDocker(ctx),
): Promise<T> {
  const { url, close } = await reachDatabase(ctx, stack, engine);
  try {
    return await withStoreAt(ctx, url, (store) => work(store, stack));
  } finally {
    await close();
  }
}

/**
 * The key store of the stack that runs when mcpgw.yaml does not validate (`keys list`): its database found from its
 * labelled containers and the secrets file the invalid file still names (src/db/connect.ts runningDatabaseUrl).
 */
export async function withRunningKeyStore<T>(ctx: OpContext, stack: InvalidStack, work: (store: KeyStore) => Promise<T>): Promise<T> {
  const secrets = await readSecrets(stack.secretsFile);
  ctx.ui.addSecrets(secrets.values());
  return withStoreAt(ctx, await runningDatabaseUrl(await ctx.deps.docker(), stack.name, secrets), work);
}

async function withStoreAt<T>(ctx: OpContext, url: string, work: (store: KeyStore) => Promise<T>): Promise<T> {
  ctx.ui.addSecrets([url]);
  const db = await ctx.deps.database(url);
  try {
    const store = new KeyStore(db, ctx.deps.clock);
    await store.assertSchema();
    return await work(store);
  } finally {
    await db.end();
  }
}

/** On one engine the database is routed to from here; on a swarm it is reached through a tunnel into a task. */
export async function reachDatabase(ctx: OpContext, stack: LoadedStack, engine: () => Promise<Engine>): Promise<{ url: string; close: () => Promise<void> }> {
  if (isSwarm(stack)) return swarmDatabaseUrl((await swarmTarget(ctx, stack)).cluster, stack.loaded, stack.secrets);
  return { url: await databaseUrl(stack.loaded, stack.model, stack.secrets, engine), close: async () => undefined };
}
