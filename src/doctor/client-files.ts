import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseJsonObject } from '../clients/json-edit.js';
import { readIfExists } from '../fs.js';

/** One MCP server entry found in a client's JSON config. */
export interface ClientEntry {
  client: string;
  file: string;
  /** Where in the file, e.g. mcpServers.litellm or projects./repo.mcpServers.litellm. */
  at: string;
  url?: string;
  type?: string;
  headers: Record<string, string>;
}

interface ClientFile {
  client: string;
  /** Relative to HOME (user scope) or to the working directory (project scope). */
  base: 'home' | 'cwd';
  file: string;
  format?: 'json' | 'toml';
  /** Where the server maps live in the document. */
  maps(doc: Record<string, unknown>): [string, unknown][];
}

const object = (value: unknown): Record<string, unknown> | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

const top = (key: string) => (doc: Record<string, unknown>): [string, unknown][] => [[key, doc[key]]];

/** The client files the doctor reads (clients.md), where `mcpgw client-config --write` puts its entries. */
export const CLIENT_FILES: readonly ClientFile[] = [
  {
    client: 'Claude Code',
    base: 'home',
    file: '.claude.json',
    maps: (doc) => [['mcpServers', doc.mcpServers], ...Object.entries(object(doc.projects) ?? {}).map(([project, value]): [string, unknown] => [`projects.${project}.mcpServers`, object(value)?.mcpServers])],
  },
  { client: 'Claude Code (project)', base: 'cwd', file: '.mcp.json', maps: top('mcpServers') },
  { client: 'Gemini CLI', base: 'home', file: '.gemini/settings.json', maps: top('mcpServers') },
  { client: 'VS Code', base: 'cwd', file: '.vscode/mcp.json', maps: top('servers') },
  { client: 'Cursor', base: 'home', file: '.cursor/mcp.json', maps: top('mcpServers') },
  { client: 'Codex CLI', base: 'home', file: '.codex/config.toml', format: 'toml', maps: top('mcp_servers') },
];

export interface ClientScan {
  entries: ClientEntry[];
  read: string[];
  unreadable: { file: string; reason: string }[];
}

/** Every server entry in the client files that exist under `home` and `cwd`. */
export async function scanClientFiles(home: string | undefined, cwd: string): Promise<ClientScan> {
  const scan: ClientScan = { entries: [], read: [], unreadable: [] };
  for (const spec of CLIENT_FILES) {
    if (spec.base === 'home' && !home) continue;
    const file = path.join(spec.base === 'home' ? (home as string) : cwd, spec.file);
    const text = await readIfExists(file);
    if (text === undefined) continue;
    let doc: Record<string, unknown> | undefined;
    try {
      // Read tolerantly (comments, trailing commas): the question is where entries point, not the file's dialect.
      doc = spec.format === 'toml' ? object(parseToml(text)) : parseJsonObject(text, file, { comments: true });
    } catch (error) {
      scan.unreadable.push({ file, reason: (error as Error).message.split('\n')[0] ?? '' });
      continue;
    }
    scan.read.push(file);
    for (const [at, map] of spec.maps(doc ?? {})) {
      for (const [name, value] of Object.entries(object(map) ?? {})) {
        const entry = object(value) ?? {};
        const url = typeof entry.url === 'string' ? entry.url : typeof entry.httpUrl === 'string' ? entry.httpUrl : undefined;
        // Codex names the variable holding the header value in env_http_headers: recorded as a ${VAR} reference.
        const fromEnv = Object.entries(object(entry.env_http_headers) ?? {}).map(([header, variable]) => [header, `\${${String(variable)}}`]);
        const headers = Object.fromEntries([...Object.entries(object(entry.headers ?? entry.http_headers) ?? {}), ...fromEnv].filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
        scan.entries.push({ client: spec.client, file, at: `${at}.${name}`, ...(url ? { url } : {}), ...(typeof entry.type === 'string' ? { type: entry.type } : {}), headers });
      }
    }
  }
  return scan;
}
