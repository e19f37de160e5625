import { stat } from 'node:fs/promises';
import { fail, pass, type Cause, type Check } from '../types.js';

export const secretsFile: Check = {
  id: 'secrets.file',
  title: 'the secrets file exists, can be read, is mode 0600 and belongs to you',
  area: 'secrets',
  // The file mcpgw.yaml names, also when it does not validate (its secrets: line): the checks of what runs read it.
  needs: [],
  reports: 'secrets',
  async run(ctx) {
    const file = (await ctx.place()).secretsFile;
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      return fail(`${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [
        { cause: 'the secrets file is missing', fix: 'run `mcpgw init` (it writes the file with mode 0600), or fix `secrets:` in mcpgw.yaml' },
      ]);
    }
    const mode = info.mode & 0o777;
    const causes: Cause[] = [];
    if (mode !== 0o600) {
      causes.push({
        cause: `mode is ${mode.toString(8).padStart(4, '0')}: ${mode & 0o077 ? 'other users on this machine can read the master key and passwords' : 'not the expected 0600'}`,
        fix: `chmod 600 ${file}`,
      });
    }
    // What the other secrets checks need: a file mcpgw can parse (every line NAME=value, no name set twice).
    const unreadable = await ctx.secrets().then(
      () => undefined,
      (error: Error & { hint?: string; issues?: { line?: number; path: string; message: string }[] }) => error,
    );
    if (unreadable) {
      const details = unreadable.issues?.map((issue) => `line ${issue.line ?? '?'}: ${issue.path}: ${issue.message}`) ?? [unreadable.message];
      causes.push(
        ...details.map((detail) => ({ cause: detail, fix: unreadable.hint ?? 'one NAME=value per line, each name once (`mcpgw render` shows every problem)' })),
      );
    }
    const uid = ctx.deps.uid;
    if (uid !== undefined && info.uid !== uid) causes.push({ cause: `owned by uid ${info.uid}, not by you (uid ${uid})`, fix: `chown ${uid} ${file}` });
    const evidence = `${file}: mode ${mode.toString(8).padStart(4, '0')}, owner uid ${info.uid}`;
    return causes.length === 0 ? pass(evidence) : fail(evidence, causes);
  },
};
