import os from 'node:os';
import type { ClientPlace, ServerEntry } from './types.js';

/** Where client-config writes and doctor reads for this user: both must resolve HOME the same way. */
export function clientPlace(env: Readonly<Record<string, string | undefined>>, cwd: string): ClientPlace {
  return { home: env.HOME ?? os.homedir(), cwd, platform: process.platform, env };
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function stringMembers(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asObject(value) ?? {}).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
}

/** The entries of one server map (`mcpServers`, `servers`, …) found at `at`, each read by `read`. */
export function serverEntries(at: string, map: unknown, read: (entry: Record<string, unknown>) => Omit<ServerEntry, 'at'>): ServerEntry[] {
  return Object.entries(asObject(map) ?? {}).map(([name, value]) => ({ at: `${at}.${name}`, ...read(asObject(value) ?? {}) }));
}

/** An entry as the JSON clients write it: `url` (Gemini: `httpUrl`), `type` and `headers`. */
export function httpEntry(entry: Record<string, unknown>): Omit<ServerEntry, 'at'> {
  const url = typeof entry.url === 'string' ? entry.url : typeof entry.httpUrl === 'string' ? entry.httpUrl : undefined;
  return { ...(url ? { url } : {}), ...(typeof entry.type === 'string' ? { type: entry.type } : {}), headers: stringMembers(entry.headers) };
}
