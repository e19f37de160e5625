export type PathSegment = string | number;

/** `['keys', 0, 'mcp_servers']` → `keys[0].mcp_servers`, the form every message uses. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(top level)' : out;
}
