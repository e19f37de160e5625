import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UserError } from '../errors.js';

/** One entry of data/mcp-catalog.yaml: what to run, what it needs, and a read-only call that proves it works. */
export interface CatalogEntry {
  id: string;
  title: string;
  package: string;
  secrets: string[];
  probe: { tool: string; arguments: Record<string, unknown>; expect_error?: string };
  note?: string;
  /**
   * An image no registry publishes (the server and supergateway together): the tag to build and its
   * Dockerfile. `mcp add` without --image prints the recipe instead of writing an entry that cannot start.
   */
  build?: { image: string; dockerfile: string };
  /**
   * The same server built by mcpgw from its package registry instead of pulled (mcp_servers.X.build): what `mcp add`
   * writes into a stack whose images mcpgw builds (litellm.build: builtin), where no container registry may answer.
   * Its fields replace the server's (and its image goes): `build`, `command`, and for a stdio server LiteLLM would
   * spawn with a tool its image lacks (uvx), `container_port`.
   */
  packaged?: Record<string, unknown> & { build: { npm: string } | { pypi: string }; command: string[] };
  /** The mcpgw.yaml server entry without a host port (add picks one). */
  server: Record<string, unknown> & { transport: string; inside_litellm?: boolean; image?: string; container_port?: number; path?: string };
}

const CATALOG_FILE = new URL('../../data/mcp-catalog.yaml', import.meta.url);

export function loadCatalog(): CatalogEntry[] {
  const raw = parse(readFileSync(CATALOG_FILE, 'utf8')) as Record<string, Omit<CatalogEntry, 'id'>>;
  return Object.entries(raw).map(([id, entry]) => ({ id, ...entry }));
}

export function catalogEntry(id: string, catalog = loadCatalog()): CatalogEntry {
  const entry = catalog.find((candidate) => candidate.id === id);
  if (!entry)
    throw new UserError(
      `the catalog has no entry "${id}"`,
      `known entries: ${catalog.map((candidate) => candidate.id).join(', ')} (see \`mcpgw mcp catalog\`)`,
    );
  return entry;
}

/** How the catalog entry runs, in a few words, for the catalog table. */
export function runsAs(server: CatalogEntry['server']): string {
  if (server.transport === 'stdio') return server.inside_litellm ? 'stdio (LiteLLM)' : 'stdio→http';
  return server.transport;
}

/** What the entry runs, short: its image (or the one to build, see `build`), else the package. */
export function source(entry: CatalogEntry): string {
  if (entry.build) return entry.build.image;
  return entry.server.image ?? entry.package.replace(/\s*\(.*\)$/, '');
}

/** `npm (@scope/pkg@1.2.3)` / `PyPI (pkg==1.2) with Debian's git`: what a server's `build:` installs into its image. */
export function packageLabel(build: { npm?: string; pypi?: string; apt?: string[] }): string {
  const registry = build.npm ? `npm (${build.npm})` : `PyPI (${build.pypi})`;
  return build.apt?.length ? `${registry} with Debian's ${build.apt.join(', ')}` : registry;
}

/** The one command that builds the image a `build` entry needs, from its Dockerfile on stdin. */
export function buildCommand(build: NonNullable<CatalogEntry['build']>): string {
  const lines = build.dockerfile
    .trim()
    .split('\n')
    .map((line) => `'${line.trim()}'`);
  return `printf '%s\\n' ${lines.join(' ')} | docker build -t ${build.image} -`;
}

/** Where the server listens inside its container (the published host port is picked per stack). */
export function containerEndpoint(server: CatalogEntry['server']): string {
  if (server.transport === 'stdio' && server.inside_litellm) return '-';
  const transport = server.transport === 'stdio' ? 'http' : server.transport;
  return `:${server.container_port ?? '?'}${server.path ?? (transport === 'sse' ? '/sse' : '/mcp')}`;
}
