import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { ConfigError, UserError, type ConfigIssue } from '../errors.js';
import { readIfExists } from '../fs.js';
import { GENERATED_KEY_SECRETS } from './generated-secrets.js';

export type Secrets = ReadonlyMap<string, string>;

/** Secrets as read from a file: each name's line is kept for messages (never its value). */
export class SecretsFile extends Map<string, string> {
  readonly lines = new Map<string, number>();
  constructor(readonly file: string) {
    super();
  }
}

/** The line a secret is set on, when the secrets came from a file. */
export function secretLine(secrets: Secrets, name: string): number | undefined {
  return secrets instanceof SecretsFile ? secrets.lines.get(name) : undefined;
}

/**
 * Reads a dotenv-style secrets file (NAME=value, # comments, optional single or double quotes). The same
 * format docker's env_file reads, so the file works for both. Values never appear in errors.
 */
export async function readSecrets(file: string): Promise<Secrets> {
  const text = await readIfExists(file, 'secrets file');
  if (text === undefined) {
    throw new UserError(`secrets file ${file} not found`, 'run `mcpgw init` to create it (mode 0600), or fix `secrets:` in mcpgw.yaml');
  }
  return parseSecrets(text, file);
}

/**
 * Parses the whole file and reports every malformed line at once. A name set twice with different values is
 * refused: docker and mcpgw would silently take the last one, which is rarely the one meant.
 */
export function parseSecrets(text: string, file = 'secrets file'): SecretsFile {
  const secrets = new SecretsFile(file);
  const issues: ConfigIssue[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
      if (!match) {
        issues.push({
          path: `line ${index + 1}`,
          message: 'expected NAME=value',
          fix: 'one variable per line; comments start with #',
          line: index + 1,
          column: 1,
        });
        return;
      }
      const [, name = '', raw = ''] = match;
      const value = unquote(raw);
      const first = secrets.lines.get(name);
      if (first !== undefined && secrets.get(name) !== value) {
        issues.push({
          path: name,
          message: `is set again with a different value (first on line ${first}); the last one would win silently`,
          fix: `keep one ${name}= line`,
          line: index + 1,
          column: 1,
        });
        return;
      }
      if (first === undefined) secrets.lines.set(name, index + 1);
      secrets.set(name, value);
    });
  if (issues.length > 0) throw new ConfigError(file, issues);
  return secrets;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) return value.slice(1, -1);
  return value;
}

/** Formats secrets for an env file. Values are written bare: docker's env_file does not strip quotes. */
export function formatSecrets(entries: Iterable<[string, string]>, header: string[] = []): string {
  const lines = header.map((line) => `# ${line}`);
  for (const [name, value] of entries) {
    if (/[\r\n]/.test(value)) throw new UserError(`secret ${name} contains a line break`, 'env files hold one line per variable');
    lines.push(`${name}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The file's permission bits, or undefined when it does not exist. */
export async function fileMode(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** Names referenced by the stack but absent from the secrets file, in a stable order. */
export function missingSecrets(required: Iterable<string>, secrets: Secrets): string[] {
  return [...new Set(required)].filter((name) => !secrets.has(name)).sort();
}

/** Sets one variable in the secrets file in place (other lines and comments kept), atomically, mode 0600. */
export async function updateSecret(file: string, name: string, value: string): Promise<void> {
  if (/[\r\n]/.test(value)) throw new UserError(`secret ${name} contains a line break`, 'env files hold one line per variable');
  const text = await readFile(file, 'utf8');
  const line = new RegExp(`^(export\\s+)?${name}=.*$`, 'm');
  const updated = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${name}=${value}\n`;
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, updated, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

/** A secret mcpgw makes up itself (a password, a signing key): 24 random bytes, hex, safe in a URL and on an env-file line. */
export function generatedSecret(random: (size: number) => Buffer): string {
  return random(24).toString('hex');
}

/**
 * Secrets mcpgw generates itself (passwords of its own database roles, the backup signing key): each of `names`
 * the file lacks is added with a fresh value, in place, mode 0600 (`write`), or only to the returned map (a dry run).
 */
export async function addGeneratedSecrets(
  secrets: Secrets,
  file: string,
  names: readonly string[],
  random: (size: number) => Buffer,
  write: boolean,
): Promise<{ secrets: Secrets; added: string[] }> {
  const added = names.filter((name) => !secrets.has(name));
  if (added.length === 0) return { secrets, added };
  const values = added.map((name): [string, string] => [name, `${GENERATED_KEY_SECRETS.includes(name) ? 'sk-' : ''}${generatedSecret(random)}`]);
  if (!write) return { secrets: new Map([...secrets, ...values]), added };
  for (const [name, value] of values) await updateSecret(file, name, value);
  return { secrets: await readSecrets(file), added };
}
