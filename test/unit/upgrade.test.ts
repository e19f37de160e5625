import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { compareSchema, migrationsReader, parseImageMigrations, type Ledger, type LedgerRow } from '../../src/litellm/migrations.js';
import { setLitellmImage } from '../../src/mcp/yaml-edit.js';
import { cutOver, type CutoverSteps } from '../../src/upgrade/cutover.js';
import { grantsAfterCutover, masterKeyRefusal, preflight, type PreflightInput } from '../../src/upgrade/preflight.js';
import { changesVersion, resolveTarget } from '../../src/upgrade/target.js';
import type { Clock } from '../../src/time/clock.js';
import { fixtureStack } from '../helpers/fixtures.js';

const applied = (...names: string[]): LedgerRow[] => names.map((name) => ({ name, finished: true, rolledBack: false }));
const ledger = (rows: LedgerRow[], litellmTables = 30): Ledger => ({ present: true, litellmTables, rows });
const image = { names: ['20250101000000_a', '20250201000000_b', '20250301000000_c'] };

describe('compareSchema: a ledger against the migrations an image ships', () => {
  it('is current when every shipped name is applied and nothing else', () => {
    expect(compareSchema(ledger(applied('20250101000000_a', '20250201000000_b', '20250301000000_c')), image)).toEqual({
      state: 'current',
      applied: 3,
      newest: '20250301000000_c',
    });
  });

  it('is behind with the names still to apply, in order', () => {
    expect(compareSchema(ledger(applied('20250101000000_a')), image)).toEqual({
      state: 'behind',
      pending: ['20250201000000_b', '20250301000000_c'],
      applied: 1,
    });
  });

  it('is ahead (a downgrade) when the ledger has names the image lacks', () => {
    const verdict = compareSchema(ledger(applied(...image.names, '20260101000000_newer')), image);
    expect(verdict).toEqual({ state: 'ahead', unknown: ['20260101000000_newer'], pending: [] });
  });

  it('names failed and rolled-back rows, unless the same migration later finished', () => {
    const rows: LedgerRow[] = [
      ...applied('20250101000000_a'),
      { name: '20250201000000_b', finished: false, rolledBack: false },
      { name: '20250301000000_c', finished: true, rolledBack: true },
      { name: '20250301000000_c', finished: true, rolledBack: false },
    ];
    expect(compareSchema(ledger(rows), image)).toEqual({ state: 'failed', failed: ['20250201000000_b'], pending: ['20250201000000_b'], unknown: [] });
  });

  it('tells an empty database from LiteLLM tables without a ledger (unverifiable)', () => {
    expect(compareSchema({ present: false, litellmTables: 0, rows: [] }, image)).toEqual({ state: 'empty' });
    expect(compareSchema({ present: false, litellmTables: 41, rows: [] }, image)).toEqual({ state: 'unverifiable', tables: 41 });
  });
});

describe('reading the migrations an image ships', () => {
  it('parses the listing and refuses one without migrations', () => {
    const output = '0.4.110\n/opt/venv/lib/python3.11/site-packages/litellm_proxy_extras/migrations\n20250101000000_a\n20250201000000_b\n';
    expect(parseImageMigrations('img', { exitCode: 0, output })).toEqual({
      image: 'img',
      extras: '0.4.110',
      dir: '/opt/venv/lib/python3.11/site-packages/litellm_proxy_extras/migrations',
      names: ['20250101000000_a', '20250201000000_b'],
    });
    expect(() => parseImageMigrations('img', { exitCode: 1, output: "ModuleNotFoundError: No module named 'litellm_proxy_extras'" })).toThrow(
      /could not list the migrations img ships \(exit 1\): ModuleNotFoundError/,
    );
  });

  it('reads once per image id within a run, again for a tag that moved, never without a network-less container', async () => {
    const runs: { image: string; networks: string[] }[] = [];
    const ids = new Map([
      ['a:1', 'sha256:1'],
      ['b:1', 'sha256:1'],
    ]);
    const engine = {
      runOnce: async (spec: { image: string; networks: string[] }) => {
        runs.push({ image: spec.image, networks: spec.networks });
        return { exitCode: 0, output: '0.2.19\n/m\n20250101000000_a\n' };
      },
      imageId: async (name: string) => ids.get(name),
    };
    const read = migrationsReader(engine, {}, () => 'x');
    await read('a:1');
    await read('b:1');
    expect(runs).toEqual([{ image: 'a:1', networks: ['none'] }]);
    ids.set('a:1', 'sha256:2');
    await read('a:1');
    expect(runs).toHaveLength(2);
    await expect(read('missing:1')).rejects.toThrow(/not on this machine/);
  });
});

describe('the upgrade target', () => {
  it("defaults to the builtin release, maps versions to it or to LiteLLM's database image, and takes image references", () => {
    expect(resolveTarget(undefined)).toEqual({ image: 'mcpgw/litellm-db:1.108.7', version: '1.108.7', builtin: true });
    expect(resolveTarget('v1.108.7')).toEqual(resolveTarget(undefined));
    expect(resolveTarget('1.80.15')).toEqual({ image: 'ghcr.io/berriai/litellm-database:v1.80.15', version: '1.80.15', builtin: false });
    expect(resolveTarget('registry.lan/litellm-db:1.90.0')).toEqual({ image: 'registry.lan/litellm-db:1.90.0', version: '1.90.0', builtin: false });
    expect(() => resolveTarget('not an image')).toThrow(/neither a LiteLLM version nor an image reference/);
  });

  it('counts another version, or another unversioned image, as a version change', () => {
    expect(changesVersion('1.77.3', 'mcpgw/litellm-db:1.108.7')).toBe(true);
    expect(changesVersion('1.108.7', 'mcpgw/litellm-db:1.108.7')).toBe(false);
    // Not a LiteLLM mcpgw can tell (no tag version, no litellm package inside), or a floating tag configured: recreated.
    expect(changesVersion(undefined, 'mcpgw/litellm-db:1.108.7')).toBe(false);
    expect(changesVersion('1.108.7', 'ghcr.io/berriai/litellm:main-stable')).toBe(false);
  });
});

describe('preflight', () => {
  const base: PreflightInput = {
    target: resolveTarget(undefined),
    from: '1.77.3',
    verdict: { state: 'behind', pending: ['20250201000000_b'], applied: 1 },
    masterKey: { name: 'LITELLM_MASTER_KEY', value: 'sk-0123456789abcdef' },
    keys: [{ label: 'app', grants: 1, active: true }],
    adoptedGaps: [],
  };

  it('lets a clean stack through', () => {
    expect(preflight(base)).toEqual([]);
  });

  it('reports every blocker at once, each with its fix', () => {
    const findings = preflight({
      ...base,
      verdict: { state: 'ahead', unknown: ['20260101000000_newer'], pending: [] },
      masterKey: { name: 'LITELLM_MASTER_KEY', value: ' sk-1234 ' },
      keys: [
        { label: 'hand-row', grants: 0, active: true },
        { label: 'blocked', grants: 0, active: false },
        { label: 'app', grants: 2, active: true },
      ],
      adoptedGaps: [{ what: 'adopted gap', fix: 'fill it' }],
    });
    expect(findings.map((finding) => finding.what)).toEqual([
      expect.stringMatching(/^downgrade refused: the ledger has 1 migration\(s\) mcpgw\/litellm-db:1.108.7 does not ship/),
      expect.stringMatching(/^LITELLM_MASTER_KEY is the publicly known sk-1234: LiteLLM 1.108.7 refuses to start with it/),
      expect.stringMatching(/^key\(s\) hand-row have no MCP grant: LiteLLM 1.77.3 gives them every server, 1.108.7 none/),
      'adopted gap',
    ]);
    for (const finding of findings) expect(finding.fix).not.toBe('');
  });

  it('refuses an unverifiable schema and failed migrations', () => {
    expect(preflight({ ...base, verdict: { state: 'unverifiable', tables: 40 } })[0]?.what).toMatch(/^unverifiable schema/);
    expect(preflight({ ...base, verdict: { state: 'failed', failed: ['x'], pending: ['x'], unknown: [] } })[0]?.fix).toMatch(
      /restore the backup made before x/,
    );
  });

  it('judges master keys as 1.108.7 does and grantless keys only across 1.80', () => {
    expect([undefined, '  ', 'sk-1234', 'sk-12345'].map(masterKeyRefusal)).toEqual(['is not set', 'is blank', 'is the publicly known sk-1234', undefined]);
    const grantless = [{ label: 'hand-row', grants: 0, active: true }];
    expect(preflight({ ...base, keys: grantless })).toHaveLength(1);
    expect(preflight({ ...base, keys: grantless, from: '1.80.8' })).toEqual([]);
    const { from: _running, ...unknownRunning } = base;
    expect(preflight({ ...unknownRunning, keys: grantless })).toHaveLength(1);
    expect(preflight({ ...base, keys: grantless, target: resolveTarget('1.77.3') })).toHaveLength(0);
  });

  it("counts a key's grants as the cut-over's keys sync leaves them: a declared key's from mcpgw.yaml, any other's from its row", () => {
    const handRow = { token: 'a'.repeat(64), mcpServers: [], mcpGroups: [] };
    const declared = [{ token: 'a'.repeat(64), mcpServers: ['db_main-id'], mcpGroups: [] }];
    expect(grantsAfterCutover(handRow, declared)).toBe(1);
    expect(grantsAfterCutover(handRow, [])).toBe(0);
    // Sync replaces the row's grants: a declaration without any takes them away.
    expect(grantsAfterCutover({ ...handRow, mcpServers: ['x'] }, [{ ...handRow }])).toBe(0);
    expect(grantsAfterCutover({ token: 'b'.repeat(64), mcpServers: ['x'], mcpGroups: ['g'] }, declared)).toBe(2);
  });
});

/**
 * Records what the cut-over did, in order; `failAt` makes that step throw. `doorless`: the old LiteLLM holds the port
 * itself, so the cut-over opens the front door once it stopped.
 */
function fakeSteps(failAt?: string, options: { probeOk?: boolean; rollbackFails?: string; doorless?: boolean } = {}) {
  const done: string[] = [];
  let time = 0;
  const clock: Clock = { now: () => time, sleep: async () => undefined };
  const step = (name: string, seconds: number, result: unknown) => async () => {
    time += seconds * 1000;
    if (name === failAt || name === options.rollbackFails) throw new Error(`${name} broke`);
    done.push(name);
    return result;
  };
  const steps: CutoverSteps = {
    migrate: step('migrate', 5, 3) as () => Promise<number>,
    prepareNew: step('prepareNew', 1, 'prepared') as () => Promise<string>,
    startNew: step('startNew', 20, { ready: 'ready', ownStartMs: 19_000 }) as CutoverSteps['startNew'],
    retireOld: step('retireOld', 4, 'retired') as () => Promise<string>,
    ...(options.doorless
      ? {
          openFrontDoor: step('openFrontDoor', 1, 'door open') as () => Promise<string>,
          closeFrontDoor: step('closeFrontDoor', 1, 'door closed') as () => Promise<string>,
        }
      : {}),
    syncKeys: step('syncKeys', 1, '2 keys in place') as () => Promise<string>,
    probe: step('probe', 2, { ok: options.probeOk ?? true, summary: 'probe summary' }) as CutoverSteps['probe'],
    removeNew: step('removeNew', 1, 'new LiteLLM container removed') as () => Promise<string>,
    restoreDatabase: step('restoreDatabase', 3, 'restored') as () => Promise<string>,
    reviveOld: step('reviveOld', 10, 'old ready') as () => Promise<string>,
    note: () => undefined,
  };
  return { steps, done, clock };
}

describe('the cut-over and its rollback', () => {
  it('migrates, starts the new LiteLLM beside the old one and stops the old one only then: behind a front door, no downtime', async () => {
    const { steps, done, clock } = fakeSteps();
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['migrate', 'prepareNew', 'startNew', 'retireOld', 'syncKeys', 'probe']);
    expect(outcome).toMatchObject({ ok: true, migrations: 3, ownStartMs: 19_000 });
    expect(outcome).not.toHaveProperty('downtimeMs');
  });

  it('where the old LiteLLM holds the port, opens the front door once it stopped: the downtime is that stop and the door, not the new start', async () => {
    const { steps, done, clock } = fakeSteps(undefined, { doorless: true });
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['migrate', 'prepareNew', 'startNew', 'retireOld', 'openFrontDoor', 'syncKeys', 'probe']);
    expect(outcome).toMatchObject({ ok: true, downtimeMs: 5_000, ownStartMs: 19_000 });
  });

  it('a failed probe removes the new container, restores the database, closes a door it opened and brings the old one back', async () => {
    const { steps, done, clock } = fakeSteps(undefined, { probeOk: false, doorless: true });
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual([
      'migrate',
      'prepareNew',
      'startNew',
      'retireOld',
      'openFrontDoor',
      'syncKeys',
      'probe',
      'removeNew',
      'restoreDatabase',
      'closeFrontDoor',
      'reviveOld',
    ]);
    expect(outcome).toMatchObject({ ok: false, stage: 'probe', cause: 'probe failed: probe summary', downtimeMs: 23_000 });
  });

  it('behind a front door, a failed probe counts the gateway dark only from the new one removed to the old one back', async () => {
    const { steps, done, clock } = fakeSteps(undefined, { probeOk: false });
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['migrate', 'prepareNew', 'startNew', 'retireOld', 'syncKeys', 'probe', 'removeNew', 'restoreDatabase', 'reviveOld']);
    expect(outcome).toMatchObject({ ok: false, stage: 'probe', downtimeMs: 14_000 });
  });

  it('a failed migration touches no container: only the database goes back', async () => {
    const { steps, done, clock } = fakeSteps('migrate');
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['restoreDatabase']);
    expect(outcome).toMatchObject({ ok: false, stage: 'migrate', rolledBack: ['restored'] });
    expect(outcome).not.toHaveProperty('downtimeMs');
  });

  it('a new LiteLLM that never gets ready is removed while the old one still serves: no downtime, no door opened', async () => {
    const { steps, done, clock } = fakeSteps('startNew', { doorless: true });
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['migrate', 'prepareNew', 'removeNew', 'restoreDatabase', 'reviveOld']);
    expect(outcome).toMatchObject({ ok: false, stage: 'start', rolledBack: ['new LiteLLM container removed', 'restored', 'old ready'] });
    expect(outcome).not.toHaveProperty('downtimeMs');
  });

  it('a front door that does not open is removed before the old one comes back on its port', async () => {
    const { steps, done, clock } = fakeSteps('openFrontDoor', { doorless: true });
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['migrate', 'prepareNew', 'startNew', 'retireOld', 'removeNew', 'restoreDatabase', 'closeFrontDoor', 'reviveOld']);
    expect(outcome).toMatchObject({ ok: false, stage: 'front door' });
  });

  it('a new container that cannot be created leaves the old one serving: its name back, no downtime', async () => {
    const { steps, done, clock } = fakeSteps('prepareNew');
    const outcome = await cutOver(steps, clock);
    expect(done).toEqual(['migrate', 'removeNew', 'restoreDatabase', 'reviveOld']);
    expect(outcome).toMatchObject({ ok: false, stage: 'prepare' });
    expect(outcome).not.toHaveProperty('downtimeMs');
  });

  it('says so when the rollback itself fails', async () => {
    const { steps, clock } = fakeSteps('startNew', { rollbackFails: 'restoreDatabase' });
    const outcome = await cutOver(steps, clock);
    expect(outcome).toMatchObject({ ok: false, stage: 'start', rollbackError: 'restoreDatabase broke' });
  });
});

describe('mcpgw.yaml pointed at the target in place', () => {
  const text = '# my gateway\nversion: 1\nlitellm:\n  image: mcpgw-test/litellm-db:1.77.3 # the old one\n  port: 4000 # LAN port\nkeys: []\n';

  it('switches to the builtin build or to another image, keeping the other lines and comments', () => {
    const builtin = setLitellmImage(text, { build: 'builtin' });
    expect(builtin).toBe('# my gateway\nversion: 1\nlitellm:\n  port: 4000 # LAN port\n  build: builtin\nkeys: []\n');
    const seed = fixtureStack('seed').yaml;
    expect(parseConfig(setLitellmImage(seed, { build: 'builtin' })).litellm.image).toBe('mcpgw/litellm-db:1.108.7');
    const image = setLitellmImage(builtin, { image: 'ghcr.io/berriai/litellm-database:v1.80.15' });
    expect(image).toContain('  image: ghcr.io/berriai/litellm-database:v1.80.15\n');
    expect(image).not.toContain('build:');
  });
});
