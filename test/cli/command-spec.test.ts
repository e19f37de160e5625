import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineCommand, type Handler } from '../../src/cli/command-spec.js';
import type { ClientId } from '../../src/clients/types.js';
import type { CommandHandler, CommandOptions } from '../../src/cli/commands.js';
import { keyInput } from '../../src/cli/key-input.js';
import { buildProgram } from '../../src/cli/program.js';
import { processDeps } from '../../src/ops/deps.js';

// The expectTypeOf lines are checked by `npm run lint` (tsc reads test/); the expect lines when the test runs.

/** One flag of every shape the table uses, each typed from its flags alone. */
const shapes = defineCommand({
  name: 'shapes',
  args: '[service]',
  description: 'every kind of flag',
  options: [
    { flags: '--alias <alias>', description: 'mandatory', required: true },
    { flags: '-o, --out <dir>', description: 'short and long' },
    { flags: '--key <sk-...>', description: 'dots that do not make a list' },
    { flags: '--key-file <path>', description: 'camel-cased' },
    { flags: '--force', description: 'a switch' },
    { flags: '--no-probe', description: 'a lone negation, true unless given' },
    { flags: '--llm', description: 'a pair' },
    { flags: '--no-llm', description: 'its negation' },
    { flags: '--timeout <duration>', description: 'defaulted', default: '60s' },
    { flags: '--only <id...>', description: 'repeatable list', list: true },
    { flags: '--allowed-tools <tools>', description: 'comma-separated', csv: true },
    { flags: '--args <arg...>', description: 'variadic' },
    { flags: '--scope <scope>', description: 'a choice', choices: ['user', 'project'] },
  ],
});
const received: { args: unknown[]; options: Record<string, unknown> }[] = [];
const run: Handler<typeof shapes> = async (_ctx, args, options) => {
  expectTypeOf(args).toEqualTypeOf<[string | undefined]>();
  expectTypeOf(options).toEqualTypeOf<{
    alias: string;
    out: string | undefined;
    key: string | undefined;
    keyFile: string | undefined;
    force: true | undefined;
    probe: boolean;
    llm: boolean | undefined;
    timeout: string;
    only: string[] | undefined;
    allowedTools: string[] | undefined;
    args: string[] | undefined;
    scope: 'user' | 'project' | undefined;
  }>();
  received.push({ args, options });
};

async function parse(argv: string[]): Promise<{ args: unknown[]; options: Record<string, unknown> } | undefined> {
  received.length = 0;
  const discard = { write: () => true };
  const deps = { ...processDeps(() => 'testhost', new AbortController().signal), stdout: discard, stderr: discard, env: {} };
  await buildProgram(deps, undefined, [{ ...shapes, run }]).parseAsync(argv, { from: 'user' });
  return received[0];
}

describe('a command declared with defineCommand', () => {
  it('receives from commander what its types say, absent flags included', async () => {
    expect(await parse(['shapes', '--alias', 'a'])).toEqual({ args: [undefined], options: { alias: 'a', probe: true, timeout: '60s' } });
    const all = ['--out', 'dir', '--key', 'sk-1', '--key-file', '-', '--force', '--no-probe', '--no-llm', '--timeout', '5s', '--only', 'a,b', '--only', 'c'];
    expect(await parse(['shapes', 'web', '--alias', 'a', ...all, '--allowed-tools', 'x,y', '--scope', 'user', '--args', 'p', 'q'])).toEqual({
      args: ['web'],
      options: {
        alias: 'a',
        out: 'dir',
        key: 'sk-1',
        keyFile: '-',
        force: true,
        probe: false,
        llm: false,
        timeout: '5s',
        only: ['a', 'b', 'c'],
        allowedTools: ['x', 'y'],
        scope: 'user',
        args: ['p', 'q'],
      },
    });
    expect((await parse(['shapes', '--alias', 'a', '--llm']))?.options.llm).toBe(true);
  });

  it('types the handlers of the table from their flags (checked by tsc)', () => {
    expectTypeOf<CommandOptions<'keys create'>>().toEqualTypeOf<{
      alias: string;
      mcp: string[] | undefined;
      mcpGroup: string[] | undefined;
      models: string[] | undefined;
      expires: string | undefined;
      budget: string | undefined;
      key: string | undefined;
      keyFile: string | undefined;
      viaApi: true | undefined;
      save: true | undefined;
    }>();
    expectTypeOf<CommandOptions<'up'>>().toEqualTypeOf<{ dryRun: true | undefined; probe: boolean; installDocker: true | undefined }>();
    expectTypeOf<CommandOptions<'client-config'>['scope']>().toEqualTypeOf<'user' | 'project' | undefined>();
    expectTypeOf<CommandOptions<'probe'>['llm']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<Parameters<CommandHandler<'client-config'>>[1]>().toEqualTypeOf<[ClientId]>();
    expectTypeOf<Parameters<CommandHandler<'logs'>>[1]>().toEqualTypeOf<[string | undefined]>();
    expectTypeOf<Parameters<CommandHandler<'status'>>[1]>().toEqualTypeOf<[]>();

    // A renamed flag stops compiling where the old name is still used.
    const renamed = defineCommand({
      name: 'renamed',
      description: '--key-file renamed --key-path',
      options: [
        { flags: '--key <sk-...>', description: 'the key' },
        { flags: '--key-path <path>', description: 'the file' },
      ],
    });
    // @ts-expect-error keyInput reads keyFile, which --key-path no longer gives
    const stale: Handler<typeof renamed> = async (ctx, _args, options) => void (await keyInput(ctx, options));
    expectTypeOf(stale).toBeFunction();
  });
});
