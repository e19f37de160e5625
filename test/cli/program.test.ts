import { describe, expect, it } from 'vitest';
import { COMMANDS, GROUPS } from '../../src/cli/commands.js';
import { runCli } from '../helpers/cli.js';

describe('the commands, declared as data', () => {
  it('lists every command in the help of its group, and every group in the top help', async () => {
    const top = await runCli(['--help'], { cwd: '/' });
    expect(top.code).toBe(0);
    for (const group of Object.keys(GROUPS)) expect(top.stdout).toMatch(new RegExp(`^  ${group} `, 'm'));
    const used = new Set(COMMANDS.filter((spec) => spec.name.includes(' ')).map((spec) => spec.name.split(' ')[0]));
    expect([...used].sort()).toEqual(Object.keys(GROUPS).sort());
    for (const spec of COMMANDS) {
      const [first, second] = spec.name.split(' ');
      const help = second === undefined ? top : await runCli([first ?? '', '--help'], { cwd: '/' });
      const args = spec.args ?? spec.argument?.name;
      expect(help.stdout, spec.name).toMatch(new RegExp(`^  ${second ?? first}( \\[options\\])?${args ? ` ${args.replace(/[[\]]/g, '\\$&')}` : ''}( |$)`, 'm'));
      const own = await runCli([...spec.name.split(' '), '--help'], { cwd: '/' });
      for (const option of spec.options ?? []) expect(own.stdout, `${spec.name} ${option.flags}`).toContain(option.flags);
    }
  });

  it('refuses a command without its mandatory option, and an unknown option, as usage errors (exit 2)', async () => {
    const missing = await runCli(['keys', 'create'], { cwd: '/' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--alias <alias>' not specified/);
    const unknown = await runCli(['up', '--bogus'], { cwd: '/' });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
  });

  it("checks a choice and a client argument with commander's parsers", async () => {
    const scope = await runCli(['client-config', 'claude', '--scope', 'team'], { cwd: '/' });
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/Allowed choices are user, project/);
    const client = await runCli(['client-config', 'clude'], { cwd: '/' });
    expect(client.code).toBe(2);
    expect(client.stderr).toMatch(/Did you mean claude\?/);
  });
});
