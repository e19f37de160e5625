import type { ConfigIssue } from '../../errors.js';
import { formatPath, type PathSegment } from '../path.js';

/** LiteLLM never expands `${VAR}` (only `os.environ/VAR`), so such a value reaches it literally. */
export function findShellVariables(value: unknown, path: PathSegment[], issues: ConfigIssue[]): void {
  if (typeof value === 'string') {
    const match = /\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/.exec(value);
    if (match) {
      issues.push({
        path: formatPath(path),
        message: `\${${match[1]}} is never resolved (LiteLLM only reads os.environ/NAME)`,
        fix: `write the secret name instead (e.g. ${match[1]}) and keep its value in the secrets file`,
      });
    }
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) findShellVariables(item, [...path, index], issues);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) findShellVariables(item, [...path, key], issues);
  }
}
