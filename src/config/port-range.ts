/** mcp_port_range as [low, high], or undefined when it is malformed or inverted (the rules report which). */
export function parseRange(text: string): [number, number] | undefined {
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (!match) return undefined;
  const low = Number(match[1]);
  const high = Number(match[2]);
  return low <= high ? [low, high] : undefined;
}
