import path from 'node:path';
import { KEY_HEADER, keyHeaderValue } from '../gateway/key-header.js';
import { setJsonMember, upsertJsonArrayItem } from './json-edit.js';
import { appConfigDir } from './paths.js';
import { httpEntry, serverEntries } from './servers.js';
import type { ClientFormat, ClientPlace, ClientRequest, Scope } from './types.js';

function mcpFile(place: ClientPlace, scope: Scope): string {
  return scope === 'project' ? path.join(place.cwd, '.vscode', 'mcp.json') : path.join(appConfigDir(place, 'Code'), 'User', 'mcp.json');
}

/**
 * VS Code: `servers` in .vscode/mcp.json (workspace, usually committed) or the profile's mcp.json (user), JSON
 * with comments. The key is never written: the header refers to an `inputs` entry of type promptString with
 * password set, so VS Code asks for the key once and keeps it in its secret storage.
 */
export const vscode: ClientFormat = {
  id: 'vscode',
  title: 'VS Code',
  scopes: ['project', 'user'],
  defaultScope: 'project',
  files: (place) =>
    (['project', 'user'] as const).map((scope) => ({
      scope,
      file: mcpFile(place, scope),
      syntax: 'json',
      servers: (doc) => serverEntries('servers', doc.servers, httpEntry),
    })),
  plan(request: ClientRequest) {
    const inputId = `${request.name}-key`;
    const entry = { type: 'http', url: request.url, headers: { [KEY_HEADER]: keyHeaderValue(`\${input:${inputId}}`) } };
    const input = { type: 'promptString', id: inputId, description: `LiteLLM virtual key for ${request.name} (sk-…)`, password: true };
    const file = mcpFile(request, request.scope);
    return {
      client: 'vscode',
      scope: request.scope,
      snippet: JSON.stringify({ servers: { [request.name]: entry }, inputs: [input] }, null, 2),
      target: {
        file,
        holdsKey: false,
        edit: (existing, shown) =>
          upsertJsonArrayItem(
            setJsonMember(existing, shown, { comments: true }, ['servers'], request.name, entry),
            shown,
            { comments: true },
            'inputs',
            'id',
            input,
          ),
      },
      notes: [`VS Code asks for the key ("${input.description}") the first time it starts the server and keeps it in its secret storage`],
    };
  },
};
