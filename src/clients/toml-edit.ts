import { isDeepStrictEqual } from 'node:util';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';

/**
 * Replaces one `[parent.name]` table of a TOML file (Codex's config.toml) by editing its text: the rest of the
 * file, comments included, is kept byte for byte. smol-toml only validates the file before and checks the result
 * after, so an edit that would change anything else is refused instead of written.
 */

type TomlValue = string | Record<string, string>;
export type TomlTable = Record<string, TomlValue>;

const UNTOUCHED = 'mcpgw left the file untouched: fix it by hand (or move it away) and re-run';

/** Plain objects (smol-toml returns null-prototype ones), so deep comparison sees only the data. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return plain(parse(text)) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = error.message.split('\n')[0] ?? 'invalid TOML';
    throw new ConfigError(file, [
      {
        path: '(top level)',
        message: `not valid TOML: ${message.replace(/^Invalid TOML document: /, '')}`,
        line: error.line,
        column: error.column,
        fix: UNTOUCHED,
      },
    ]);
  }
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** A TOML basic string; JSON's escapes (\" \\ \n \uXXXX) are valid TOML, and DEL is escaped too. */
function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007f');
}

function tomlValue(value: TomlValue): string {
  if (typeof value === 'string') return tomlString(value);
  return `{ ${Object.entries(value)
    .map(([key, item]) => `${tomlKey(key)} = ${tomlString(item)}`)
    .join(', ')} }`;
}

export function renderTomlTable(path: readonly string[], table: TomlTable): string {
  const lines = [`[${path.map(tomlKey).join('.')}]`, ...Object.entries(table).map(([key, value]) => `${tomlKey(key)} = ${tomlValue(value)}`)];
  return `${lines.join('\n')}\n`;
}

/** The header's dotted key as plain segments, or undefined when the line is not a table header. */
function headerPath(line: string): string[] | undefined {
  const match = /^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$/.exec(line);
  if (!match?.[1]) return undefined;
  const segments: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(\.|$)/gy;
  let part: RegExpExecArray | null;
  let consumed = 0;
  while ((part = pattern.exec(match[1])) !== null) {
    segments.push(part[1] !== undefined ? (JSON.parse(`"${part[1]}"`) as string) : (part[2] ?? part[3] ?? ''));
    consumed = pattern.lastIndex;
    if (part[4] === '') break;
  }
  return consumed === match[1].length ? segments : undefined;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((segment, index) => path[index] === segment);
}

function withoutEntry(document: Record<string, unknown>, parent: string, name: string): Record<string, unknown> {
  const copy = plain(document) as Record<string, Record<string, unknown> | undefined>;
  const container = copy[parent];
  if (container) {
    delete container[name];
    if (Object.keys(container).length === 0) delete copy[parent];
  }
  return copy;
}

/** True when `result` is valid TOML that differs from `before` only in holding `table` at parent.name. */
function replacesOnly(result: string, before: Record<string, unknown>, parent: string, name: string, table: TomlTable): boolean {
  let after: Record<string, unknown>;
  try {
    after = plain(parse(result)) as Record<string, unknown>;
  } catch {
    return false;
  }
  const written = (after[parent] as Record<string, unknown> | undefined)?.[name];
  return isDeepStrictEqual(written, table) && isDeepStrictEqual(withoutEntry(after, parent, name), withoutEntry(before, parent, name));
}

/** Sets `[parent.name]` to exactly `table`, in place of the old table (or appended), leaving the rest as it was. */
export function setTomlTable(existing: string | undefined, file: string, parent: string, name: string, table: TomlTable): string {
  const text = existing ?? '';
  const before = parseToml(text, file);
  const container = before[parent];
  if (container !== undefined && (typeof container !== 'object' || Array.isArray(container))) {
    throw new ConfigError(file, [{ path: parent, message: 'expected a table', fix: UNTOUCHED }]);
  }
  const current = (container as Record<string, unknown> | undefined)?.[name];
  if (isDeepStrictEqual(current, table)) return text;

  const target = [parent, name];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const kept: string[] = [];
  let insertAt: number | undefined;
  let inTarget = false;
  // Blank and comment lines at the end of the old table usually introduce the next one: they are kept.
  let tail: string[] = [];
  for (const line of lines) {
    const path = headerPath(line);
    if (path) {
      const entering = startsWith(path, target);
      if (inTarget && !entering) kept.push(...tail);
      tail = [];
      inTarget = entering;
      if (inTarget && insertAt === undefined) insertAt = kept.length;
      if (inTarget) continue;
    }
    if (!inTarget) kept.push(line);
    else tail = /^\s*(#.*)?$/.test(line) ? [...tail, line] : [];
  }
  if (inTarget) kept.push(...tail);
  if (current !== undefined && insertAt === undefined) {
    throw new ConfigError(file, [
      {
        path: `${parent}.${name}`,
        message: 'is defined inline or with dotted keys, not as its own table',
        fix: `delete it (mcpgw writes a [${parent}.${name}] table), then re-run`,
      },
    ]);
  }
  const rendered = renderTomlTable(target, table).replace(/\n$/, '').split('\n');
  if (insertAt === undefined) {
    // Appended after a blank line, so it reads as its own section.
    if (kept.length > 0 && kept.at(-1)?.trim() !== '') kept.push('');
    kept.push(...rendered);
  } else {
    const separated = insertAt < kept.length && kept[insertAt]?.trim() !== '' ? [...rendered, ''] : rendered;
    kept.splice(insertAt, 0, ...separated);
  }
  const result = `${kept.join(eol)}${eol}`;

  if (!replacesOnly(result, before, parent, name, table)) {
    throw new ConfigError(file, [
      {
        path: `${parent}.${name}`,
        message: 'could not be replaced without changing other settings (a multi-line string that looks like a table header?)',
        fix: `remove the [${parent}.${name}] table by hand, then re-run`,
      },
    ]);
  }
  return result;
}
