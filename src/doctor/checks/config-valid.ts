import { ConfigError } from '../../errors.js';
import { fail, pass, type Check } from '../types.js';

export const configValid: Check = {
  id: 'config.valid',
  title: 'mcpgw.yaml is valid',
  area: 'config',
  needs: [],
  reports: 'config',
  async run(ctx) {
    try {
      const loaded = await ctx.loaded();
      return pass(`${loaded.file}: ${Object.keys(loaded.config.mcp_servers).length} MCP server(s), ${loaded.config.keys.length} key(s)`);
    } catch (error) {
      if (error instanceof ConfigError) {
        return fail(
          error.message,
          error.issues.map((issue) => ({
            cause: `${issue.line !== undefined ? `line ${issue.line}: ` : ''}${issue.path}: ${issue.message}`,
            fix: issue.fix ?? 'see the message',
          })),
        );
      }
      const hint = (error as { hint?: string }).hint;
      return fail((error as Error).message, [{ cause: 'mcpgw.yaml cannot be read', fix: hint ?? 'run `mcpgw init`, or pass -f PATH' }]);
    }
  },
};
