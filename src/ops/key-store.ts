import { databaseUrl } from '../db/connect.js';
import type { Engine } from '../docker/engine.js';
import { KeyStore } from '../keys/store.js';
import { lazyDocker, type OpContext } from './context.js';
import type { LoadedStack } from './stack.js';

/** Opens LiteLLM's database for key work (schema checked), runs `work`, and always closes the connection. */
export async function withKeyStore<T>(
  ctx: OpContext,
  stack: LoadedStack,
  work: (store: KeyStore, stack: LoadedStack) => Promise<T>,
  engine: () => Promise<Engine> = lazyDocker(ctx),
): Promise<T> {
  const url = await databaseUrl(stack.loaded, stack.model, stack.secrets, engine);
  ctx.ui.addSecrets([url]);
  const db = await ctx.deps.database(url);
  try {
    const store = new KeyStore(db, () => new Date(ctx.deps.clock.now()));
    await store.assertSchema();
    return await work(store, stack);
  } finally {
    await db.end();
  }
}
