import path from 'node:path';
import { authEnvVar, bearer, exportNote } from './auth.js';
import { setJsonMember } from './json-edit.js';
import { httpEntry, serverEntries } from './servers.js';
import type { ClientFormat, ClientId, ClientPlace, ClientRequest, Scope } from './types.js';

/**
 * What the clients whose file is an `mcpServers`-style JSON object share. In a user-level file the key is
 * written as it is; a project file is likely to be committed, so there the header names an environment
 * variable (in the client's own interpolation syntax) and the user exports it.
 */
export interface JsonClientSpec {
  id: ClientId;
  title: string;
  /** JSON with comments (VS Code, Gemini) or strict JSON (Claude, Cursor). */
  comments: boolean;
  /** Member holding the servers. */
  parent: string;
  /** The user-level file, and the project file's path segments under the project (cwd). */
  userFile(place: ClientPlace): string;
  projectFile: string[];
  /** Server maps the user file holds besides `parent`, with where they are. */
  moreUserServers?(doc: Record<string, unknown>): [string, unknown][];
  /** How the client's config refers to an environment variable. */
  reference(envVar: string): string;
  entry(url: string, header: string): Record<string, unknown>;
  /** Overrides the JSON snippet, e.g. with the client's own `mcp add` command. */
  snippet?(request: ClientRequest, header: string): string;
  notes: string[];
  /** Notes that apply to the project file only. */
  projectNotes?: string[];
}

export function jsonClient(spec: JsonClientSpec): ClientFormat {
  const fileFor = (place: ClientPlace, scope: Scope) => (scope === 'user' ? spec.userFile(place) : path.join(place.cwd, ...spec.projectFile));
  return {
    id: spec.id,
    title: spec.title,
    scopes: ['user', 'project'],
    defaultScope: 'user',
    files: (place) =>
      (['user', 'project'] as const).map((scope) => ({
        scope,
        file: fileFor(place, scope),
        syntax: 'json',
        servers: (doc) =>
          [[spec.parent, doc[spec.parent]] as [string, unknown], ...(scope === 'user' ? (spec.moreUserServers?.(doc) ?? []) : [])].flatMap(([at, map]) =>
            serverEntries(at, map, httpEntry),
          ),
      })),
    plan(request) {
      const envVar = request.scope === 'project' ? authEnvVar(request.name) : undefined;
      const header = envVar ? spec.reference(envVar) : bearer(request.key);
      const entry = spec.entry(request.url, header);
      const file = fileFor(request, request.scope);
      return {
        client: spec.id,
        scope: request.scope,
        snippet: spec.snippet?.(request, header) ?? JSON.stringify({ [spec.parent]: { [request.name]: entry } }, null, 2),
        target: {
          file,
          holdsKey: !envVar,
          edit: (existing, shown) => setJsonMember(existing, shown, { comments: spec.comments }, [spec.parent], request.name, entry),
        },
        ...(envVar ? { envVar } : {}),
        notes: envVar ? [exportNote(envVar, spec.title), ...(spec.projectNotes ?? []), ...spec.notes] : spec.notes,
      };
    },
  };
}
