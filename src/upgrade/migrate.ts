import { randomBytes } from 'node:crypto';
import type { Engine } from '../docker/engine.js';
import { StepFailed } from '../errors.js';
import { RECIPE_LABEL } from '../images/builtin.js';
import type { ImageMigrations } from '../litellm/migrations.js';

/** Prisma's migrations on a database of any size: generous, and the run is killed past it. */
const MIGRATE_TIMEOUT_MS = 15 * 60_000;

export interface MigrationRun {
  image: string;
  shipped: ImageMigrations;
  /** LiteLLM's DATABASE_URL as seen from `networks` (passed in the environment only). */
  databaseUrl: string;
  networks: string[];
  labels: Record<string, string>;
  name: string;
}

/**
 * The target's migrations, run once by the target image itself before any LiteLLM of it serves (LiteLLM's
 * documented practice). mcpgw's DB-mode images (recipe litellm-db) migrate with images/litellm-db/migrate-deploy.mjs,
 * which their start.sh runs: here that script alone, on the folder the image ships. LiteLLM's own images run
 * `litellm --skip_server_startup` (proxy_cli.py: PrismaManager.setup_database, i.e. `prisma migrate deploy`, then
 * exit before serving).
 */
export async function runMigrations(engine: Engine, run: MigrationRun): Promise<string> {
  const mcpgwBuilt = (await engine.imageLabels(run.image))?.[RECIPE_LABEL] === 'litellm-db';
  const command = mcpgwBuilt
    ? { entrypoint: ['node', '/opt/prisma-engine-shim/migrate-deploy.mjs', run.shipped.dir], cmd: [] }
    : { entrypoint: ['litellm'], cmd: ['--skip_server_startup'] };
  const result = await engine.runOnce(
    {
      name: `${run.name}-${randomBytes(4).toString('hex')}`,
      image: run.image,
      ...command,
      env: [`DATABASE_URL=${run.databaseUrl}`, 'DISABLE_SCHEMA_UPDATE=false'],
      labels: run.labels,
      networks: run.networks,
    },
    MIGRATE_TIMEOUT_MS,
  );
  const lines = result.output.trimEnd().split('\n');
  if (result.exitCode !== 0) throw new MigrationFailed(run.image, result.exitCode, errorLine(lines), lines.slice(-15).join('\n'));
  return lines.at(-1) ?? '';
}

/** The database's own words from a failed run's output (pg's `error: …`, Prisma's `Error: P3018 …`), else its last line. */
function errorLine(lines: string[]): string {
  return (lines.find((line) => /^\s*(?:error|Error|DatabaseError)\b[:\s]/.test(line) || /\bERROR:/.test(line)) ?? lines.at(-1) ?? '').trim();
}

export class MigrationFailed extends StepFailed {
  constructor(
    readonly image: string,
    readonly runExit: number,
    /** The error as the database or Prisma gave it, on one line. */
    readonly error: string,
    readonly tail: string,
  ) {
    super(`the migrations of ${image} failed (exit ${runExit}): ${error}\n${tail}`, 'the output above names the error');
  }
}
