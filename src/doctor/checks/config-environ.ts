import { parseSecrets } from '../../config/secrets.js';
import { envFileFor } from '../../render/compose.js';
import { LITELLM_SERVICE, litellmService, secretOfLitellmVariable } from '../../stack/model.js';
import { DEPLOYED, renderedLitellmConfig } from '../deployed.js';
import { fail, pass, type Check } from '../types.js';

/** Every `os.environ/NAME` in a parsed YAML document, with the path it sits at. */
function environRefs(value: unknown, at: string, out: { name: string; at: string }[]): void {
  if (typeof value === 'string') {
    const match = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(value.trim());
    if (match?.[1]) out.push({ name: match[1], at });
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) environRefs(item, `${at}[${index}]`, out);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) environRefs(item, at ? `${at}.${key}` : key, out);
  }
}

export const configEnviron: Check = {
  id: 'config.environ-defined',
  title: "every os.environ/NAME in config.yaml reaches LiteLLM's environment",
  area: 'config',
  needs: ['config', 'rendered'],
  async run(ctx) {
    const doc = await renderedLitellmConfig(ctx);
    const refs: { name: string; at: string }[] = [];
    environRefs(doc, '', refs);
    // What the container really gets: its deployed env file (secrets, DATABASE_URL) and its plain environment.
    const envFile = envFileFor(LITELLM_SERVICE);
    const text = await ctx.deployed(envFile);
    const service = litellmService(await ctx.model());
    const defined = new Set([...(text === undefined ? [] : parseSecrets(text, envFile).keys()), ...Object.keys(service.environment)]);
    const missing = refs.filter((ref) => !defined.has(ref.name));
    if (missing.length === 0) return pass(`${refs.length} reference(s), all in ${envFile}: ${[...new Set(refs.map((ref) => ref.name))].join(', ') || 'none'}`);
    const file = (await ctx.loaded()).secretsFile;
    return fail(
      missing.map((ref) => `${DEPLOYED} ${ref.at}: os.environ/${ref.name} is not set in ${envFile}`),
      [
        {
          cause: 'LiteLLM reads an unset variable as None: the master key, database or model key is silently missing',
          fix:
            `add ${[...new Set(missing.map((ref) => secretOfLitellmVariable(ref.name)))].map((name) => `${name}=…`).join(', ')} ` +
            `to ${file} (and reference it from mcpgw.yaml), then \`mcpgw up\``,
        },
      ],
    );
  },
};
