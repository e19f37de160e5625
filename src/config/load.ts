import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UserError, type ConfigIssue } from '../errors.js';
import { readIfExists } from '../fs.js';
import type { PathSegment } from './path.js';
import { checkRules } from './rules/index.js';
import { configSchema, DEFAULT_SECRETS_FILE, DEFAULT_STACK_NAME, type McpgwConfig } from './schema.js';
import { fromZodIssues } from './zod-issues.js';

export interface LoadedConfig {
  config: McpgwConfig;
  /** Absolute path of mcpgw.yaml; relative paths inside it resolve against its directory. */
  file: string;
  dir: string;
  secretsFile: string;
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  const text = await readIfExists(file, 'mcpgw.yaml file');
  if (text === undefined) throw new UserError(`${file} not found`, 'run `mcpgw init` to create one, or pass -f PATH');
  const config = parseConfig(text, file);
  const dir = path.dirname(path.resolve(file));
  return { config, file: path.resolve(file), dir, secretsFile: path.resolve(dir, config.secrets) };
}

/**
 * What a mcpgw.yaml that does not validate still tells: the stack's name, its secrets file and its engine, from its
 * top-level fields (read by line when the YAML itself is broken), else the defaults. Only for commands that read what
 * runs by its labels, redacting with the secrets (status, logs, down, keys list, doctor).
 */
export async function invalidConfigHints(file: string): Promise<{ name: string; secretsFile: string; engine: McpgwConfig['engine'] }> {
  const text = (await readIfExists(file, 'mcpgw.yaml file')) ?? '';
  const doc = parseDocument(text, { prettyErrors: false });
  const field = (key: string): unknown =>
    doc.errors.length === 0 && isMap(doc.contents) ? doc.get(key) : new RegExp(`^${key}:[ \\t]*["']?([^\\s"'#]+)`, 'm').exec(text)?.[1];
  const name = field('name');
  const secrets = field('secrets');
  return {
    name: typeof name === 'string' && /^[a-z][a-z0-9-]*$/.test(name) ? name : DEFAULT_STACK_NAME,
    secretsFile: path.resolve(path.dirname(path.resolve(file)), typeof secrets === 'string' && secrets !== '' ? secrets : DEFAULT_SECRETS_FILE),
    engine: field('engine') === 'swarm' ? 'swarm' : 'compose',
  };
}

const YAML_FIX = 'fix the YAML syntax at this line (indentation, quotes, a missing ":")';
const MAPPING_FIX = 'mcpgw.yaml is a mapping of fields (version: 1, host: …, mcp_servers: …); `mcpgw init` writes a commented example';

/** Parses and validates mcpgw.yaml text; throws one ConfigError listing every problem with its line. */
export function parseConfig(text: string, file = 'mcpgw.yaml'): McpgwConfig {
  const lineCounter = new LineCounter();
  // A UTF-8 byte-order mark (Windows editors) is not part of the document.
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first, ...after] = doc.errors;
  if (first) {
    // Only the first: the parser's later errors follow from it (one mis-indented line makes each sibling after it
    // an error too), and listing them hides the line that is wrong.
    const more = after.length > 0 ? ` (then ${after.length} more YAML error(s) after it, which it most likely causes)` : '';
    throw new ConfigError(file, [
      { path: '(yaml)', ...yamlIssue(text, first.message, lineCounter.linePos(first.pos[0])), message: `${yamlMessage(first.message)}${more}` },
    ]);
  }
  const raw = toPlain(doc, lineCounter, file);
  if (raw === null || raw === undefined) {
    throw new UserError(`${file} is empty`, 'run `mcpgw init` to write a commented example');
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const offset = nodeOffset(doc.contents) ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    throw new ConfigError(file, [
      { path: '(top level)', message: `must be a mapping of fields, got ${describeValue(raw)}`, fix: MAPPING_FIX, line, column: col },
    ]);
  }
  // reportInput: messages say what was found ("got the string …"), not "is required" for a value of the wrong type.
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  const ruleIssues = checkRules(raw);
  // A rule that fires on a field explains it better than the generic schema message for the same field.
  const explained = new Set(ruleIssues.map((issue) => issue.path));
  const schemaIssues = parsed.success ? [] : fromZodIssues(parsed.error.issues, knownKeys).filter((issue) => !explained.has(issue.path));
  const issues = [...schemaIssues, ...ruleIssues];
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError(file, sortIssues(issues.map((issue) => locate(issue, doc, lineCounter))));
  }
  return parsed.data;
}

/**
 * Where a YAML error is and what to do there. An indentation error points at the line's first field, with its
 * indentation, since the parser's position is the line's start.
 */
function yamlIssue(text: string, message: string, pos: { line: number; col: number }): Pick<ConfigIssue, 'fix' | 'line' | 'column'> {
  if (!/same column/i.test(message)) return { fix: YAML_FIX, line: pos.line, column: pos.col };
  const indent = /^ */.exec(text.split('\n')[pos.line - 1] ?? '')?.[0].length ?? 0;
  return { fix: `${YAML_FIX}: this line has ${indent} space(s) before its field, unlike the fields it belongs with`, line: pos.line, column: indent + 1 };
}

/** The first line of a YAML error, without a long quoted source (a binary or minified file would be echoed). */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.length > 160 ? `${first.slice(0, 157)}…` : first;
}

/**
 * The document as plain data. An alias bomb ("billion laughs": aliases of aliases that expand exponentially)
 * is a config error at its first alias, not a crash.
 */
function toPlain(doc: Document, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (!/alias/i.test((error as Error).message)) throw error;
    let offset = 0;
    visit(doc, {
      Alias: (_key, node) => {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = lines.linePos(offset);
    throw new ConfigError(file, [
      {
        path: '(yaml)',
        message: 'YAML aliases expand to too many nodes (an alias bomb)',
        fix: 'write the values out instead of repeating aliases (*name) of aliases',
        line,
        column: col,
      },
    ]);
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'plain text';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Adds the line and column the issue points at: the value, or the key for an issue about the field's name; for a
 * field that is missing, the key of its nearest existing parent (where it belongs).
 */
function locate(issue: ConfigIssue, doc: Document, lines: LineCounter): ConfigIssue {
  if (issue.line !== undefined) return issue;
  let segments = parsePath(issue.path);
  let atKey = issue.atKey === true;
  while (segments.length > 0) {
    const offset = atKey ? keyOffset(doc, segments) : nodeOffset(doc.getIn(segments, true));
    if (offset !== undefined) {
      const { line, col } = lines.linePos(offset);
      return { path: issue.path, message: issue.message, fix: issue.fix, line, column: col };
    }
    segments = segments.slice(0, -1);
    atKey = true;
  }
  return { path: issue.path, message: issue.message, fix: issue.fix };
}

/** Where the key of the field at `segments` starts, when its parent is a mapping that has it. */
function keyOffset(doc: Document, segments: PathSegment[]): number | undefined {
  const parent = segments.length > 1 ? doc.getIn(segments.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === segments.at(-1));
  return nodeOffset(pair?.key);
}

function nodeOffset(node: unknown): number | undefined {
  if (isScalar(node) || isMap(node) || isSeq(node)) return node.range?.[0];
  return undefined;
}

function parsePath(text: string): PathSegment[] {
  if (text.startsWith('(')) return [];
  const segments: PathSegment[] = [];
  for (const part of text.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return segments;
    if (match[1]) segments.push(match[1]);
    for (const index of match[2]?.matchAll(/\[(\d+)\]/g) ?? []) segments.push(Number(index[1]));
  }
  return segments;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.path.localeCompare(b.path));
}

/** The keys allowed in the object schema found at `path`, for "did you mean" suggestions. */
function knownKeys(path: readonly PathSegment[]): string[] {
  let schema: z.core.$ZodType | undefined = configSchema;
  for (const segment of path) {
    schema = schema ? childSchema(unwrap(schema), segment) : undefined;
  }
  const def = schema ? unwrap(schema)._zod.def : undefined;
  return def && def.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; out?: z.core.$ZodType };
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'nullable') && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.out) current = def.out;
    else return current;
  }
}

function childSchema(schema: z.core.$ZodType, segment: PathSegment): z.core.$ZodType | undefined {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType; element?: z.core.$ZodType };
  if (def.type === 'object') return def.shape?.[String(segment)];
  if (def.type === 'record') return def.valueType;
  if (def.type === 'array') return def.element;
  return undefined;
}
