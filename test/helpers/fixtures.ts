import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_STACKS = ['seed', 'http', 'stdio', 'observability', 'canary'] as const;
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const goldenDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../golden');

export function fixtureStack(name: string): { dir: string; yaml: string; secrets: string } {
  const dir = path.join(fixturesDir, 'stacks', name);
  return { dir, yaml: readFileSync(path.join(dir, 'mcpgw.yaml'), 'utf8'), secrets: readFileSync(path.join(dir, 'secrets.env'), 'utf8') };
}
