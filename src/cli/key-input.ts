import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { CommandContext } from './context.js';

/** The variable a key may come from instead of the command line. */
export const KEY_ENV = 'MCPGW_KEY';

/** Both fields always present (possibly undefined), so a command whose flags lost one does not compile. */
export interface KeyFlags {
  key: string | undefined;
  keyFile: string | undefined;
}

/**
 * The key a command was given: `--key` (argv, which any local user reads in `ps` and npx writes to its logs:
 * warned about, never printed), `--key-file PATH`, `--key-file -` (stdin), else MCPGW_KEY. Registered for
 * redaction before anything can print it. `isSecret` says whether a --key value is a key at all (`mcp tools`
 * also takes an alias there, which is no secret).
 */
export async function keyInput(ctx: CommandContext, flags: KeyFlags, isSecret: (value: string) => boolean = () => true): Promise<string | undefined> {
  if (flags.key !== undefined && flags.keyFile !== undefined) throw new UserError('--key and --key-file both given', 'pass one of them');
  const key = flags.key !== undefined ? flags.key : flags.keyFile !== undefined ? await readKeyFile(ctx, flags.keyFile) : ctx.deps.env[KEY_ENV] || undefined;
  if (key === undefined) return undefined;
  if (flags.key === undefined && flags.keyFile === undefined) ctx.ui.info(`using the key in ${KEY_ENV}`);
  if (flags.key === undefined || isSecret(key)) ctx.ui.addSecrets([key]);
  if (flags.key !== undefined && isSecret(key))
    ctx.ui.warn(
      `--key puts the key on the command line, where \`ps\` shows it to every local user: prefer --key-file PATH, --key-file - (stdin) or ${KEY_ENV}`,
    );
  return key;
}

async function readKeyFile(ctx: CommandContext, file: string): Promise<string> {
  let text: string;
  if (file === '-') text = await ctx.deps.readStdin();
  else {
    const full = path.resolve(ctx.deps.cwd, file);
    try {
      text = await readFile(full, 'utf8');
    } catch (error) {
      throw new UserError(`--key-file ${full} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'give a file holding the key alone');
    }
  }
  // One key, on its own line; a trailing newline (echo, editors) is not part of it.
  const key = text.trim();
  if (key === '' || /\s/.test(key))
    throw new UserError(`--key-file ${file === '-' ? '- (stdin)' : file} does not hold one key`, 'write the key alone, e.g. sk-… and a newline');
  return key;
}
