/**
 * Values that are credentials, recognised by their shape: well-known token prefixes, a private key, a URL with
 * user:password@. mcpgw.yaml holds secret *names* only; a value like this in it would be rendered in clear into
 * docker-compose.yml or config/config.yaml, so validation refuses it (and never echoes it).
 */
const TOKEN_SHAPES: readonly RegExp[] = [
  /(^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}/, // OpenAI, Anthropic (sk-ant-), LiteLLM virtual and master keys
  /(^|[^A-Za-z0-9])[rsp]k_(live|test)_[A-Za-z0-9]{8,}/, // Stripe
  /(^|[^A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{20,}/, // GitHub tokens
  /(^|[^A-Za-z0-9])github_pat_[A-Za-z0-9_]{20,}/,
  /(^|[^A-Za-z0-9])glpat-[A-Za-z0-9_-]{16,}/, // GitLab
  /(^|[^A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/, // Slack
  /(^|[^A-Za-z0-9])AKIA[0-9A-Z]{16}/, // AWS access key id
  /(^|[^A-Za-z0-9])AIza[0-9A-Za-z_-]{30,}/, // Google API key
  /(^|[^A-Za-z0-9])hf_[A-Za-z0-9]{20,}/, // Hugging Face
  /(^|[^A-Za-z0-9])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // a JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i, // scheme://user:password@host
];

/** Variable names that hold credentials by convention. */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?|AUTH|PAT)$/i;
/** Flags that take a credential as their value (`--token X`, `--api-key=X`). */
const SECRET_FLAG = /^--?(token|api[-_]?key|password|passwd|secret|auth|access[-_]token|pat|client[-_]secret)$/i;

export function looksLikeSecret(value: string): boolean {
  return TOKEN_SHAPES.some((shape) => shape.test(value));
}

/** A plain `environment:` value that is a credential: by its shape, or a long value under a credential's name. */
export function isSecretEnvironment(name: string, value: string): boolean {
  return looksLikeSecret(value) || (SECRET_NAME.test(name) && value.length >= 8 && !/\s/.test(value));
}

/** Indexes of command words that are credentials: by their shape, or as the value of a credential flag. */
export function secretArguments(words: readonly string[]): number[] {
  const found: number[] = [];
  words.forEach((word, index) => {
    // A reference holds no value (an os.environ/ in args is reported by its own rule).
    if (/\$\{|os\.environ\//.test(word)) return;
    const [flag, inline] = word.split(/=(.*)/s, 2);
    const afterFlag = index > 0 && SECRET_FLAG.test(words[index - 1] ?? '') && word.length >= 8 && !word.startsWith('-');
    const inlineValue = inline !== undefined && SECRET_FLAG.test(flag ?? '') && inline.length >= 8;
    if (looksLikeSecret(word) || afterFlag || inlineValue) found.push(index);
  });
  return found;
}
