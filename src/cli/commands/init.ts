import path from 'node:path';
import { hostWarning } from '../../config/host.js';
import { initStack } from '../../ops/init.js';
import type { CommandOptions } from '../commands.js';
import type { CommandContext } from '../context.js';

export async function initCommand(ctx: CommandContext, options: CommandOptions<'init'>): Promise<void> {
  const { deps, ui } = ctx;
  const { configFile, secretsFile, host, backups } = await initStack(ctx, { host: options.host, force: options.force, offline: options.offline });
  const warning = hostWarning(host);
  if (warning) ui.warn(`${warning}; set host: in ${path.basename(configFile)}`);
  if (ctx.options.json) {
    ui.json({ config: configFile, secrets: secretsFile, backups });
    return;
  }
  ui.result(`wrote ${configFile}`);
  ui.result(`wrote ${secretsFile} (mode 0600; generated master key, salt key, Postgres password and one virtual key)`);
  for (const backup of backups) ui.result(`kept backup ${backup}`);
  ui.result('');
  const shown = path.relative(deps.cwd, configFile) || configFile;
  const command = `${ctx.invocation} ${shown === 'mcpgw.yaml' ? '' : `-f ${shown} `}`;
  ui.result(
    options.offline
      ? `next: \`${command}up\` builds the images from PyPI, Debian and npm (first run: several minutes), starts the stack and probes it`
      : `next: review ${shown} (host, models, MCP servers), then run \`${command}render\``,
  );
}
