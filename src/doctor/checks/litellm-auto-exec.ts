import { MCP_AUTO_EXECUTION_SINCE } from '../../litellm/advisories.js';
import { autoExecutes } from '../../litellm/version.js';
import { fail, pass, warn, type Check } from '../types.js';

const ENDPOINTS = { chat: '/v1/chat/completions (Open WebUI, most SDKs)', responses: '/v1/responses (Codex, OpenAI Agents)' } as const;

export const litellmAutoExec: Check = {
  id: 'litellm.auto-exec',
  title: 'this LiteLLM executes MCP tools itself on the endpoints clients use',
  area: 'litellm',
  needs: [],
  async run(ctx) {
    const found = await ctx.litellmVersion();
    if (!found)
      return warn('LiteLLM version unknown (neither running nor in the image tag)', [
        { cause: 'cannot tell whether tools are executed or handed back as tool_calls', fix: 'pin litellm.image to a release tag' },
      ]);
    const verdicts = (Object.keys(ENDPOINTS) as (keyof typeof ENDPOINTS)[]).map((endpoint) => ({ endpoint, executes: autoExecutes(found.version, endpoint) }));
    const evidence = verdicts.map(
      ({ endpoint, executes }) => `${ENDPOINTS[endpoint]}: ${executes ? 'executes' : `no (since ${MCP_AUTO_EXECUTION_SINCE[endpoint]})`}`,
    );
    const lacking = verdicts.filter(({ executes }) => !executes);
    if (lacking.length === 0) return pass(`LiteLLM ${found.version}`, ...evidence);
    return fail(
      [`LiteLLM ${found.version}`, ...evidence],
      [
        {
          cause: `turns stop at finish_reason "tool_calls" on ${lacking.map(({ endpoint }) => ENDPOINTS[endpoint]).join(' and ')} (the seed's blocking issue)`,
          fix: `pin litellm.image to ${MCP_AUTO_EXECUTION_SINCE.chat} or later (and above every advisory), then \`mcpgw up\``,
        },
      ],
    );
  },
};
