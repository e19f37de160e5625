import { entryKey, pointsAtGateway, rewriteCommand, scanClientFiles } from '../../clients/scan.js';
import { clientPlace } from '../../clients/servers.js';
import { keptKeySecret } from '../../keys/declaration.js';
import { hashKey } from '../../keys/token.js';
import { fail, pass, warn, type Cause, type Check } from '../types.js';

/**
 * A rotated key keeps working for its grace period, so its clients go on working until the day they get 401:
 * each client file's key is looked up where LiteLLM looks it up (the live keys, then the rotated keys' old hashes).
 */
export const clientsKeys: Check = {
  id: 'clients.keys',
  title: 'client configs hold live keys, not rotated or revoked ones',
  area: 'clients',
  needs: ['config', 'secrets', 'database'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const secrets = await ctx.secrets();
    const masterKey = secrets.get(config.litellm.master_key);
    const scan = await scanClientFiles(clientPlace(ctx.env, ctx.deps.cwd));
    // The master key is clients.files' finding; it has no row to look up.
    const holding = scan.entries
      .filter((entry) => pointsAtGateway(entry, config))
      .flatMap((entry) => {
        const key = entryKey(entry);
        return key && key !== masterKey ? [{ entry, token: hashKey(key) }] : [];
      });
    if (holding.length === 0) return pass('no client config at this gateway holds a key of its own');
    const [rows, rotated] = await Promise.all([ctx.keyRows(), ctx.rotatedKeys()]);
    const live = new Map(rows.map((row) => [row.token, row]));
    const old = new Map(rotated.map((row) => [row.token, row]));
    const now = ctx.now().getTime();
    // mcpgw keeps a declared key's value, and a saved one's (keys create --save): --key-alias finds those.
    const kept = (alias: string) => keptKeySecret(config, secrets, alias) !== undefined;
    const evidence: string[] = [];
    const soon: Cause[] = [];
    const refused: Cause[] = [];
    for (const { entry, token } of holding) {
      const where = `${entry.file} ${entry.at} (${entry.title})`;
      const row = live.get(token);
      if (row) {
        evidence.push(`${where}: the key of ${row.alias ?? row.keyName}`);
        continue;
      }
      const previous = old.get(token);
      if (previous?.alias && previous.revokeAt.getTime() > now) {
        soon.push({
          cause: `${where}: holds the old key of "${previous.alias}", rotated: LiteLLM refuses it from ${previous.revokeAt.toISOString()}`,
          fix: rewriteCommand(entry, previous.alias, kept(previous.alias)),
        });
      } else if (previous?.alias) {
        refused.push({
          cause: `${where}: holds the old key of "${previous.alias}", whose grace period ended ${previous.revokeAt.toISOString()}: the gateway answers 401`,
          fix: rewriteCommand(entry, previous.alias, kept(previous.alias)),
        });
      } else {
        refused.push({
          cause: `${where}: holds a key LiteLLM does not know (revoked, rotated without a grace period, or lost with the database): the gateway answers 401`,
          fix: `give it a live key: \`mcpgw keys list\` for the aliases, then \`${rewriteCommand(entry, '<alias>', true)}\``,
        });
      }
    }
    const summary = `${holding.length} client entr${holding.length === 1 ? 'y holds a key' : 'ies hold keys'}: ${evidence.length} live`;
    if (refused.length > 0) return fail([summary, ...evidence], [...refused, ...soon]);
    if (soon.length > 0) return warn([summary, ...evidence], soon);
    return pass(summary, ...evidence);
  },
};
