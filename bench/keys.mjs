#!/usr/bin/env node
// `keys sync` of N declared keys into LiteLLM's real schema: into an empty DB and again (no-op), against the
// same rows written by psql as one multi-row INSERT per table. Needs the test images (test/stack/prepare.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { desiredKey } from '../dist/keys/desired.js';
import { KeyStore } from '../dist/keys/store.js';
import { generateKey } from '../dist/keys/token.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(root, 'test/stack/.work/manifest.json'), 'utf8'));
const count = Number(process.env.BENCH_KEYS ?? 1000);
const run = `mcpgwbench-keys-${process.pid}`;
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const password = 'benchpassword';

function waitHealthy(container) {
  for (let i = 0; i < 120; i++) {
    if (docker('inspect', '-f', '{{.State.Health.Status}}', container) === 'healthy') return;
    spawnSync('sleep', ['0.5']);
  }
  throw new Error(`${container} did not become healthy`);
}

const time = async (fn) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

docker('network', 'create', '--label', 'io.mcpgw.test=1', run);
try {
  docker(
    'run',
    '-d',
    '--name',
    run,
    '--network',
    run,
    '--label',
    'io.mcpgw.test=1',
    '-e',
    'POSTGRES_USER=litellm',
    '-e',
    `POSTGRES_PASSWORD=${password}`,
    '-e',
    'POSTGRES_DB=litellm',
    manifest.images.postgres,
  );
  waitHealthy(run);
  const url = `postgresql://litellm:${password}@${run}:5432/litellm`;
  // LiteLLM's own migrations, applied the way the DB-mode test image applies them at start-up.
  docker(
    'run',
    '--rm',
    '--network',
    run,
    '-e',
    `DATABASE_URL=${url}`,
    '--entrypoint',
    'sh',
    manifest.images.litellmDb,
    '-c',
    'node /opt/prisma-engine-shim/migrate-deploy.mjs "$(python -c \'import litellm_proxy_extras,os;print(os.path.join(os.path.dirname(litellm_proxy_extras.__file__),"migrations"))\')"',
  );
  const host = docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${run}").IPAddress}}`, run);
  const db = new pg.Client({ host, user: 'litellm', password, database: 'litellm' });
  await db.connect();
  const store = new KeyStore(db, () => new Date());
  const ids = new Map([
    ['alpha', 'a'.repeat(32)],
    ['beta', 'b'.repeat(32)],
  ]);
  const keys = Array.from({ length: count }, (_, i) =>
    desiredKey(
      {
        alias: `bench-${i}`,
        key: generateKey(randomBytes),
        models: ['m1'],
        mcpServers: i % 2 ? ['alpha'] : ['alpha', 'beta'],
        mcpGroups: [],
        expires: '90d',
        // The key settings as code (issue 16): a tool allow-list, rate limits and a budget window on every key.
        mcpTools: { alpha: ['echo', 'add'] },
        rpmLimit: 60,
        tpmLimit: 100000,
        maxParallelRequests: 4,
        budget: 10,
        budgetDuration: '30d',
      },
      ids,
    ),
  );
  const wipe = async () => {
    await db.query('DELETE FROM "LiteLLM_VerificationToken"');
    await db.query('DELETE FROM "LiteLLM_ObjectPermissionTable"');
  };

  const cold = await time(() => store.sync(keys, { dryRun: false }));
  const noop = await time(() => store.sync(keys, { dryRun: false }));
  await wipe();

  // Baseline: the same rows as two plain multi-row INSERTs, run by psql on this machine.
  const quote = (value) => `'${String(value).replace(/'/g, "''")}'`;
  const array = (values) => `ARRAY[${values.map(quote).join(',')}]::text[]`;
  const perms = keys
    .map((key, i) => `(${quote(`perm-${i}`)}, ${array(key.mcpServers)}, '{}', ${quote(JSON.stringify(key.toolPermissions))}::jsonb)`)
    .join(',\n');
  const tokens = keys
    .map(
      (key, i) =>
        `(${quote(key.token)}, ${quote(key.keyName)}, ${quote(key.alias)}, ${array(key.models)}, ` +
        `now() + interval '90 days', ${key.budget}, ${quote(key.budgetDuration)}, now(), ` +
        `${key.rpmLimit}, ${key.tpmLimit}, ${key.maxParallelRequests}, ${quote(`perm-${i}`)}, ` +
        `'mcpgw', 'mcpgw')`,
    )
    .join(',\n');
  const sql =
    `BEGIN;\nINSERT INTO "LiteLLM_ObjectPermissionTable" (object_permission_id, mcp_servers, ` +
    `mcp_access_groups, mcp_tool_permissions) VALUES\n${perms};\nINSERT INTO ` +
    `"LiteLLM_VerificationToken" (token, key_name, key_alias, models, expires, max_budget, ` +
    `budget_duration, budget_reset_at, rpm_limit, tpm_limit, max_parallel_requests, ` +
    `object_permission_id, created_by, updated_by) VALUES\n${tokens};\nCOMMIT;\n`;
  const psql = await time(async () => {
    const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', host, '-U', 'litellm', '-d', 'litellm'], {
      input: sql,
      env: { ...process.env, PGPASSWORD: password },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(result.stderr);
  });
  await db.end();

  console.log(`keys sync, ${count} keys into an empty DB: ${cold.toFixed(0)} ms (${Math.round(count / (cold / 1000))} keys/s)`);
  console.log(`psql multi-row INSERT of the same rows:  ${psql.toFixed(0)} ms  -> sync is ${(cold / psql).toFixed(2)}x psql (target within 2x)`);
  console.log(`keys sync again (no-op):                 ${noop.toFixed(0)} ms  -> ${(noop / psql).toFixed(2)}x psql`);
} finally {
  spawnSync('docker', ['rm', '-f', run]);
  spawnSync('docker', ['network', 'rm', run]);
}
