import { createHash } from 'node:crypto';

/**
 * The gate between a backup file and psql. psql executes a backslash anywhere outside a literal or comment as a
 * meta-command (`\! cmd` runs a shell, `\o |cmd` a pipe, `\connect` another database), so the dump is lexed the
 * way psql lexes it — '…' (standard_conforming_strings on, as pg_dump sets it), E'…', "…", $tag$…$tag$, -- and
 * nested block comments, and COPY … FROM stdin data up to its `\.` line — and every statement must have one of
 * the shapes pg_dump writes for LiteLLM's `public` schema (an allow-list built from real dumps: see
 * test/unit/screen.test.ts and test/integration/backup-attack.test.ts). pg_dump's own `\restrict KEY` /
 * `\unrestrict KEY` pair is the one meta-command let through: it is dropped, and the restore opens with its own
 * `\restrict` so a psql that knows it refuses every meta-command itself.
 */

export interface Refusal {
  line: number;
  reason: string;
}

type TokenType = 'word' | 'qident' | 'string' | 'dollar' | 'number' | 'punct';
interface Token {
  type: TokenType;
  text: string;
}

type Mode =
  | { kind: 'code' }
  | { kind: 'quote'; escapes: boolean }
  | { kind: 'ident' }
  | { kind: 'dollar'; tag: string }
  | { kind: 'block'; depth: number }
  | { kind: 'copy' };

/** Session settings pg_dump writes at the top of a plain dump, with the values it writes. */
const SETTINGS: Record<string, (value: Token) => boolean> = {
  statement_timeout: (v) => v.text === '0',
  lock_timeout: (v) => v.text === '0',
  idle_in_transaction_session_timeout: (v) => v.text === '0',
  transaction_timeout: (v) => v.text === '0',
  client_encoding: (v) => v.type === 'string' && /^'[A-Za-z0-9_]+'$/.test(v.text),
  standard_conforming_strings: (v) => v.text.toLowerCase() === 'on',
  check_function_bodies: (v) => v.text.toLowerCase() === 'false',
  xmloption: (v) => v.text.toLowerCase() === 'content',
  client_min_messages: (v) => v.text.toLowerCase() === 'warning',
  row_security: (v) => v.text.toLowerCase() === 'off',
  default_tablespace: (v) => v.text === "''",
  default_table_access_method: (v) => v.text.toLowerCase() === 'heap',
  default_with_oids: (v) => v.text.toLowerCase() === 'false',
};

/**
 * Functions a LiteLLM table, index or view definition calls, as pg_dump deparses them. Anything else called —
 * query_to_xml running SQL of its own, lo_export, dblink, pg_read_file… — is refused, wherever it hides
 * (a column default or CHECK evaluated by COPY, an index expression, a view).
 */
const FUNCTIONS = new Set([
  'nextval',
  'now',
  'lower',
  'upper',
  'sum',
  'count',
  'max',
  'min',
  'avg',
  'date',
  'date_trunc',
  'coalesce',
  'jsonb_array_elements_text',
  'gen_random_uuid',
]);

/** Words SQL puts before a parenthesis that are not function calls: keywords, type modifiers, index methods. */
const NOT_CALLS = new Set([
  'as',
  'in',
  'enum',
  'key',
  'unique',
  'check',
  'values',
  'over',
  'filter',
  'exists',
  'any',
  'all',
  'some',
  'row',
  'array',
  'cast',
  'nullif',
  'greatest',
  'least',
  'extract',
  'with',
  'include',
  'default',
  'not',
  'and',
  'or',
  'select',
  'by',
  'then',
  'else',
  'when',
  'is',
  'distinct',
  'between',
  'like',
  'where',
  'from',
  'join',
  'using',
  'on',
  'varying',
  'varchar',
  'numeric',
  'decimal',
  'timestamp',
  'time',
  'char',
  'character',
  'bit',
  'float',
  'interval',
  'btree',
  'gin',
  'gist',
  'hash',
  'brin',
]);
/** After these words a name followed by a parenthesis is a relation and its column list, not a call. */
const RELATION_CONTEXT = new Set(['table', 'only', 'on', 'references', 'copy', 'view', 'type', 'index']);
/** Schemas a LiteLLM dump never names. */
const FOREIGN_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast', 'pg_temp']);
const INDEX_METHODS = new Set(['btree', 'gin', 'gist', 'hash', 'brin']);

/**
 * Functions LiteLLM's migrations create in `public`, by name and the sha256 of the statement pg_dump writes for
 * them (tokens joined by single spaces, see `statementDigest`): a body is allowed only as LiteLLM ships it.
 * litellm_bump_mcp_catalog_revision: migration 20260923000000_add_mcp_catalog_revision_trigger (LiteLLM 1.108).
 */
export const KNOWN_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  // As pg_dump writes it (backups of the whole schema), and as pg_get_functiondef does (backups of LiteLLM's objects).
  litellm_bump_mcp_catalog_revision: [
    'e1f61b621e8c94dc073fd52ec918fc3d7d28c2be9ed96b8c089b36d17b156486',
    '5829cc07cab7cb013c732138362d1c1a8877881ead4fd06cb4f09b3a1e2c911a',
  ],
};

/** Own entries only: "constructor" or "toString" must not look like a function LiteLLM ships. */
const knownFunction = (name: string) => (Object.hasOwn(KNOWN_FUNCTIONS, name) ? KNOWN_FUNCTIONS[name] : undefined);

const lower = (token: Token | undefined) => (token?.type === 'word' ? token.text.toLowerCase() : (token?.text ?? ''));

export function statementDigest(tokens: readonly { text: string }[]): string {
  return createHash('sha256')
    .update(tokens.map((token) => token.text).join(' '))
    .digest('hex');
}

/** The one place a name made of tokens is read: `public . "X"` → ['public', '"X"']. */
function qualifiedName(tokens: Token[], at: number): { parts: string[]; end: number } {
  const parts: string[] = [];
  let i = at;
  while (tokens[i] && (tokens[i]?.type === 'word' || tokens[i]?.type === 'qident')) {
    parts.push(tokens[i]?.type === 'word' ? lower(tokens[i]) : (tokens[i]?.text ?? ''));
    if (tokens[i + 1]?.text !== '.') return { parts, end: i + 1 };
    i += 2;
  }
  return { parts, end: i };
}

function isPublicName(tokens: Token[], at: number, parts = 2): { ok: boolean; end: number } {
  const name = qualifiedName(tokens, at);
  return { ok: name.parts.length === parts && name.parts[0] === 'public', end: name.end };
}

/**
 * Judges one complete statement (its tokens, without the `;`): undefined when it is a shape pg_dump writes
 * for LiteLLM's schema, else why not.
 */
export function judgeStatement(tokens: Token[]): string | undefined {
  if (tokens.length === 0) return undefined;
  const w = (i: number) => lower(tokens[i]);
  const text = (from: number) =>
    tokens
      .slice(from)
      .map((token) => token.text)
      .join(' ');
  const head = `${w(0)} ${w(1)}`;

  if (w(0) === 'set') {
    const check = SETTINGS[w(1)];
    const value = tokens[3];
    if (tokens.length === 4 && check && (w(2) === '=' || w(2) === 'to') && value && check(value)) return undefined;
    return `SET ${tokens[1]?.text ?? ''} is not a setting pg_dump writes (or not with this value)`;
  }
  if (w(0) === 'select') {
    const call = text(1);
    if (call === `pg_catalog . set_config ( 'search_path' , '' , false )`) return undefined;
    const setval = /^pg_catalog \. setval \( 'public\.[^']*' , \d+ , (true|false) \)$/i;
    if (setval.test(call)) return undefined;
    return 'a SELECT other than the set_config/setval calls pg_dump writes';
  }
  if (head === 'create schema') return tokens.length === 3 && w(2) === 'public' ? undefined : 'CREATE SCHEMA other than public';
  if (head === 'comment on') {
    const isString = tokens.at(-1)?.type === 'string' && w(tokens.length - 2) === 'is';
    if (isString && w(2) === 'schema' && w(3) === 'public' && tokens.length === 6) return undefined;
    if (isString && (w(2) === 'table' || w(2) === 'column') && w(3) === 'public') return genericChecks(tokens);
    return 'a COMMENT on something outside LiteLLM tables';
  }
  if (head === 'create type') {
    const name = isPublicName(tokens, 2);
    if (!name.ok || w(name.end) !== 'as' || w(name.end + 1) !== 'enum' || w(name.end + 2) !== '(' || w(tokens.length - 1) !== ')')
      return 'CREATE TYPE other than an enum in public';
    const values = tokens.slice(name.end + 3, -1);
    return values.every((token, i) => (i % 2 === 0 ? token.type === 'string' : token.text === ','))
      ? undefined
      : 'an enum with values that are not string literals';
  }
  if (head === 'create table') {
    const name = isPublicName(tokens, 2);
    return name.ok && w(name.end) === '(' ? genericChecks(tokens) : 'CREATE TABLE outside public';
  }
  if (head === 'create sequence') {
    if (!isPublicName(tokens, 2).ok) return 'CREATE SEQUENCE outside public';
    return tokens.every((token) => token.type === 'word' || token.type === 'qident' || token.type === 'number' || token.text === '.' || token.text === '-')
      ? undefined
      : 'a CREATE SEQUENCE with more than sequence options';
  }
  if (head === 'alter sequence') {
    const name = isPublicName(tokens, 2);
    if (
      name.ok &&
      w(name.end) === 'owned' &&
      w(name.end + 1) === 'by' &&
      isPublicName(tokens, name.end + 2, 3).ok &&
      isPublicName(tokens, name.end + 2, 3).end === tokens.length
    )
      return undefined;
    return 'ALTER SEQUENCE other than OWNED BY a public column';
  }
  if (head === 'alter table') {
    const at = w(2) === 'only' ? 3 : 2;
    const name = isPublicName(tokens, at);
    if (!name.ok) return 'ALTER TABLE outside public';
    const action = `${w(name.end)} ${w(name.end + 1)}`;
    if (action === 'add constraint') return genericChecks(tokens);
    if (action === 'alter column') {
      const rest = `${w(name.end + 3)} ${w(name.end + 4)}`;
      if (rest === 'set default' || rest === 'add generated') return genericChecks(tokens);
    }
    return `ALTER TABLE … ${action.toUpperCase()}: only ADD CONSTRAINT and ALTER COLUMN … SET DEFAULT are in a LiteLLM dump`;
  }
  if (w(0) === 'create' && (w(1) === 'index' || (w(1) === 'unique' && w(2) === 'index'))) {
    let i = w(1) === 'unique' ? 3 : 2;
    if (w(i) !== 'on') i += 1; // the index's own name, unqualified as pg_dump writes it
    if (w(i) !== 'on') return 'a CREATE INDEX without ON';
    i += 1;
    if (w(i) === 'only') i += 1;
    const name = isPublicName(tokens, i);
    if (!name.ok || w(name.end) !== 'using' || !INDEX_METHODS.has(w(name.end + 1))) return 'CREATE INDEX outside public';
    return genericChecks(tokens);
  }
  if (w(0) === 'copy') {
    const name = isPublicName(tokens, 1);
    if (!name.ok) return 'COPY of a table outside public';
    let i = name.end;
    if (w(i) === '(') {
      while (i < tokens.length && w(i) !== ')') i += 1;
      i += 1;
    }
    return tokens.length === i + 2 && w(i) === 'from' && w(i + 1) === 'stdin' ? undefined : 'a COPY other than COPY public.<table> (…) FROM stdin';
  }
  if (w(0) === 'create' && (w(1) === 'view' || (w(1) === 'or' && w(2) === 'replace' && w(3) === 'view'))) {
    const name = isPublicName(tokens, w(1) === 'view' ? 2 : 4);
    return name.ok ? genericChecks(tokens) : 'CREATE VIEW outside public';
  }
  if (head === 'create function' || (head === 'create or' && w(2) === 'replace' && w(3) === 'function')) {
    const name = qualifiedName(tokens, w(1) === 'function' ? 2 : 4);
    const known = name.parts.length === 2 && name.parts[0] === 'public' ? knownFunction(name.parts[1] ?? '') : undefined;
    const digest = statementDigest(tokens);
    if (known?.includes(digest)) return undefined;
    // The digest lets a maintainer add a new LiteLLM release's version of the function to KNOWN_FUNCTIONS.
    return known
      ? `function ${name.parts.join('.')} is not the one LiteLLM ships (its body differs; statement digest ${digest})`
      : `function ${name.parts.join('.')} is not one LiteLLM creates`;
  }
  if (head === 'create trigger') {
    // CREATE TRIGGER name {AFTER|BEFORE} events ON public.t FOR EACH {ROW|STATEMENT} EXECUTE {FUNCTION|PROCEDURE} public.f()
    const on = tokens.findIndex((token, i) => i > 2 && lower(token) === 'on');
    const table = isPublicName(tokens, on + 1);
    const exec = tokens.findIndex((token) => lower(token) === 'execute');
    const fn = qualifiedName(tokens, exec + 2);
    const called = fn.parts[0] === 'public' && fn.parts.length === 2 && knownFunction(fn.parts[1] ?? '') !== undefined;
    if (on > 0 && table.ok && exec > table.end && called && w(fn.end) === '(' && w(fn.end + 1) === ')' && fn.end + 2 === tokens.length) return undefined;
    return 'a trigger that does not run one of the functions LiteLLM ships';
  }
  return `${head.toUpperCase()} is not a statement pg_dump writes for LiteLLM's schema`;
}

/** Words that end a FROM list at their depth. */
const FROM_END = new Set(['where', 'group', 'order', 'having', 'limit', 'offset', 'union', 'intersect', 'except', 'window']);

/** A FROM item starting at `at`: a table in public, a subquery, or a call of an allowed function (LATERAL or not). */
function fromItem(tokens: Token[], at: number): boolean {
  const i = lower(tokens[at]) === 'lateral' ? at + 1 : at;
  const next = tokens[i];
  return next?.text === '(' || (lower(next) === 'public' && tokens[i + 1]?.text === '.') || (FUNCTIONS.has(lower(next)) && tokens[i + 1]?.text === '(');
}

/** Inside allowed statements: no foreign schema, no function outside FUNCTIONS, views read only from public. */
function genericChecks(tokens: Token[]): string | undefined {
  // Parenthesis depths at which a FROM list is open: each of its items, after FROM, JOIN or a comma, is checked.
  const fromLists = new Set<number>();
  let depth = 0;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    const word = lower(token);
    if (token.type === 'punct' && word === '(') depth += 1;
    if (token.type === 'punct' && word === ')') fromLists.delete(depth--);
    if (token.type === 'word' && FROM_END.has(word)) fromLists.delete(depth);
    if (token.type === 'word' && FOREIGN_SCHEMAS.has(word) && tokens[i + 1]?.text === '.') return `it names the schema ${word}`;
    const item = token.type === 'word' ? word === 'from' || word === 'join' : word === ',' && fromLists.has(depth);
    if (item) {
      if (token.type === 'word') fromLists.add(depth);
      if (!fromItem(tokens, i + 1)) return `it reads from ${tokens[i + 1]?.text ?? 'nothing'}, not from a table in public`;
    }
    if (tokens[i + 1]?.text !== '(' || (token.type !== 'word' && token.type !== 'qident')) continue;
    // A name before "(": a call unless SQL syntax or a relation's column list.
    let start = i;
    while (tokens[start - 1]?.text === '.' && tokens[start - 2]) start -= 2;
    const before = lower(tokens[start - 1]);
    if (RELATION_CONTEXT.has(before) || (token.type === 'word' && NOT_CALLS.has(word))) continue;
    if (start === i && token.type === 'word' && FUNCTIONS.has(word)) continue;
    return `it calls ${tokens
      .slice(start, i + 1)
      .map((part) => part.text)
      .join('')}(), which a LiteLLM schema does not`;
  }
  return undefined;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const PG_DUMP_RESTRICT = /^\\(restrict|unrestrict) ([A-Za-z0-9]+)\r?$/;

/**
 * Reads a dump line by line (in order, each line without its "\n") and decides for each whether it goes to
 * psql. Refusals are collected, each naming its line; `drop` lines (pg_dump's \restrict pair) are left out.
 */
export class DumpScreen {
  readonly refusals: Refusal[] = [];
  private mode: Mode = { kind: 'code' };
  private tokens: Token[] = [];
  private current: Token | undefined;
  private statementLine = 0;
  private lineNumber = 0;
  private restrictKey: string | undefined;
  private copyNext = false;

  /** Between statements: everything read so far has been judged. */
  get settled(): boolean {
    return (this.mode.kind === 'code' || this.mode.kind === 'copy') && this.tokens.length === 0 && !this.current;
  }

  /** false: leave this line out of what psql receives. */
  line(text: string): boolean {
    this.lineNumber += 1;
    if (this.mode.kind === 'copy') {
      if (text === '\\.' || text === '\\.\r') this.mode = { kind: 'code' };
      return true;
    }
    if (this.mode.kind === 'code' && this.tokens.length === 0 && !this.current) {
      const restrict = PG_DUMP_RESTRICT.exec(text);
      if (restrict) {
        this.pgDumpRestrict(restrict[1] as string, restrict[2] as string);
        return false;
      }
    }
    this.scan(text);
    if (this.copyNext) {
      this.copyNext = false;
      this.mode = { kind: 'copy' };
    }
    return true;
  }

  /** After the last line: anything left open is refused (psql would run a statement the dump never ended). */
  end(): Refusal[] {
    this.flushToken();
    const open: Record<Mode['kind'], string | undefined> = {
      code: this.tokens.length > 0 ? 'the last statement has no ";"' : undefined,
      quote: 'a string literal is never closed',
      ident: 'a quoted identifier is never closed',
      dollar: 'a dollar-quoted string is never closed',
      block: 'a /* comment is never closed',
      copy: 'COPY data has no closing \\. line',
    };
    const reason = open[this.mode.kind];
    if (reason) this.refuse(this.statementLine || this.lineNumber, reason);
    if (this.restrictKey !== undefined) this.refuse(this.lineNumber, "pg_dump's \\restrict has no matching \\unrestrict");
    return this.refusals;
  }

  private pgDumpRestrict(command: string, key: string) {
    if (command === 'restrict' && this.restrictKey === undefined) this.restrictKey = key;
    else if (command === 'unrestrict' && this.restrictKey === key) this.restrictKey = undefined;
    else this.refuse(this.lineNumber, `\\${command} does not pair with pg_dump's \\restrict`);
  }

  private refuse(line: number, reason: string) {
    this.refusals.push({ line, reason });
  }

  private push(type: TokenType, text: string) {
    this.flushToken();
    if (this.tokens.length === 0) this.statementLine = this.lineNumber;
    this.tokens.push({ type, text });
  }

  private flushToken() {
    if (!this.current) return;
    if (this.tokens.length === 0) this.statementLine = this.lineNumber;
    this.tokens.push(this.current);
    this.current = undefined;
  }

  /** A literal (string, quoted identifier, dollar body) being read, possibly over several lines. */
  private literal(type: TokenType, text: string) {
    if (this.current?.type === type) this.current.text += text;
    else {
      this.flushToken();
      this.current = { type, text };
    }
  }

  private scan(text: string) {
    let i = 0;
    // A literal that spans lines keeps its line breaks, so its digest is what pg_dump wrote.
    if (this.current && this.mode.kind !== 'code') this.current.text += '\n';
    while (i < text.length) {
      const c = text[i] as string;
      const mode = this.mode;
      switch (mode.kind) {
        case 'quote': {
          if (mode.escapes && c === '\\') {
            this.literal('string', text.slice(i, i + 2));
            i += 2;
          } else if (c === "'" && text[i + 1] === "'") {
            this.literal('string', "''");
            i += 2;
          } else {
            this.literal('string', c);
            i += 1;
            if (c === "'") {
              this.flushToken();
              this.mode = { kind: 'code' };
            }
          }
          continue;
        }
        case 'ident': {
          const step = c === '"' && text[i + 1] === '"' ? 2 : 1;
          this.literal('qident', text.slice(i, i + step));
          i += step;
          if (step === 1 && c === '"') {
            this.flushToken();
            this.mode = { kind: 'code' };
          }
          continue;
        }
        case 'dollar': {
          const close = text.indexOf(mode.tag, i);
          if (close < 0) {
            this.literal('dollar', text.slice(i));
            i = text.length;
          } else {
            this.literal('dollar', text.slice(i, close + mode.tag.length));
            i = close + mode.tag.length;
            this.flushToken();
            this.mode = { kind: 'code' };
          }
          continue;
        }
        case 'block': {
          if (c === '/' && text[i + 1] === '*') {
            this.mode = { kind: 'block', depth: mode.depth + 1 };
            i += 2;
          } else if (c === '*' && text[i + 1] === '/') {
            this.mode = mode.depth === 1 ? { kind: 'code' } : { kind: 'block', depth: mode.depth - 1 };
            i += 2;
          } else i += 1;
          continue;
        }
        default:
          break;
      }
      // code
      if (c === '\\') {
        const command = /^\\[^\s\\]*/.exec(text.slice(i))?.[0] ?? '\\';
        this.refuse(this.lineNumber, `psql meta-command ${command} (psql would run it; a pg_dump dump holds none outside its \\restrict pair)`);
        i = text.length;
        continue;
      }
      if (c === '-' && text[i + 1] === '-') break;
      if (c === '/' && text[i + 1] === '*') {
        this.flushToken();
        this.mode = { kind: 'block', depth: 1 };
        i += 2;
        continue;
      }
      if (c === "'") {
        const prefix = this.current?.type === 'word' ? this.current.text : '';
        const escapes = prefix === 'E' || prefix === 'e';
        if (escapes)
          this.current = undefined; // E'…' is one string token
        else this.flushToken();
        this.mode = { kind: 'quote', escapes };
        this.literal('string', escapes ? "E'" : "'");
        i += 1;
        continue;
      }
      if (c === '"') {
        this.flushToken();
        this.mode = { kind: 'ident' };
        this.literal('qident', '"');
        i += 1;
        continue;
      }
      if (this.current?.type === 'word' && WORD_PART.test(c)) {
        this.current.text += c;
        i += 1;
        continue;
      }
      if (this.current?.type === 'number' && /[0-9.eE]/.test(c)) {
        this.current.text += c;
        i += 1;
        continue;
      }
      this.flushToken();
      if (c === '$') {
        const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i))?.[0];
        if (tag) {
          this.mode = { kind: 'dollar', tag };
          this.literal('dollar', tag);
          i += tag.length;
          continue;
        }
      }
      if (WORD_START.test(c)) this.current = { type: 'word', text: c };
      else if (/[0-9]/.test(c)) this.current = { type: 'number', text: c };
      else if (c === ';') this.endStatement(text.slice(i + 1));
      else if (c === ':' && text[i + 1] === ':') {
        this.push('punct', '::');
        i += 1;
      } else if (!/\s/.test(c)) this.push('punct', c);
      i += 1;
    }
    if (this.current?.type === 'word' || this.current?.type === 'number') this.flushToken();
  }

  private endStatement(rest: string) {
    this.flushToken();
    if (this.tokens.length === 0) return;
    const reason = judgeStatement(this.tokens);
    if (reason) this.refuse(this.statementLine, reason);
    // Data follows any COPY … FROM stdin, allowed or not: it is not SQL and must not be lexed as SQL.
    if (lower(this.tokens[0]) === 'copy' && lower(this.tokens.at(-1)) === 'stdin') {
      this.copyNext = true;
      // psql would read what follows the ";" as SQL after the data. pg_dump never writes anything there.
      if (rest.trim() !== '') this.refuse(this.lineNumber, 'text after COPY … FROM stdin; on the same line');
    }
    this.tokens = [];
  }
}

/** Splits a byte stream into lines (without "\n"), keeping each line's exact bytes. */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let newline = data.indexOf(0x0a);
    while (newline >= 0) {
      yield data.subarray(0, newline);
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    rest = data;
  }
  if (rest.length > 0) yield rest;
}

/** Reads the whole dump without running anything: every refusal, each with its line. */
export async function scanDump(chunks: AsyncIterable<Buffer>): Promise<Refusal[]> {
  const screen = new DumpScreen();
  for await (const line of lines(chunks)) screen.line(line.toString('utf8'));
  return screen.end();
}

export class DumpRefused extends Error {
  constructor(readonly refusals: Refusal[]) {
    super(describeRefusals(refusals));
  }
}

export function describeRefusals(refusals: readonly Refusal[], limit = 10): string {
  const shown = refusals.slice(0, limit).map((refusal) => `line ${refusal.line}: ${refusal.reason}`);
  if (refusals.length > limit) shown.push(`… and ${refusals.length - limit} more`);
  return shown.join('; ');
}

/**
 * The dump as psql should receive it, screened again while it streams (the file could have been swapped after
 * the scan): lines are passed on only once the statements they hold were judged — psql runs an unfinished
 * statement when its input ends, so not even a statement's first line goes ahead of its verdict — and the first
 * refusal throws before its line reaches psql. pg_dump's \restrict pair is left out.
 */
export async function* screenedDump(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const screen = new DumpScreen();
  let pending: Buffer[] = [];
  for await (const line of lines(chunks)) {
    const keep = screen.line(line.toString('utf8'));
    if (screen.refusals.length > 0) throw new DumpRefused(screen.refusals);
    if (keep) pending.push(line, NEWLINE);
    if (screen.settled && pending.length > 0) {
      yield Buffer.concat(pending);
      pending = [];
    }
  }
  if (screen.end().length > 0) throw new DumpRefused(screen.refusals);
}

const NEWLINE = Buffer.from('\n');
