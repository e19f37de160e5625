import path from 'node:path';
import { KEY_HEADER } from './auth.js';
import { setJsonMember, upsertJsonArrayItem } from './json-edit.js';
import { appConfigDir } from './paths.js';
import type { ClientFormat, ClientRequest } from './types.js';

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
  plan(request: ClientRequest) {
    const inputId = `${request.name}-key`;
    const entry = { type: 'http', url: request.url, headers: { [KEY_HEADER]: `Bearer \${input:${inputId}}` } };
    const input = { type: 'promptString', id: inputId, description: `LiteLLM virtual key for ${request.name} (sk-…)`, password: true };
    const file = request.scope === 'project' ? path.join(request.cwd, '.vscode', 'mcp.json') : path.join(appConfigDir(request, 'Code'), 'User', 'mcp.json');
    return {
      client: 'vscode',
      scope: request.scope,
      snippet: JSON.stringify({ servers: { [request.name]: entry }, inputs: [input] }, null, 2),
      target: {
        file,
        holdsKey: false,
        edit: (existing, shown) => upsertJsonArrayItem(setJsonMember(existing, shown, { comments: true }, ['servers'], request.name, entry), shown, { comments: true }, 'inputs', 'id', input),
      },
      notes: [`VS Code asks for the key ("${input.description}") the first time it starts the server and keeps it in its secret storage`],
    };
  },
};
