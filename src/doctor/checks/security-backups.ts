import path from 'node:path';
import { verifyArchive } from '../../backup/archive.js';
import { BACKUP_KEY_SECRET } from '../../backup/auth.js';
import { BACKUP_DIR, stackBackups } from '../../backup/backup.js';
import { fail, pass, warn, type Check } from '../types.js';

/** Named one by one up to this many; the rest are counted. */
const SHOWN = 5;

/**
 * `restore` refuses a backup whose signature does not check out with the secrets file's MCPGW_BACKUP_KEY. This
 * says so before the day a restore is needed: a warning for each backup in the stack's folder that would be
 * refused, a failure when backups exist but the key that signs them is gone (then none of them restores
 * without --trust). Each file is read in full, as restore reads it.
 */
export const securityBackups: Check = {
  id: 'security.backups',
  title: `the stack's backups are signed with the secrets file's ${BACKUP_KEY_SECRET} (restore refuses the others)`,
  area: 'security',
  // Also when mcpgw.yaml does not validate: the backups of the stack its name: line names, next to it.
  needs: ['secrets'],
  async run(ctx) {
    const place = await ctx.place();
    const dir = path.join(place.dir, BACKUP_DIR);
    const names = await stackBackups(dir, place.name);
    if (names.length === 0) return pass(`no backups of stack "${place.name}" in ${dir}`);
    const key = (await ctx.secrets()).get(BACKUP_KEY_SECRET);
    if (key === undefined)
      return fail(`${names.length} backup(s) in ${dir}, and the secrets file has no ${BACKUP_KEY_SECRET}`, [
        {
          cause: `restore refuses every one of them without --trust: nothing can show they are the ones mcpgw wrote`,
          fix: `put back the ${BACKUP_KEY_SECRET} line from the copy of the secrets file these backups were made with; or run \`mcpgw backup\`, which adds a new key and writes a signed backup`,
        },
      ]);
    const refused: string[] = [];
    for (const name of names) {
      const problem = await verifyArchive(path.join(dir, name), key).then(
        ({ authenticity }) => (authenticity.ok ? undefined : authenticity.detail),
        (error: Error) => error.message.replace(`${path.join(dir, name)} `, ''),
      );
      if (problem) refused.push(`${name} ${problem}`);
    }
    if (refused.length === 0) return pass(`${names.length} backup(s) in ${dir}, each signed with this ${BACKUP_KEY_SECRET}`);
    const more = refused.length > SHOWN ? [{ cause: `… and ${refused.length - SHOWN} more`, fix: 'the same' }] : [];
    return warn(`${refused.length} of ${names.length} backup(s) in ${dir} would be refused by restore`, [
      ...refused.slice(0, SHOWN).map((cause) => ({
        cause,
        fix: 'run `mcpgw backup` for a signed one; restore this file only with --trust and only if you know where it comes from, or remove it',
      })),
      ...more,
    ]);
  },
};
