export const CLIENT_IDS = ['claude', 'gemini', 'codex', 'vscode', 'cursor', 'claude-desktop', 'openwebui'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];
export type Scope = 'user' | 'project';

/** What decides where a client's files are: the user's home, the project directory, and the platform and variables that move them. */
/** The server's name in a client's config unless `--name` says otherwise. */
export const DEFAULT_SERVER_NAME = 'litellm';

export interface ClientPlace {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
}

/** Everything a client format needs to produce its configuration; no I/O happens while planning. */
export interface ClientRequest extends ClientPlace {
  /** Server name in the client's config (`litellm` by default). */
  name: string;
  /** The gateway's MCP endpoint, e.g. http://gateway.lan:4000/mcp/. */
  url: string;
  /** The virtual key; undefined prints a placeholder the user replaces. */
  key: string | undefined;
  scope: Scope;
}

/** One MCP server entry in a client file, reduced to what decides whether it reaches the gateway. */
export interface ServerEntry {
  /** Where in the file, e.g. mcpServers.litellm or projects./repo.mcpServers.litellm. */
  at: string;
  url?: string;
  type?: string;
  /** Header values as the client sends them; a value the client takes from a variable reads `${VAR}`. */
  headers: Record<string, string>;
}

/** A file the client reads its MCP servers from, and the one `--write` edits for that scope. */
export interface ClientFile {
  scope: Scope;
  file: string;
  syntax: 'json' | 'toml';
  /** The server entries in the parsed document. */
  servers(doc: Record<string, unknown>): ServerEntry[];
}

/** Turns a config file's current text (undefined when absent) into its new text, or throws a ConfigError. */
export type FileEdit = (existing: string | undefined, file: string) => string;

export interface ClientTarget {
  file: string;
  edit: FileEdit;
  /** The written file contains the key itself (only files that are not likely to be committed). */
  holdsKey: boolean;
}

export interface ClientPlan {
  client: ClientId;
  scope: Scope;
  /** What the user pastes or runs. Holds the key when one was given: printing it is what the user asked for. */
  snippet: string;
  /** Absent for clients whose configuration lives in a database (Open WebUI). */
  target?: ClientTarget;
  /** Variable the client reads `Bearer <key>` from, when the key is kept out of the file. */
  envVar?: string;
  /** Advice for the user; never contains the key. */
  notes: string[];
}

export interface ClientFormat {
  id: ClientId;
  /** For --help and errors. */
  title: string;
  scopes: readonly Scope[];
  defaultScope: Scope;
  /** Where the client looks for its servers, one file per scope that has one; a plan's target is among them. */
  files(place: ClientPlace): ClientFile[];
  plan(request: ClientRequest): ClientPlan;
}
