import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UserError } from '../errors.js';

/** One entry of data/mcp-catalog.yaml: what to run, what it needs, and a read-only call that proves it works. */
export interface CatalogEntry {
  id: string;
  title: string;
  package: string;
  secrets: string[];
  probe: { tool: string; arguments: Record<string, unknown> };
  note?: string;
  /** The mcpgw.yaml server entry without a host port (add picks one). */
  server: Record<string, unknown> & { transport: string; bridge?: string; image?: string; container_port?: number; path?: string };
}

const CATALOG_FILE = new URL('../../data/mcp-catalog.yaml', import.meta.url);

export function loadCatalog(): CatalogEntry[] {
  const raw = parse(readFileSync(CATALOG_FILE, 'utf8')) as Record<string, Omit<CatalogEntry, 'id'>>;
  return Object.entries(raw).map(([id, entry]) => ({ id, ...entry }));
}

export function catalogEntry(id: string, catalog = loadCatalog()): CatalogEntry {
  const entry = catalog.find((candidate) => candidate.id === id);
  if (!entry) throw new UserError(`the catalog has no entry "${id}"`, `known entries: ${catalog.map((candidate) => candidate.id).join(', ')} (see \`mcpgw mcp catalog\`)`);
  return entry;
}

/** How the catalog entry runs, in words, for the catalog table. */
export function runsAs(server: CatalogEntry['server']): string {
  if (server.transport === 'stdio') return server.bridge ? `stdio bridged to ${server.bridge}` : 'stdio in LiteLLM';
  return server.transport;
}

/** Where the server listens inside its container (the published host port is picked per stack). */
export function containerEndpoint(server: CatalogEntry['server']): string {
  if (server.transport === 'stdio' && !server.bridge) return '-';
  const transport = server.transport === 'stdio' ? server.bridge : server.transport;
  return `:${server.container_port ?? '?'}${server.path ?? (transport === 'sse' ? '/sse' : '/mcp')}`;
}
