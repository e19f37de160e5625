import path from 'node:path';
import { parse } from 'yaml';
import { adoptedLitellmConfig } from '../../adopt/compose.js';
import { BUILTIN_LITELLM_VERSION } from '../../images/builtin.js';
import { ignoredFields } from '../../litellm/config-fields.js';
import { STACK_LABEL } from '../../stack/labels.js';
import { DEPLOYED } from '../deployed.js';
import { fail, pass, type Check } from '../types.js';

/**
 * Fields LiteLLM reads nowhere in the config.yaml it is given: the rendered one edited by hand, or, for an adopted
 * deployment not yet upgraded (its container still running and not mcpgw's, or Docker not there to say), the one its compose file mounts.
 * Judged by the catalog read from LiteLLM's source
 * (src/litellm/config-fields.ts) for the running version, else mcpgw's builtin one.
 */
export const configIgnoredFields: Check = {
  id: 'config.ignored-fields',
  title: 'no field in config.yaml that LiteLLM ignores',
  area: 'config',
  needs: ['config'],
  async run(ctx) {
    const loaded = await ctx.loaded();
    const version = (await ctx.litellmVersion().catch(() => undefined))?.version ?? BUILTIN_LITELLM_VERSION;
    const files: [string, unknown][] = [];
    const deployed = await ctx.deployedLitellmConfig();
    if (deployed) files.push([DEPLOYED, deployed]);
    const adopted = loaded.config.adopted;
    // Its config.yaml matters while the adopted container still serves; after `mcpgw upgrade` it is stopped and renamed.
    // The upgrade's LiteLLM takes the adopted container's name: a container of that name labelled with this stack is mcpgw's.
    const docker = adopted ? await ctx.docker().catch(() => undefined) : undefined;
    const named =
      docker && adopted
        ? await docker.listContainers([]).then(
            (list) => list.find((entry) => entry.name === adopted.litellm_container),
            () => null,
          )
        : null;
    // null: Docker could not say, so the file is judged; undefined: the container is gone (renamed by upgrade).
    if (adopted && (named === null || (named?.state === 'running' && named.labels[STACK_LABEL] !== loaded.config.name))) {
      const found = await adoptedLitellmConfig(path.resolve(loaded.dir, adopted.compose_file));
      if (found) files.push([found.file, parse(found.text) as unknown]);
    }
    if (files.length === 0) return pass(`no config.yaml deployed yet (\`mcpgw render\` writes ${DEPLOYED})`);
    // A ${VAR} in the deployed file is config.shell-vars' finding: told once, there.
    const ignored = files.flatMap(([file, doc]) =>
      ignoredFields(doc, version)
        .filter((field) => !(file === DEPLOYED && field.literal === 'shell-variable'))
        .map((field) => ({ file, ...field })),
    );
    if (ignored.length === 0) return pass(`${files.map(([file]) => file).join(', ')}: every field is read by LiteLLM ${version}`);
    return fail(
      ignored.map((field) => `${field.file} ${field.path}: ${field.why}`),
      [
        ...new Map(
          ignored.map((field) => [
            field.instead ?? field.why,
            {
              cause: field.literal
                ? `LiteLLM ${version} takes ${field.path} literally: ${field.why}`
                : `LiteLLM ${version} ignores ${field.path}: it has no effect`,
              fix: field.instead ?? 'remove it',
            },
          ]),
        ).values(),
        ...(files.some(([file]) => file === DEPLOYED)
          ? [{ cause: `${DEPLOYED} is rendered from mcpgw.yaml`, fix: 'edit mcpgw.yaml instead and run `mcpgw render`: a hand edit is replaced' }]
          : []),
      ],
    );
  },
};
