import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostProblem, shownHost } from '../config/host.js';
import { isLanHost } from '../config/lan.js';
import { parseConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { pathExists } from '../fs.js';
import { scaffold } from '../init/scaffold.js';
import { loadTemplates } from '../render/templates.js';
import type { OpContext } from './context.js';

export interface InitRequest {
  host?: string;
  force?: boolean;
  /** Images built from package registries and the canary probe model: no container registry, no provider key. */
  offline?: boolean;
}

export interface InitOutcome {
  configFile: string;
  secretsFile: string;
  /** The host written to mcpgw.yaml. */
  host: string;
  backups: string[];
}

/** Writes a commented mcpgw.yaml and its secrets file (mode 0600), keeping a backup of each one replaced. */
export async function initStack(ctx: OpContext, options: InitRequest): Promise<InitOutcome> {
  const { deps, ui, configFile } = ctx;
  if (options.host !== undefined) {
    // Checked as the flag it is: mcpgw.yaml does not exist yet, so a file:line would point nowhere.
    const problem = hostProblem(options.host);
    if (problem)
      throw new UserError(`--host ${problem.message.startsWith('"') ? problem.message : `${shownHost(options.host)} ${problem.message}`}`, problem.fix);
  }
  const host = options.host ?? defaultHost(deps.hostname());
  const files = scaffold(host, loadTemplates(), deps.randomBytes, options.offline ? 'offline' : 'online');
  // The written file must load: a template that fails its own schema would strand the user at step one.
  const config = parseConfig(files.mcpgwYaml, configFile);
  const secretsFile = path.resolve(path.dirname(configFile), config.secrets);

  const existing = (await Promise.all([configFile, secretsFile].map(async (file) => ((await pathExists(file)) ? file : undefined)))).filter(
    (file): file is string => file !== undefined,
  );
  if (existing.length > 0 && !options.force) {
    throw new UserError(
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written`,
      'use --force to replace them (a backup of each is kept)',
    );
  }
  const backups: string[] = [];
  const stamp = new Date(deps.clock.now()).toISOString().replace(/[:.]/g, '-');
  for (const file of existing) {
    const backup = `${file}.bak-${stamp}`;
    await copyFile(file, backup);
    backups.push(backup);
  }
  if (existing.includes(secretsFile)) {
    ui.warn(
      'new secrets replace the old ones: a running stack keeps the old master key and salt key ' +
        'until it is re-rendered, credentials LiteLLM stored in its DB need the old salt key, and backups ' +
        'signed with the old MCPGW_BACKUP_KEY restore only with --trust (both are in the kept copy)',
    );
  }

  await mkdir(path.dirname(configFile), { recursive: true });
  await writeFile(configFile, files.mcpgwYaml, { mode: 0o644 });
  await mkdir(path.dirname(secretsFile), { recursive: true, mode: 0o700 });
  await writeFile(secretsFile, files.secretsEnv, { mode: 0o600 });

  return { configFile, secretsFile, host, backups };
}

/** The machine's own name when LAN clients can plausibly resolve it; otherwise a placeholder to edit. */
export function defaultHost(hostname: string): string {
  return hostname && isLanHost(hostname) ? hostname : 'gateway.lan';
}
