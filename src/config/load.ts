import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UserError, type ConfigIssue } from '../errors.js';
import { readIfExists } from '../fs.js';
import type { PathSegment } from './path.js';
import { checkRules } from './rules.js';
import { configSchema, type McpgwConfig } from './schema.js';
import { fromZodIssues } from './zod-issues.js';

export interface LoadedConfig {
  config: McpgwConfig;
  /** Absolute path of mcpgw.yaml; relative paths inside it resolve against its directory. */
  file: string;
  dir: string;
  secretsFile: string;
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  const text = await readIfExists(file);
  if (text === undefined) throw new UserError(`${file} not found`, 'run `mcpgw init` to create one, or pass -f PATH');
  const config = parseConfig(text, file);
  const dir = path.dirname(path.resolve(file));
  return { config, file: path.resolve(file), dir, secretsFile: path.resolve(dir, config.secrets) };
}

/** Parses and validates mcpgw.yaml text; throws one ConfigError listing every problem with its line. */
export function parseConfig(text: string, file = 'mcpgw.yaml'): McpgwConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return {
          path: '(yaml)',
          message: error.message.split('\n')[0] ?? error.message,
          fix: 'fix the YAML syntax at this line (indentation, quotes, a missing ":")',
          line: pos.line,
          column: pos.col,
        };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new UserError(`${file} is empty`, 'run `mcpgw init` to write a commented example');
  }
  const parsed = configSchema.safeParse(raw);
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

/** Adds the line of the node the issue points at (or its nearest existing parent). */
function locate(issue: ConfigIssue, doc: Document, lines: LineCounter): ConfigIssue {
  if (issue.line !== undefined) return issue;
  let segments = parsePath(issue.path);
  while (segments.length > 0) {
    const node = doc.getIn(segments, true);
    const offset = nodeOffset(node);
    if (offset !== undefined) {
      const { line, col } = lines.linePos(offset);
      return { ...issue, line, column: col };
    }
    segments = segments.slice(0, -1);
  }
  return issue;
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
