import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIDE_LANE_FILES } from '../../vitest.config.js';

// The integration tier's two lanes run files side by side (vitest.config.ts): what makes that safe, read from the files.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const integrationFiles = readdirSync(path.join(root, 'test/integration'))
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => `test/integration/${name}`);
const text = new Map(integrationFiles.map((file) => [file, readFileSync(path.join(root, file), 'utf8')]));

/** Host ports a file names for what it publishes: `litellmPort: 14100`, `const PORT = 14530`, `HostPort: '14190'`. */
function hostPorts(source: string): Set<string> {
  return new Set([...source.matchAll(/\w*(?:PORT|Port)\w*\s*[:=]\s*'?(1\d{4})\b/g)].map((match) => match[1] ?? ''));
}

describe('the integration lanes', () => {
  it('name only files that exist', () => {
    expect(SIDE_LANE_FILES.filter((file) => !text.has(file))).toEqual([]);
  });

  it('give every file host ports of its own, so two files running at once never publish the same one', () => {
    const owners = new Map<string, string[]>();
    for (const [file, source] of text) for (const port of hostPorts(source)) owners.set(port, [...(owners.get(port) ?? []), file]);
    expect([...owners].filter(([, files]) => files.length > 1).map(([port, files]) => `${port}: ${files.join(', ')}`)).toEqual([]);
    // The pattern finds what it must: a file's LiteLLM port.
    expect(hostPorts(text.get('test/integration/probe.test.ts') ?? '').size).toBeGreaterThan(0);
  });

  it('keep the files that watch the whole machine (ps, iptables, network namespaces) out of the side lane', () => {
    const watching = SIDE_LANE_FILES.filter((file) => /\bps -e|setpriv|iptables|'netns'|withLanHost/.test(text.get(file) ?? ''));
    expect(watching).toEqual([]);
    // The pattern finds the watchers there are: the process list and the LAN host.
    expect(/\bps -e/.test(text.get('test/integration/process-list.test.ts') ?? '')).toBe(true);
    expect(/'netns'/.test(text.get('test/integration/lan-exposure.test.ts') ?? '')).toBe(true);
  });
});
