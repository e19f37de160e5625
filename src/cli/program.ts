import { Command, Option } from 'commander';
import { createContext, type CommandContext, type GlobalOptions } from './context.js';
import type { Deps } from './deps.js';

export const VERSION = '0.1.0';

/**
 * The command tree. Handlers are imported lazily so `mcpgw --help` never loads pg, dockerode or the renderer.
 * Each handler receives a context built from the injected dependencies and the global flags.
 */
export function buildProgram(deps: Deps): Command {
  const program = new Command('mcpgw')
    .description('Deploy, key, probe and diagnose a LiteLLM MCP gateway on your LAN')
    .version(VERSION, '-V, --version')
    .option('-f, --file <path>', 'stack description', 'mcpgw.yaml')
    .option('--json', 'machine-readable output on stdout', false)
    .option('-q, --quiet', 'no progress on stderr', false)
    .option('-v, --verbose', 'more detail on stderr (secrets stay redacted)', false)
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .showHelpAfterError('(run mcpgw --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    });

  const context = (command: Command): CommandContext => createContext(deps, command.optsWithGlobals<GlobalOptions>());

  program
    .command('init')
    .description('write a commented mcpgw.yaml and a secrets file (mode 0600) with generated keys')
    .option('--host <name>', 'LAN name clients use to reach the gateway (default: this machine)')
    .option('--force', 'replace existing files, keeping a backup of each')
    .action(async (options, command: Command) => {
      const { initCommand } = await import('./commands/init.js');
      await initCommand(context(command), options);
    });

  program
    .command('render')
    .description('write docker-compose.yml, config/config.yaml and per-service env files from mcpgw.yaml')
    .option('-o, --out <dir>', 'output directory (default: next to mcpgw.yaml)')
    .addOption(new Option('--check', 'exit 1 when the files on disk differ from what mcpgw.yaml renders'))
    .action(async (options, command: Command) => {
      const { renderCommand } = await import('./commands/render.js');
      await renderCommand(context(command), options);
    });

  return program;
}
