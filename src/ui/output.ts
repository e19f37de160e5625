import { Chalk, type ChalkInstance } from 'chalk';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface UiOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/**
 * All terminal output goes through here. stdout carries results (or one JSON document with --json); stderr
 * carries progress, warnings and errors. Every line passes the redactor, so a secret value that slipped into
 * an error message from a library is masked before it reaches the terminal.
 */
export class Ui {
  readonly style: ChalkInstance;
  private readonly secrets = new Set<string>();

  constructor(
    private readonly stdout: OutputStream,
    private readonly stderr: OutputStream,
    readonly options: UiOptions,
  ) {
    this.style = new Chalk({ level: options.color ? 1 : 0 });
  }

  /** Registers values that must never be printed (keys, passwords, connection strings). */
  addSecrets(values: Iterable<string>): void {
    // Very short values would mask ordinary words; the secrets mcpgw handles are long.
    for (const value of values) if (value.length >= 6) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      out = out.split(secret).join('***');
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join('***');
    }
    return out;
  }

  /** A human-readable result line on stdout (suppressed under --json, where `json` carries the result). */
  result(line = ''): void {
    if (!this.options.json) this.stdout.write(`${this.redact(line)}\n`);
  }

  json(value: unknown): void {
    this.stdout.write(`${this.redact(JSON.stringify(value, null, 2))}\n`);
  }

  info(line: string): void {
    if (!this.options.quiet) this.stderr.write(`${this.redact(line)}\n`);
  }

  verbose(line: string): void {
    if (this.options.verbose) this.stderr.write(`${this.style.dim(this.redact(line))}\n`);
  }

  warn(line: string): void {
    this.stderr.write(`${this.style.yellow('warning:')} ${this.redact(line)}\n`);
  }

  error(line: string): void {
    this.stderr.write(`${this.style.red('error:')} ${this.redact(line)}\n`);
  }

  /** Indented continuation lines on stderr, e.g. the issues of a ConfigError. */
  detail(line: string): void {
    this.stderr.write(`${this.redact(line)}\n`);
  }

  get isInteractive(): boolean {
    return Boolean(this.stderr.isTTY) && !this.options.json && !this.options.quiet;
  }
}
