#!/usr/bin/env node
// Stand-in for `prisma migrate deploy`, which the official litellm-database image runs at start-up and
// which needs Prisma's native schema engine (not obtainable from a package registry; see README.md).
// It applies litellm-proxy-extras' migrations in Prisma's order and keeps Prisma's `_prisma_migrations`
// ledger, so a DB set up this way is what the real image would leave behind. Unlike Prisma it never baselines:
// LiteLLM's tables without a ledger stop the start-up (exit 3) with the cause and the fix.
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const dir = process.argv[2];
const url = process.env.DATABASE_URL;
if (!dir || !url) {
  console.error('usage: DATABASE_URL=… migrate-deploy.mjs <migrations dir>');
  process.exit(2);
}
// Prisma orders directories by name; litellm-proxy-extras uses 8- to 14-digit timestamps.
const names = readdirSync(dir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && /^\d{8,14}_/.test(entry.name))
  .map((entry) => entry.name)
  .sort();

const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  await client.query('SELECT pg_advisory_lock(72707369)');
  const ledger = (await client.query(`SELECT to_regclass('"_prisma_migrations"') AS t`)).rows[0].t;
  const hasTables = (await client.query(`SELECT to_regclass('"LiteLLM_VerificationToken"') AS t`)).rows[0].t;
  // LiteLLM's tables without a ledger (a schema made by `prisma db push` or rebuilt by hand): which migrations it
  // has is unknown. Prisma would baseline it (P3005) and record every migration as applied without running one,
  // and LiteLLM would then fail at run time on the columns it lacks, so refuse before anything is written.
  if (!ledger && hasTables) {
    console.error(
      'migrate-deploy: refusing to start LiteLLM: the database has LiteLLM\'s tables but no "_prisma_migrations" ledger, ' +
        'so which of the image\'s migrations its schema has is unknown (a schema made by `prisma db push` or rebuilt by hand); ' +
        'recording them all as applied without running them would leave LiteLLM failing on missing columns. ' +
        'Fix: restore a backup of this database that has its ledger (mcpgw restore), or let `mcpgw upgrade` verify the schema.',
    );
    process.exitCode = 3;
  } else {
    await migrate(client);
  }
} finally {
  await client.end();
}

async function migrate(client) {
  await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
  const done = new Set((await client.query('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL')).rows.map((row) => row.migration_name));
  let applied = 0;
  for (const name of names) {
    if (done.has(name)) continue;
    const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
    // One simple query per file: Postgres runs a multi-statement string as one transaction and a single
    // CREATE INDEX CONCURRENTLY in autocommit, as Prisma does.
    await client.query(sql);
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)',
      [randomUUID(), createHash('sha256').update(sql).digest('hex'), name],
    );
    applied++;
  }
  console.error(`migrate-deploy: ${applied} migration(s) applied, ${names.length - applied} already there`);
}
