import { Argument, Command, Option } from 'commander';
import { closest } from '../config/suggest.js';
import { UserError } from '../errors.js';
import type { OptionSpec, RunnableCommand } from './command-spec.js';
import { GROUPS } from './commands.js';
import { RUNNABLE } from './handlers.js';
import { createContext, type CommandContext, type GlobalOptions } from './context.js';
import type { Deps } from '../deps.js';

export const VERSION = '0.1.0';

/**
 * The command tree. Handlers are imported lazily so `mcpgw --help` never loads pg, dockerode or the renderer.
 * Each handler receives a context built from the injected dependencies and the global flags. `commands` are
 * mcpgw's own (src/cli/handlers.ts); a test passes its own to see what a handler receives.
 */
export function buildProgram(
  deps: Deps,
  output: { writeOut(text: string): void } = { writeOut: (text) => deps.stdout.write(text) },
  commands: readonly RunnableCommand[] = RUNNABLE,
): Command {
  const program = new Command('mcpgw')
    .description('Deploy, key, probe and diagnose a LiteLLM MCP gateway on your LAN')
    .version(VERSION, '-V, --version')
    .option('-f, --file <path>', 'stack description', 'mcpgw.yaml')
    .option('--json', 'machine-readable output on stdout (one JSON document, errors included)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', 'more detail on stderr (secrets stay redacted)')
    .option('--no-color', 'no colours (also NO_COLOR=1 or TERM=dumb)')
    .showHelpAfterError('(run mcpgw --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.writeOut(text),
      writeErr: (text) => deps.stderr.write(text),
    });
  // `help keys create` shows the help of `keys create` (commander's own help command stops at one level).
  program.helpCommand(false);

  const context = (command: Command): CommandContext => createContext(deps, command.optsWithGlobals<GlobalOptions>());

  const groups = new Map<string, Command>();
  const parent = (group: string | undefined): Command => {
    if (group === undefined) return program;
    let found = groups.get(group);
    if (!found) groups.set(group, (found = program.command(group).description(GROUPS[group] ?? '')));
    return found;
  };
  for (const spec of commands) {
    const [first, second] = spec.name.split(' ') as [string, string | undefined];
    const command = parent(second === undefined ? undefined : first)
      .command(spec.args ? `${second ?? first} ${spec.args}` : (second ?? first))
      .description(spec.description);
    if (spec.argument) command.addArgument(new Argument(spec.argument.name, spec.argument.description).argParser(spec.argument.parse));
    for (const option of spec.options ?? []) command.addOption(optionOf(option));
    command.action(async (...received: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command itself.
      const self = received.at(-1) as Command;
      await spec.run(context(self), received.slice(0, -2), self.opts());
    });
  }

  program
    .command('help [command...]')
    .description('show the help of a command, e.g. help keys create')
    .action((names: string[]) => {
      let target: Command = program;
      for (const [index, name] of names.entries()) {
        const next = target.commands.find((command) => command.name() === name || command.aliases().includes(name));
        if (!next) {
          const known = target.commands.map((command) => command.name());
          const guess = closest(name, known);
          throw new UserError(
            `mcpgw ${[...names.slice(0, index), name].join(' ')} is not a command`,
            guess ? `did you mean "${guess}"? (mcpgw ${[...names.slice(0, index), guess].join(' ')} --help)` : `commands here: ${known.join(', ')}`,
          );
        }
        target = next;
      }
      target.outputHelp();
    });

  return program;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];
const splitCsv = (value: string) => value.split(',').filter(Boolean);

function optionOf(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.required) option.makeOptionMandatory();
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.list) option.argParser(collect);
  if (spec.csv) option.argParser(splitCsv);
  if (spec.choices) option.choices(spec.choices);
  return option;
}
