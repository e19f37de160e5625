import { randomBytes } from 'node:crypto';
import { chmod, cp } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/connect.js';
import { databaseSchema } from '../../src/doctor/checks/database-schema.js';
import { DoctorContext } from '../../src/doctor/context.js';
import { clockAt, withTempDir } from '../helpers/cli.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { FakeHost } from '../helpers/fake-host.js';
import { fixtureStack } from '../helpers/fixtures.js';

const RUNNING = 'registry.lan:5000/litellm:1.108.7';
const SHIPPED = ['20250101000000_a', '20250201000000_b', '20250301000000_c'];

/** The engine as the check uses it: the stack's LiteLLM container, its image, and the listing run inside that image. */
class SchemaEngine extends FakeEngine {
  readonly listed: { image: string; networks: string[] }[] = [];
  constructor() {
    super();
    this.containers.push({ id: 'c1', name: 'gateway-litellm', image: RUNNING, labels: { 'io.mcpgw.stack': 'gateway' }, state: 'running', status: 'Up' });
    this.images.set(RUNNING, 'sha256:running');
  }
  override async containerAddress(): Promise<string> {
    return '172.30.0.2';
  }
  override async runOnce(spec: { image: string; networks: string[] }): Promise<{ exitCode: number; output: string }> {
    this.listed.push({ image: spec.image, networks: spec.networks });
    return { exitCode: 0, output: `0.4.110\n/opt/venv/migrations\n${SHIPPED.join('\n')}\n` };
  }
}

/** A database holding LiteLLM's tables (or not) and the given ledger rows (none: no ledger table). */
function database(ledger: { name: string; finished: boolean; rolled_back: boolean }[] | undefined, tables = 40): SqlClient {
  return {
    async query(sql: string) {
      if (sql.includes('unnest')) {
        const present = tables > 0 ? 'x' : null;
        return {
          rows: ['LiteLLM_VerificationToken', 'LiteLLM_ObjectPermissionTable', 'LiteLLM_UserTable'].map((name) => ({ name, present })),
          rowCount: 3,
        } as never;
      }
      if (sql.includes('AS ledger')) return { rows: [{ ledger: ledger !== undefined, tables: String(tables) }], rowCount: 1 } as never;
      if (sql.includes('FROM public._prisma_migrations')) return { rows: ledger ?? [], rowCount: ledger?.length ?? 0 } as never;
      throw new Error(`unexpected SQL: ${sql}`);
    },
    async end() {},
  };
}

async function check(ledger: Parameters<typeof database>[0], tables?: number) {
  return withTempDir(async (dir) => {
    await cp(fixtureStack('http').dir, dir, { recursive: true });
    await chmod(path.join(dir, 'secrets.env'), 0o600);
    const engine = new SchemaEngine();
    const ctx = new DoctorContext({
      configFile: path.join(dir, 'mcpgw.yaml'),
      cwd: dir,
      env: {},
      clock: clockAt('2026-11-26T12:00:00Z'),
      randomBytes,
      protect: () => undefined,
      docker: async () => engine,
      database: async () => database(ledger, tables),
      hostShell: async () => new FakeHost(),
      requestTimeoutMs: 1000,
      offline: true,
      uid: process.getuid?.(),
    });
    const outcome = await databaseSchema.run(ctx);
    return { outcome, listed: engine.listed };
  });
}

const rows = (...names: string[]) => names.map((name) => ({ name, finished: true, rolled_back: false }));

describe('doctor database.schema: the ledger against the running image', () => {
  it('passes when the ledger has every migration the running image ships, read from inside that image without network', async () => {
    const { outcome, listed } = await check(rows(...SHIPPED));
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence).toEqual([
      `image: ${RUNNING} (container gateway-litellm)`,
      'litellm-proxy-extras 0.4.110: 3 migrations',
      `all 3 migrations of ${RUNNING} applied (newest 20250301000000_c)`,
    ]);
    expect(listed).toEqual([{ image: RUNNING, networks: ['none'] }]);
  });

  it('warns when behind, with mcpgw upgrade as the fix', async () => {
    const { outcome } = await check(rows('20250101000000_a'));
    expect(outcome.status).toBe('warn');
    expect(outcome.evidence[2]).toMatch(/1 migrations applied, 2 of .* still to apply \(20250201000000_b, 20250301000000_c\)/);
    expect(outcome.causes?.[0]?.fix).toMatch(/mcpgw upgrade/);
  });

  it('fails ahead of the image (a downgrade), on failed rows, and on LiteLLM tables without a ledger, each with its fix', async () => {
    const ahead = (await check(rows(...SHIPPED, '20260101000000_newer'))).outcome;
    expect([ahead.status, ahead.causes?.[0]?.fix]).toEqual(['fail', expect.stringMatching(/mcpgw upgrade --to VERSION/)]);
    const failed = (await check([...rows('20250101000000_a'), { name: '20250201000000_b', finished: false, rolled_back: false }])).outcome;
    expect([failed.status, failed.evidence[2]]).toEqual(['fail', 'migration(s) failed or rolled back in the ledger: 20250201000000_b']);
    expect(failed.causes?.[0]?.fix).toMatch(/mcpgw restore FILE/);
    const unverifiable = (await check(undefined)).outcome;
    expect(unverifiable.status).toBe('fail');
    expect(unverifiable.evidence[2]).toMatch(/^40 LiteLLM tables but no _prisma_migrations ledger/);
    expect(unverifiable.causes?.[0]?.cause).toMatch(/cannot be checked/);
  });

  it('fails a database LiteLLM never migrated, naming the start-up that migrates it', async () => {
    const { outcome } = await check(undefined, 0);
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence).toEqual(['missing tables: LiteLLM_VerificationToken, LiteLLM_ObjectPermissionTable, LiteLLM_UserTable']);
    expect(outcome.causes?.[0]?.fix).toMatch(/mcpgw up/);
  });
});
