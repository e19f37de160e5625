import { isDeepStrictEqual } from 'node:util';
import { applyEdits, modify, parse, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { ConfigError } from '../errors.js';

/**
 * Edits JSON config files in place with jsonc-parser (the library VS Code edits its own settings with): only the
 * member that changes is rewritten, so every other entry, the key order, the indentation and, in JSONC files, the
 * comments stay exactly as the user left them.
 */
export interface JsonDialect {
  /** VS Code and Gemini read JSON with comments and trailing commas; Claude and Cursor read strict JSON. */
  comments: boolean;
}

type JsonObject = Record<string, unknown>;

const UNTOUCHED = 'mcpgw left the file untouched: fix it by hand (or move it away) and re-run';

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The document's top-level object; a file that is not valid in its dialect is a ConfigError with line:column. */
export function parseJsonObject(text: string, file: string, dialect: JsonDialect): JsonObject {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: dialect.comments, disallowComments: !dialect.comments, allowEmptyContent: true });
  if (errors.length > 0) {
    throw new ConfigError(
      file,
      errors.slice(0, 3).map((error) => ({
        path: '(top level)',
        message: `not valid ${dialect.comments ? 'JSON with comments' : 'JSON'}: ${printParseErrorCode(error.error)}`,
        fix: UNTOUCHED,
        ...lineColumn(text, error.offset),
      })),
    );
  }
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(file, [{ path: '(top level)', message: 'expected a JSON object', fix: UNTOUCHED }]);
  }
  return value as JsonObject;
}

function objectAt(root: JsonObject, path: readonly string[], file: string): JsonObject | undefined {
  let node: unknown = root;
  for (const [index, segment] of path.entries()) {
    node = (node as JsonObject)[segment];
    if (node === undefined) return undefined;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      throw new ConfigError(file, [
        { path: path.slice(0, index + 1).join('.'), message: `expected an object, found ${Array.isArray(node) ? 'an array' : typeof node}`, fix: UNTOUCHED },
      ]);
    }
  }
  return node as JsonObject;
}

/** Formatting that matches the file: its indentation unit and line ending. */
function formatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

function emptyDocument(): string {
  return '{}\n';
}

/**
 * Sets `parent.<name>` (parent given as a path of object members, created when missing) to `value`. Returns the
 * text unchanged when it already holds exactly that value, so a re-run writes nothing.
 */
export function setJsonMember(
  existing: string | undefined,
  file: string,
  dialect: JsonDialect,
  parent: readonly string[],
  name: string,
  value: unknown,
): string {
  const text = existing === undefined || existing.trim() === '' ? emptyDocument() : existing;
  const root = parseJsonObject(text, file, dialect);
  const container = objectAt(root, parent, file);
  if (container && isDeepStrictEqual(container[name], value)) return text;
  return applyEdits(text, modify(text, [...parent, name], value, { formattingOptions: formatting(text) }));
}

/**
 * Puts `value` into the array `arrayName` (created when missing), replacing the element whose `key` field equals
 * value[key]; other elements stay where they are.
 */
export function upsertJsonArrayItem(
  existing: string | undefined,
  file: string,
  dialect: JsonDialect,
  arrayName: string,
  key: string,
  value: JsonObject,
): string {
  const text = existing === undefined || existing.trim() === '' ? emptyDocument() : existing;
  const root = parseJsonObject(text, file, dialect);
  const array = root[arrayName];
  if (array === undefined) return applyEdits(text, modify(text, [arrayName], [value], { formattingOptions: formatting(text) }));
  if (!Array.isArray(array)) throw new ConfigError(file, [{ path: arrayName, message: `expected an array, found ${typeof array}`, fix: UNTOUCHED }]);
  const index = array.findIndex((item) => typeof item === 'object' && item !== null && (item as JsonObject)[key] === value[key]);
  if (index >= 0 && isDeepStrictEqual(array[index], value)) return text;
  const at = index >= 0 ? index : array.length;
  return applyEdits(text, modify(text, [arrayName, at], value, { formattingOptions: formatting(text), isArrayInsertion: index < 0 }));
}
