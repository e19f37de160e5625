export type PathSegment = string | number;

/** `['keys', 0, 'mcp_servers']` → `keys[0].mcp_servers`, the form every message uses. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? shown(segment) : `.${shown(segment)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** A key as it may appear in a message: one short line (a binary or minified file has kilobyte-long keys). */
function shown(key: string): string {
  const oneLine = key.replace(/[\u0000-\u001f\u007f]/g, '?');
  return oneLine.length > 40 ? `${oneLine.slice(0, 37)}…` : oneLine;
}
