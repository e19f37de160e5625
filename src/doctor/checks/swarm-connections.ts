import { litellmWorkers } from '../../swarm/replica-findings.js';
import { fail, pass, type Check, type CheckOutcome } from '../types.js';

/** LiteLLM 1.108.7's pool per worker when general_settings sets none (proxy_cli.py, LiteLLMDatabaseConnectionPool). */
export const LITELLM_DEFAULT_POOL_LIMIT = 10;
/** The migration job's one connection (migrate-deploy.mjs's pg client, or `prisma migrate deploy`), which can run during a roll. */
const MIGRATION_CONNECTIONS = 1;
/** mcpgw's own at most: doctor's read connection and its two temporary keys' (keys and probe take fewer). */
const MCPGW_CONNECTIONS = 3;

export interface ConnectionBudget {
  replicas: number;
  workers: number;
  poolLimit: number;
  /** Where poolLimit comes from. */
  poolFrom: string;
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections: slots LiteLLM's role (no superuser) cannot take. */
  reserved: number;
}

/**
 * What the replicas can open against what Postgres admits: (replicas + 1) × workers × pool limit (a rolling change
 * starts each new replica before it stops the old one), plus the migration job and mcpgw's own.
 */
export function judgeConnections(budget: ConnectionBudget): CheckOutcome {
  const litellm = (budget.replicas + 1) * budget.workers * budget.poolLimit;
  const needed = litellm + MIGRATION_CONNECTIONS + MCPGW_CONNECTIONS;
  const admitted = budget.maxConnections - budget.reserved;
  const evidence = [
    `LiteLLM: (${budget.replicas} replica(s) + 1 during a roll) × ${budget.workers} worker(s) × pool ${budget.poolLimit} (${budget.poolFrom}) = ${litellm}`,
    `+ ${MIGRATION_CONNECTIONS} migration + ${MCPGW_CONNECTIONS} mcpgw = ${needed} at most`,
    `Postgres admits ${admitted} (max_connections ${budget.maxConnections} − ${budget.reserved} reserved)`,
  ];
  if (needed <= admitted) return pass(...evidence);
  const fewer = Math.max(1, Math.floor((admitted - MIGRATION_CONNECTIONS - MCPGW_CONNECTIONS) / (budget.workers * budget.poolLimit)) - 1);
  return fail(evidence, [
    {
      cause: `the replicas can open ${needed} connections, Postgres admits ${admitted}: under load (or during a roll) LiteLLM's requests fail with "too many clients"`,
      fix:
        `lower litellm.replicas in mcpgw.yaml to ${fewer} and \`mcpgw up\`, or raise max_connections on the Postgres server to at least ` +
        `${needed + budget.reserved} (mcpgw.yaml has no field for LiteLLM's pool limit)`,
    },
  ]);
}

export const swarmConnections: Check = {
  id: 'swarm.connections',
  title: "Postgres' max_connections admits what every replica's workers can open (replicas × workers × LiteLLM's pool limit)",
  area: 'swarm',
  needs: ['config', 'database'],
  only: { engine: 'swarm', why: 'one LiteLLM on one engine (litellm.replicas: 1): its pool is far below any max_connections' },
  async run(ctx) {
    const [{ config }, model, db, deployed] = await Promise.all([ctx.loaded(), ctx.model(), ctx.db(), ctx.deployedLitellmConfig().catch(() => undefined)]);
    const { rows } = await db.query<{ max: number; reserved: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved`,
    );
    const [row] = rows;
    if (!row) throw new Error('Postgres answered no settings');
    const settings = (deployed?.general_settings ?? {}) as Record<string, unknown>;
    const set = settings.database_connection_pool_limit;
    return judgeConnections({
      replicas: config.litellm.replicas,
      workers: litellmWorkers(model),
      poolLimit: typeof set === 'number' ? set : LITELLM_DEFAULT_POOL_LIMIT,
      poolFrom: typeof set === 'number' ? "config.yaml's general_settings.database_connection_pool_limit" : "LiteLLM's default",
      maxConnections: row.max,
      reserved: row.reserved,
    });
  },
};
