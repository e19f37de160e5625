import path from 'node:path';
import { KEY_HEADER } from '../gateway/key-header.js';
import { jsonClient } from './common.js';

/**
 * Gemini CLI: `mcpServers` in ~/.gemini/settings.json or .gemini/settings.json (JSON with comments). `httpUrl`
 * selects streamable HTTP (a bare `url` means SSE to the versions that predate `type`). Gemini expands `${VAR}`
 * in settings values.
 */
export const gemini = jsonClient({
  id: 'gemini',
  title: 'Gemini CLI',
  comments: true,
  parent: 'mcpServers',
  userFile: (place) => path.join(place.home, '.gemini', 'settings.json'),
  projectFile: ['.gemini', 'settings.json'],
  reference: (envVar) => `\${${envVar}}`,
  entry: (url, header) => ({ httpUrl: url, headers: { [KEY_HEADER]: header } }),
  notes: [
    'Gemini CLI only connects servers in a trusted folder: trust it when asked, or set GEMINI_CLI_TRUST_WORKSPACE=true',
    'check with `gemini mcp list` (it prints ✓ <name>: <url> (http) - Connected)',
  ],
});
