import type { KeyConfig } from '../../config/schema.js';
import { METRICS_KEY_ALIAS } from '../../keys/desired.js';
import { UNGRANTED_KEY_SEES_NONE_SINCE } from '../../litellm/advisories.js';
import { ungrantedKeyReach } from '../../litellm/version.js';
import { grantRows, keyLabel, type GrantRow } from '../key-rows.js';
import { fail, pass, warn, type Cause, type Check } from '../types.js';

/**
 * How to give a key MCP access without breaking its clients: declare the grant and sync. Never "revoke it and make
 * a new one" — the clients holding it would be locked out.
 */
function grantFix(row: GrantRow, declared: KeyConfig | undefined): string {
  if (declaresGrant(declared)) return '`mcpgw keys sync` writes the grant mcpgw.yaml declares for it';
  if (declared) return `declare \`mcp_servers: [<server>, …]\` on key ${declared.alias} in mcpgw.yaml, then \`mcpgw keys sync\``;
  return (
    `declare the key in mcpgw.yaml with \`mcp_servers: [<server>, …]\` — by its hash (\`token_sha256:\`, the row's token) when ` +
    `nobody has its value${row.alias ? `, alias ${row.alias}` : ''} — then \`mcpgw keys sync\`; the key and its clients stay as they are`
  );
}

function declaresGrant(key: KeyConfig | undefined): boolean {
  return Boolean(key && (key.mcp_servers.length > 0 || key.mcp_groups.length > 0 || Object.keys(key.mcp_tools ?? {}).length > 0));
}

export const keysMcpGrant: Check = {
  id: 'keys.mcp-grant',
  title: 'every key has an MCP grant (from LiteLLM 1.80 on, a key without one reaches no MCP server)',
  area: 'keys',
  needs: ['config', 'database'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    const declaredBy = (row: GrantRow) => config.keys.find((key) => (key.token_sha256 ? key.token_sha256 === row.token : key.alias === row.alias));
    const now = ctx.now().getTime();
    const active = (await grantRows(ctx)).filter((row) => !row.blocked && !(row.expires && row.expires.getTime() <= now));
    // The scrape key reaches no MCP route whatever its grant (its allowed_routes admit /metrics alone).
    const ungranted = active.filter(
      (row) => row.alias !== METRICS_KEY_ALIAS && row.mcpServers.length === 0 && row.mcpGroups.length === 0 && row.toolServers.length === 0,
    );
    const version = (await ctx.litellmVersion())?.version;
    const reach = ungrantedKeyReach(version);
    const running = version ? `LiteLLM ${version}` : `LiteLLM (version unknown, taken as ≥ ${UNGRANTED_KEY_SEES_NONE_SINCE})`;
    const evidence = [
      `${active.length} active key(s), ${ungranted.length} without an MCP grant`,
      `${running}: a key without one reaches ${reach === 'all' ? 'every' : 'no'} MCP server`,
    ];
    if (ungranted.length === 0) return pass(...evidence);
    if (reach === 'all') {
      return warn(
        evidence,
        ungranted.map((row) => ({
          cause:
            `key ${keyLabel(row)} has no MCP grant: ${running} gives it every MCP server, LiteLLM ${UNGRANTED_KEY_SEES_NONE_SINCE} and later none ` +
            '(no MCP access after an upgrade)',
          fix: grantFix(row, declaredBy(row)),
        })),
      );
    }
    // A key declared with grants, or one without even an object-permission row (the seed's hand-made rows), lost
    // access it was meant to have; a key with an empty grant may be meant for LLM calls only.
    const meant = (row: GrantRow) => {
      const declared = declaredBy(row);
      return declared ? declaresGrant(declared) : !row.hasPermission;
    };
    const causes: Cause[] = ungranted.map((row) => ({
      cause:
        `key ${keyLabel(row)} has no MCP access: ${running} gives a key without an MCP grant no MCP server` +
        (row.hasPermission ? '' : ' (no LiteLLM_ObjectPermissionTable row: the seed\'s "virtual key ↔ MCP server association" failure)') +
        (meant(row) ? '' : '; fine for a key meant for LLM calls only'),
      fix: grantFix(row, declaredBy(row)),
    }));
    return ungranted.some(meant) ? fail(evidence, causes) : warn(evidence, causes);
  },
};
