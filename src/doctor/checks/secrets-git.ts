import path from 'node:path';
import { fail, pass, type Check } from '../types.js';

/** Values this short would match ordinary text; every generated secret is far longer. */
const MIN_SECRET_LENGTH = 8;

export const secretsGit: Check = {
  id: 'secrets.git',
  title: 'no secret is committed in a git repository next to the stack',
  area: 'secrets',
  needs: ['secrets'],
  async run(ctx) {
    const { secretsFile } = await ctx.place();
    const dir = path.dirname(secretsFile);
    // Imported here: execa takes ~0.17 s to load, paid only when this check runs.
    const { execa } = await import('execa');
    const git = (args: string[], input?: string) => execa('git', ['-C', dir, ...args], { reject: false, ...(input !== undefined ? { input } : {}) });
    const top = await git(['rev-parse', '--show-toplevel']);
    if (top.exitCode !== 0) return pass(`${dir} is not inside a git repository`);
    const values = [...(await ctx.secrets()).values()].filter((value) => value.length >= MIN_SECRET_LENGTH);
    // Patterns go through stdin: on the command line they would show in `ps` to every local user.
    const patterns = `${values.join('\n')}\n`;
    const [tracked, inIndex, inHead] = await Promise.all([
      git(['ls-files', '--error-unmatch', secretsFile]),
      values.length ? git(['grep', '-l', '-F', '--cached', '-f', '-'], patterns) : undefined,
      values.length ? git(['grep', '-l', '-F', '-f', '-', 'HEAD'], patterns) : undefined,
    ]);
    const files = [
      ...new Set(
        [inIndex, inHead]
          .flatMap((result) => (result?.exitCode === 0 ? result.stdout.split('\n').filter(Boolean) : []))
          .map((file) => file.replace(/^HEAD:/, '')),
      ),
    ];
    if (tracked.exitCode !== 0 && files.length === 0)
      return pass(`repository ${top.stdout}: the secrets file is not tracked and no tracked file holds a secret value`);
    const evidence = [
      ...(tracked.exitCode === 0 ? [`${path.relative(top.stdout, secretsFile)} is tracked by git`] : []),
      ...(files.length ? [`secret values found in tracked files: ${files.join(', ')}`] : []),
    ];
    return fail(evidence, [
      {
        cause: 'secrets in git history reach every clone and backup of the repository',
        fix:
          `\`git rm --cached\` the files, add them to .gitignore, then rotate every exposed value ` +
          `(\`mcpgw keys rotate\`, a new master key) — removing the commit does not un-leak it`,
      },
    ]);
  },
};
