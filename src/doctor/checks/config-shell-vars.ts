import type { ConfigIssue } from '../../errors.js';
import { findShellVariables } from '../../config/rules/shell-variables.js';
import { DEPLOYED, renderedLitellmConfig } from '../deployed.js';
import { fail, pass, type Check } from '../types.js';

export const configShellVars: Check = {
  id: 'config.shell-vars',
  title: '`${VAR}` nowhere in the deployed config.yaml',
  area: 'config',
  needs: ['config', 'rendered'],
  async run(ctx) {
    const doc = await renderedLitellmConfig(ctx);
    const issues: ConfigIssue[] = [];
    findShellVariables(doc, [], issues);
    if (issues.length === 0) return pass(`${DEPLOYED}: only os.environ/NAME references`);
    return fail(
      issues.map((issue) => `${DEPLOYED} ${issue.path}: ${issue.message}`),
      [
        {
          cause: 'LiteLLM never expands ${VAR}: the literal text reaches it as the value (a key named "${VAR}", a URL that does not resolve)',
          fix: 'write os.environ/NAME instead; `mcpgw render` writes it that way from mcpgw.yaml',
        },
      ],
    );
  },
};
