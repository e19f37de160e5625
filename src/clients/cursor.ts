import path from 'node:path';
import { KEY_HEADER } from '../gateway/key-header.js';
import { jsonClient } from './common.js';

/** Cursor: `mcpServers` in ~/.cursor/mcp.json or .cursor/mcp.json; it interpolates `${env:NAME}` in headers. */
export const cursor = jsonClient({
  id: 'cursor',
  title: 'Cursor',
  comments: false,
  parent: 'mcpServers',
  userFile: (place) => path.join(place.home, '.cursor', 'mcp.json'),
  projectFile: ['.cursor', 'mcp.json'],
  reference: (envVar) => `\${env:${envVar}}`,
  entry: (url, header) => ({ url, headers: { [KEY_HEADER]: header } }),
  notes: ['Cursor reads the file when it starts: restart it, then the server shows a green dot under Settings → MCP'],
});
