import path from 'node:path';
import { KEY_HEADER } from '../gateway/key-header.js';
import { jsonClient } from './common.js';
import { asObject } from './servers.js';

/** POSIX single quotes: the header value contains spaces (and `${…}` that the shell must not expand). */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Claude Code: user scope lives in ~/.claude.json, project scope in .mcp.json, which Claude Code expands
 * `${VAR}` in (url and headers). `"type": "http"` is required: Claude Code silently skips an entry without it.
 * What to run is its own `claude mcp add` (the --header flag after the URL).
 */
export const claudeCode = jsonClient({
  id: 'claude',
  title: 'Claude Code',
  comments: false,
  parent: 'mcpServers',
  // Claude Code keeps its global config in $CLAUDE_CONFIG_DIR when that is set (checked with claude mcp add).
  userFile: (place) => path.join(place.env.CLAUDE_CONFIG_DIR ?? place.home, '.claude.json'),
  projectFile: ['.mcp.json'],
  // `claude mcp add --scope local` keeps a project's private servers in the user file, under projects.<path>.
  moreUserServers: (doc) =>
    Object.entries(asObject(doc.projects) ?? {}).map(([project, value]): [string, unknown] => [`projects.${project}.mcpServers`, asObject(value)?.mcpServers]),
  reference: (envVar) => `\${${envVar}}`,
  entry: (url, header) => ({ type: 'http', url, headers: { [KEY_HEADER]: header } }),
  snippet: (request, header) =>
    ['claude', 'mcp', 'add', '--transport', 'http', '--scope', request.scope, request.name, request.url, '--header', `${KEY_HEADER}: ${header}`]
      .map(shellQuote)
      .join(' '),
  projectNotes: ['Claude Code uses the servers of a project .mcp.json once you approve them when it starts there'],
  notes: ['check with `claude mcp list` (it connects to each server and prints ✔ Connected)'],
});
