import { entryHeader, isVariableReference, pointsAtGateway, scanClientFiles } from '../../clients/scan.js';
import { clientPlace } from '../../clients/servers.js';
import { KEY_HEADER } from '../../gateway/key-header.js';
import { fail, pass, warn, type Cause, type Check } from '../types.js';

export const clientsFiles: Check = {
  id: 'clients.files',
  title: `client configs point at /mcp/ with the ${KEY_HEADER} header and a virtual key`,
  area: 'clients',
  needs: ['config', 'secrets'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const masterKey = (await ctx.secrets()).get(config.litellm.master_key);
    const scan = await scanClientFiles(clientPlace(ctx.env, ctx.deps.cwd));
    const ours = scan.entries.filter((entry) => pointsAtGateway(entry, config));
    const causes: Cause[] = [];
    for (const entry of ours) {
      const where = `${entry.file} ${entry.at}`;
      const pathname = new URL(entry.url as string).pathname;
      if (pathname === '/mcp')
        causes.push({
          cause: `${where}: ${entry.url} lacks the trailing slash (older LiteLLM answers /mcp with a 307 some clients do not follow)`,
          fix: `use ${entry.url}/`,
        });
      else if (!pathname.startsWith('/mcp/'))
        causes.push({ cause: `${where}: ${entry.url} is not an MCP endpoint of the gateway`, fix: `use http://${config.host}:${config.litellm.port}/mcp/` });
      const value = entryHeader(entry, KEY_HEADER);
      const reference = value !== undefined && isVariableReference(value);
      if (!value)
        causes.push({
          cause: `${where}: no ${KEY_HEADER} header: the gateway answers 401`,
          fix: `add "${KEY_HEADER}": "Bearer sk-…" (\`mcpgw client-config <client> --write\` writes the entry)`,
        });
      else if (!reference && !/^Bearer\s+\S/.test(value))
        causes.push({ cause: `${where}: ${KEY_HEADER} must be "Bearer <key>"`, fix: 'prefix the key with "Bearer "' });
      const values = Object.values(entry.headers);
      if (masterKey && values.some((text) => text.includes(masterKey))) {
        causes.push({
          cause: `${where}: holds the master key — full admin power in a client file`,
          fix: 'create a virtual key (`mcpgw keys create --alias <client> --mcp …`), use it here, and rotate the master key',
        });
      }
      if (entry.client === 'claude' && entry.type !== 'http')
        causes.push({ cause: `${where}: Claude Code silently skips an entry without "type": "http"`, fix: 'add "type": "http"' });
    }
    const evidence = [
      scan.read.length ? `read ${scan.read.join(', ')}` : 'no client config found',
      `${ours.length} entr${ours.length === 1 ? 'y points' : 'ies point'} at this gateway${ours.length ? `: ${ours.map((entry) => `${entry.title} ${entry.at}`).join(', ')}` : ''}`,
    ];
    if (causes.length > 0) return fail(evidence, causes);
    if (scan.unreadable.length > 0)
      return warn(
        evidence,
        scan.unreadable.map(({ file, reason }) => ({ cause: `${file} cannot be parsed (${reason}): the client ignores it`, fix: 'fix its syntax' })),
      );
    return pass(...evidence);
  },
};
