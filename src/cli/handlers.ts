import type { RunnableCommand } from './command-spec.js';
import { COMMANDS, type CommandHandler, type CommandName } from './commands.js';

/**
 * The handler of each command, its module loaded only when it runs, so `mcpgw --help` never loads pg, dockerode or
 * the renderer. Each is typed from its command's declaration in commands.ts: its arguments and options as parsed.
 */
const HANDLERS: { [Name in CommandName]: CommandHandler<Name> } = {
  init: async (ctx, _args, options) => (await import('./commands/init.js')).initCommand(ctx, options),
  adopt: async (ctx, [target], options) => (await import('./commands/adopt.js')).adoptCommand(ctx, target, options),
  render: async (ctx, _args, options) => (await import('./commands/render.js')).renderCommand(ctx, options),
  up: async (ctx, _args, options) => (await import('./commands/up.js')).upCommand(ctx, options),
  down: async (ctx, _args, options) => (await import('./commands/down.js')).downCommand(ctx, options),
  status: async (ctx) => (await import('./commands/status.js')).statusCommand(ctx),
  logs: async (ctx, [service], options) => (await import('./commands/logs.js')).logsCommand(ctx, service, options),
  probe: async (ctx, _args, options) => (await import('./commands/probe.js')).probeCommand(ctx, options),
  backup: async (ctx, _args, options) => (await import('./commands/backup.js')).backupCommand(ctx, options),
  restore: async (ctx, [file], options) => (await import('./commands/backup.js')).restoreCommand(ctx, file, options),
  upgrade: async (ctx, _args, options) => (await import('./commands/upgrade.js')).upgradeCommand(ctx, options),
  doctor: async (ctx, _args, options) => (await import('./commands/doctor.js')).doctorCommand(ctx, options),
  'images build': async (ctx, _args, options) => (await import('./commands/images.js')).imagesBuildCommand(ctx, options),
  'keys create': async (ctx, _args, options) => (await import('./commands/keys.js')).keysCreateCommand(ctx, options),
  'keys list': async (ctx) => (await import('./commands/keys.js')).keysListCommand(ctx),
  'keys revoke': async (ctx, [target]) => (await import('./commands/keys.js')).keysRevokeCommand(ctx, target),
  'keys rotate': async (ctx, [alias], options) => (await import('./commands/keys.js')).keysRotateCommand(ctx, alias, options),
  'keys sync': async (ctx, _args, options) => (await import('./commands/keys.js')).keysSyncCommand(ctx, options),
  'client-config': async (ctx, [client], options) => (await import('./commands/client-config.js')).clientConfigCommand(ctx, client, options),
  'mcp add': async (ctx, [name], options) => (await import('./commands/mcp.js')).mcpAddCommand(ctx, name, options),
  'mcp remove': async (ctx, [name], options) => (await import('./commands/mcp.js')).mcpRemoveCommand(ctx, name, options),
  'mcp list': async (ctx, _args, options) => (await import('./commands/mcp.js')).mcpListCommand(ctx, options),
  'mcp tools': async (ctx, [name], options) => (await import('./commands/mcp.js')).mcpToolsCommand(ctx, name, options),
  'mcp catalog': async (ctx) => (await import('./commands/mcp.js')).mcpCatalogCommand(ctx),
};

/** The table program.ts registers: each declared command with its handler. */
export const RUNNABLE: readonly RunnableCommand[] = COMMANDS.map((spec) => ({ ...spec, run: HANDLERS[spec.name] }));
