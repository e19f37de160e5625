import { parse as parseToml } from 'smol-toml';
import type { McpgwConfig } from '../config/schema.js';
import { readIfExists } from '../fs.js';
import { KEY_HEADER } from '../gateway/key-header.js';
import { CLIENTS } from './index.js';
import { parseJsonObject } from './json-edit.js';
import { asObject } from './servers.js';
import { CLIENT_IDS, DEFAULT_SERVER_NAME, type ClientId, type ClientPlace, type Scope, type ServerEntry } from './types.js';

/** One MCP server entry found in a client's config file. */
export interface ClientEntry extends ServerEntry {
  client: ClientId;
  title: string;
  file: string;
  /** The scope `client-config --write` writes this file for. */
  scope: Scope;
}

export interface ClientScan {
  entries: ClientEntry[];
  read: string[];
  unreadable: { file: string; reason: string }[];
}

/**
 * Every server entry in the client files that exist: the files each client format declares, which are the
 * ones `mcpgw client-config --write` writes, so the doctor reads what was written wherever the environment
 * (CLAUDE_CONFIG_DIR, CODEX_HOME, XDG_CONFIG_HOME, APPDATA) moved it.
 */
export async function scanClientFiles(place: ClientPlace): Promise<ClientScan> {
  const scan: ClientScan = { entries: [], read: [], unreadable: [] };
  for (const client of CLIENT_IDS) {
    for (const spec of CLIENTS[client].files(place)) {
      const text = await readIfExists(spec.file);
      if (text === undefined) continue;
      let doc: Record<string, unknown>;
      try {
        // Read tolerantly (comments, trailing commas): the question is where entries point, not the file's dialect.
        doc = (spec.syntax === 'toml' ? asObject(parseToml(text)) : parseJsonObject(text, spec.file, { comments: true })) ?? {};
      } catch (error) {
        scan.unreadable.push({ file: spec.file, reason: (error as Error).message.split('\n')[0] ?? '' });
        continue;
      }
      scan.read.push(spec.file);
      for (const entry of spec.servers(doc)) scan.entries.push({ client, title: CLIENTS[client].title, file: spec.file, scope: spec.scope, ...entry });
    }
  }
  return scan;
}

/** Whether the entry's URL names this gateway: mcpgw.yaml's host (or this machine) and LiteLLM's port. */
export function pointsAtGateway(entry: ClientEntry, config: Pick<McpgwConfig, 'host' | 'bind' | 'litellm'>): boolean {
  if (!entry.url) return false;
  const hosts = new Set([config.host.toLowerCase(), 'localhost', '127.0.0.1', config.bind]);
  try {
    const url = new URL(entry.url);
    return hosts.has(url.hostname.toLowerCase()) && Number(url.port || (url.protocol === 'https:' ? 443 : 80)) === config.litellm.port;
  } catch {
    return false;
  }
}

/** The header the entry sends the key in, by name as clients may spell it. */
export function entryHeader(entry: ServerEntry, name: string): string | undefined {
  return Object.entries(entry.headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** A header value the client resolves itself (${VAR}, ${env:VAR}, ${input:id}): its value is not in the file. */
export function isVariableReference(value: string): boolean {
  return /\$\{[^}]+\}/.test(value);
}

/** The key the entry sends (`Bearer sk-…` in mcpgw's header), when the file holds it rather than a variable reference. */
export function entryKey(entry: ServerEntry): string | undefined {
  const value = entryHeader(entry, KEY_HEADER);
  if (value === undefined || isVariableReference(value)) return undefined;
  return /^Bearer\s+(\S+)$/.exec(value.trim())?.[1];
}

/**
 * The command that rewrites the entry with the key of `alias`: the same client, scope and server name, so `--write`
 * replaces this entry instead of adding one. `--key-alias` when mcpgw keeps the key (`kept`), else the key on stdin.
 */
export function rewriteCommand(entry: ClientEntry, alias: string, kept: boolean): string {
  const name = entry.at.split('.').at(-1) ?? DEFAULT_SERVER_NAME;
  return [
    `mcpgw client-config ${entry.client}`,
    kept ? `--key-alias ${alias}` : '--key-file - (the new key on stdin)',
    ...(entry.scope !== CLIENTS[entry.client].defaultScope ? [`--scope ${entry.scope}`] : []),
    ...(name !== DEFAULT_SERVER_NAME ? [`--name ${name}`] : []),
    '--write',
  ].join(' ');
}
