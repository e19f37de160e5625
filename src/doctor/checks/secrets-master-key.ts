import { KEY_PREFIX } from '../../keys/token.js';
import { fail, pass, type Check } from '../types.js';

export const secretsMasterKey: Check = {
  id: 'secrets.master-key',
  title: 'the master key is set and starts with sk-',
  area: 'secrets',
  needs: ['config', 'secrets'],
  async run(ctx) {
    const name = (await ctx.loaded()).config.litellm.master_key;
    const value = (await ctx.secrets()).get(name);
    if (!value)
      return fail(`${name} is not set in the secrets file`, [
        { cause: 'LiteLLM starts without a master key: no key checks at all', fix: `add ${name}=sk-… (\`mcpgw init\` generates one)` },
      ]);
    if (!value.startsWith(KEY_PREFIX))
      return fail(`${name} does not start with ${KEY_PREFIX}`, [
        { cause: 'LiteLLM refuses a master key without the sk- prefix', fix: `set ${name}=sk-<random> and run \`mcpgw up\`` },
      ]);
    return pass(`${name} is set (${value.length} characters, ${KEY_PREFIX} prefix)`);
  },
};
