import { isMap, isScalar, isSeq, parseDocument, YAMLMap, type YAMLSeq, type Document } from 'yaml';
import { UserError } from '../errors.js';

/**
 * In-place edits of mcpgw.yaml through the `yaml` Document API, so the user's comments, key order and
 * quoting survive. These functions only reshape text; callers validate the result before writing it.
 */

/**
 * Options for `toString`: no line folding (long commands and URLs stay on one line) and `[a, b]` rather than
 * `[ a, b ]`, the way people (and mcpgw init) write inline lists.
 */
const OUTPUT = { lineWidth: 0, flowCollectionPadding: false } as const;

function parse(text: string, file: string): Document {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new UserError(
      `${file} is not valid YAML (${doc.errors[0]?.message.split('\n')[0] ?? 'parse error'})`,
      'fix it (mcpgw render shows the line) before editing it with mcpgw mcp',
    );
  }
  if (!isMap(doc.contents)) throw new UserError(`${file} does not hold a mapping`, 'run `mcpgw init` to write a commented example');
  return doc;
}

/** Adds `mcp_servers.<name>`, after the existing servers. Short lists of plain strings are written inline. */
export function addServer(original: string, name: string, server: Record<string, unknown>, file = 'mcpgw.yaml'): string {
  return keepingLineEndings(original, (text) => addServerLf(text, name, server, file));
}

function addServerLf(text: string, name: string, server: Record<string, unknown>, file: string): string {
  const doc = parse(text, file);
  let servers = doc.get('mcp_servers', true);
  if (!isMap(servers)) {
    // Absent, `mcp_servers:` (null) or `{}`: start a block mapping in its place, keeping the key where it is.
    servers = new YAMLMap();
    doc.set('mcp_servers', servers);
  }
  const map = servers as YAMLMap;
  map.flow = false;
  if (map.has(name)) throw new UserError(`mcp_servers.${name} already exists in ${file}`, `choose another name, or run \`mcpgw mcp remove ${name}\` first`);
  const node = doc.createNode(server) as YAMLMap;
  for (const pair of node.items) {
    if (isSeq(pair.value) && pair.value.items.every((item) => isScalar(item) && String(item.value).length < 60)) pair.value.flow = true;
  }
  map.set(name, node);
  return keepUntouchedLines(text, doc.toString(OUTPUT));
}

export interface RemoveResult {
  text: string;
  /** Key aliases whose mcp_servers (or now-empty mcp_groups) lost the server. */
  ungranted: string[];
}

/**
 * Removes `mcp_servers.<name>`; with `dropGrants` it also removes the name from every key's mcp_servers, and
 * group grants that no remaining server serves, so the next key sync drops the grant from the database.
 */
export function removeServer(original: string, name: string, options: { dropGrants: boolean }, file = 'mcpgw.yaml'): RemoveResult {
  let ungranted: string[] = [];
  const text = keepingLineEndings(original, (lf) => {
    const result = removeServerLf(lf, name, options, file);
    ungranted = result.ungranted;
    return result.text;
  });
  return { text, ungranted };
}

function removeServerLf(text: string, name: string, options: { dropGrants: boolean }, file: string): RemoveResult {
  const doc = parse(text, file);
  const servers = doc.get('mcp_servers', true);
  if (!isMap(servers) || !servers.has(name)) throw new UserError(`${file} has no MCP server "${name}"`, 'see `mcpgw mcp list`');
  // The yaml library hangs a comment above the first server on the mapping itself; it describes that server.
  if (isScalar(servers.items[0]?.key) && servers.items[0].key.value === name) servers.commentBefore = undefined;
  servers.delete(name);
  const ungranted: string[] = [];
  if (options.dropGrants) {
    const remainingGroups = new Set(
      servers.items.flatMap((pair) => {
        const groups = isMap(pair.value) ? pair.value.get('groups', true) : undefined;
        return isSeq(groups) ? groups.items.map((item) => String(isScalar(item) ? item.value : item)) : [];
      }),
    );
    const keys = doc.get('keys', true);
    for (const key of isSeq(keys) ? keys.items : []) {
      if (!isMap(key)) continue;
      const dropped = dropItems(key.get('mcp_servers', true), (value) => value === name);
      const droppedGroups = dropItems(key.get('mcp_groups', true), (value) => !remainingGroups.has(value));
      if (dropped || droppedGroups) ungranted.push(String(key.get('alias')));
    }
  }
  return { text: keepUntouchedLines(text, doc.toString(OUTPUT)), ungranted };
}

/**
 * Points `litellm` at another LiteLLM: `build: builtin` (mcpgw's own image; any `image:` line removed) or
 * `image: REF` (any `build:` line removed). Other lines and their comments stay as written.
 */
export function setLitellmImage(original: string, target: { build: 'builtin' } | { image: string }, file = 'mcpgw.yaml'): string {
  return keepingLineEndings(original, (text) => {
    const doc = parse(text, file);
    let litellm = doc.get('litellm', true);
    if (!isMap(litellm)) {
      litellm = new YAMLMap();
      doc.set('litellm', litellm);
    }
    const map = litellm as YAMLMap;
    if ('build' in target) {
      map.delete('image');
      map.set('build', target.build);
    } else {
      map.delete('build');
      map.set('image', target.image);
    }
    return keepUntouchedLines(text, doc.toString(OUTPUT));
  });
}

function dropItems(node: unknown, drop: (value: string) => boolean): boolean {
  if (!isSeq(node)) return false;
  const seq = node as YAMLSeq;
  const before = seq.items.length;
  seq.items = seq.items.filter((item) => !drop(String(isScalar(item) ? item.value : item)));
  return seq.items.length !== before;
}

/**
 * Runs an edit on the text with LF line endings and no byte-order mark, then puts back the file's own: the yaml
 * library writes LF only, and a CRLF file (Windows editors, often with a BOM) must not turn into an LF one.
 */
function keepingLineEndings(text: string, edit: (lf: string) => string): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = text.slice(bom.length);
  const crlf = body.includes('\r\n');
  const edited = edit(crlf ? body.replace(/\r\n/g, '\n') : body);
  return bom + (crlf ? edited.replace(/\r?\n/g, '\r\n') : edited);
}

/** A line without the spacing the yaml library rewrites: inside flow brackets and before an inline comment. */
function unpadded(line: string): string {
  return line
    .replace(/([[{])\s+/g, '$1')
    .replace(/\s+([\]}])/g, '$1')
    .replace(/\s+#/g, ' #');
}

/**
 * The yaml library writes every flow collection with one padding style (a file may use both `[a]` and
 * `{ A: b }`) and one space before inline comments (people align them). Lines the edit did not change are put
 * back exactly as the user wrote them.
 */
function keepUntouchedLines(original: string, edited: string): string {
  const originals = new Map<string, string>();
  for (const line of original.split('\n')) if (!originals.has(unpadded(line))) originals.set(unpadded(line), line);
  return edited
    .split('\n')
    .map((line) => originals.get(unpadded(line)) ?? line)
    .join('\n');
}
