import { parse as parseToml } from 'smol-toml';
import { CLIENTS } from '../clients/index.js';
import { parseJsonObject } from '../clients/json-edit.js';
import { asObject } from '../clients/servers.js';
import { CLIENT_IDS, type ClientId, type ClientPlace, type ServerEntry } from '../clients/types.js';
import { readIfExists } from '../fs.js';

/** One MCP server entry found in a client's config file. */
export interface ClientEntry extends ServerEntry {
  client: ClientId;
  title: string;
  file: string;
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
      for (const entry of spec.servers(doc)) scan.entries.push({ client, title: CLIENTS[client].title, file: spec.file, ...entry });
    }
  }
  return scan;
}
