import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { addGeneratedSecrets, readSecrets } from '../../src/config/secrets.js';
import { hbaBlock } from '../../src/db/provision.js';
import { ConfigError } from '../../src/errors.js';
import { judgeDbRole, type DbRoleFacts } from '../../src/doctor/checks/security-db-role.js';

describe("pg_hba lines mcpgw puts first (LiteLLM's role refused from this machine, the admin over TCP)", () => {
  it('refuses each host address, lets the role in from its own networks only, and the admin never over TCP', () => {
    expect(hbaBlock({ admin: 'mcpgw_admin', user: 'litellm', hostAddresses: ['172.19.0.1', 'fd00::1'] }).split('\n')).toEqual([
      '# mcpgw:begin (written by `mcpgw up` on every run; edits between these lines are replaced)',
      'host all "mcpgw_admin" all reject',
      'host all "litellm" 172.19.0.1/32 reject',
      'host all "litellm" fd00::1/128 reject',
      'host all "litellm" samenet scram-sha-256',
      'host all "litellm" all reject',
      '# mcpgw:end',
    ]);
  });

  it('is the same text for the same addresses in any order (a kept stack is not rewritten)', () => {
    const one = hbaBlock({ admin: 'a', user: 'u', hostAddresses: ['10.0.0.1', '10.0.1.1'] });
    expect(hbaBlock({ admin: 'a', user: 'u', hostAddresses: ['10.0.1.1', '10.0.0.1'] })).toBe(one);
  });
});

describe('security.db-role verdicts', () => {
  const ordinary: DbRoleFacts = {
    user: 'litellm',
    superuser: false,
    createrole: false,
    extras: [],
    bootstrap: false,
    fromHost: [{ address: '172.19.0.1', allowed: false }],
  };

  it('passes an ordinary role refused from this machine', () => {
    expect(judgeDbRole(ordinary, true)).toMatchObject({
      status: 'pass',
      evidence: [
        'role litellm: ordinary (no superuser, createrole, createdb, replication, bypassrls)',
        'pg_hba for litellm from this machine (172.19.0.1): refused',
      ],
    });
  });

  it('fails the bootstrap superuser of an old volume, and an open pg_hba, each with `mcpgw up` as the fix', () => {
    const outcome = judgeDbRole({ ...ordinary, superuser: true, bootstrap: true, fromHost: [{ address: '172.19.0.1', allowed: true }] }, true);
    expect(outcome.status).toBe('fail');
    expect((outcome.causes ?? []).map((cause) => cause.cause)).toEqual([
      "litellm is the server's bootstrap superuser: its password (in LiteLLM's environment) runs commands in the database server (COPY … TO PROGRAM) and reads every database",
      'pg_hba lets litellm log in from this machine (172.19.0.1): a local user who learns its password reaches the database',
    ]);
    expect((outcome.causes ?? []).every((cause) => cause.fix.startsWith('`mcpgw up`'))).toBe(true);
  });

  it('fails CREATEROLE; external mode names the SQL for the database administrator; lesser powers warn', () => {
    const createrole = judgeDbRole({ ...ordinary, createrole: true, fromHost: undefined }, false);
    expect(createrole.status).toBe('fail');
    expect(createrole.causes?.[0]?.fix).toMatch(/^as the database's administrator: ALTER ROLE litellm NOSUPERUSER NOCREATEROLE/);
    const extras = judgeDbRole({ ...ordinary, extras: ['createdb', 'bypassrls'] }, true);
    expect(extras.status).toBe('warn');
    expect(extras.evidence[0]).toBe('role litellm: createdb, bypassrls');
  });
});

describe("the passwords of mcpgw's own roles in the secrets file", () => {
  it('adds what a file lacks with fresh values, keeps every other line, and leaves the file 0600', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-roles-'));
    try {
      const file = path.join(dir, 'secrets.env');
      await writeFile(file, '# mine\nPOSTGRES_PASSWORD=kept\nMCPGW_POSTGRES_KEYS_PASSWORD=already\n', { mode: 0o644 });
      const names = ['MCPGW_POSTGRES_ADMIN_PASSWORD', 'MCPGW_POSTGRES_KEYS_PASSWORD'];
      let counter = 0;
      const random = (size: number) => Buffer.alloc(size, ++counter);
      const dry = await addGeneratedSecrets(await readSecrets(file), file, names, random, false);
      expect(dry.added).toEqual(['MCPGW_POSTGRES_ADMIN_PASSWORD']);
      expect(dry.secrets.get('MCPGW_POSTGRES_ADMIN_PASSWORD')).toBe('01'.repeat(24));
      expect(await readFile(file, 'utf8')).not.toContain('MCPGW_POSTGRES_ADMIN_PASSWORD');

      const written = await addGeneratedSecrets(await readSecrets(file), file, names, random, true);
      expect(written.added).toEqual(['MCPGW_POSTGRES_ADMIN_PASSWORD']);
      expect(await readFile(file, 'utf8')).toBe(
        `# mine\nPOSTGRES_PASSWORD=kept\nMCPGW_POSTGRES_KEYS_PASSWORD=already\nMCPGW_POSTGRES_ADMIN_PASSWORD=${'02'.repeat(24)}\n`,
      );
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(written.secrets.get('MCPGW_POSTGRES_KEYS_PASSWORD')).toBe('already');
      expect((await addGeneratedSecrets(written.secrets, file, names, random, true)).added).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses postgres.user naming one of mcpgw's roles", () => {
    let issues: { path: string; message: string }[] = [];
    try {
      parseConfig('version: 1\nname: s\nhost: localhost\npostgres:\n  user: mcpgw_admin\n', 'mcpgw.yaml');
    } catch (error) {
      if (error instanceof ConfigError) issues = error.issues;
    }
    expect(issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      "postgres.user: must not be one of mcpgw's own roles (mcpgw_admin, mcpgw_keys, mcpgw_migrate)",
    ]);
  });
});
