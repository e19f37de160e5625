import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readIfExists } from '../fs.js';
import type { RenderedFile } from './render.js';

export type FileState = 'created' | 'updated' | 'unchanged';

export interface WriteResult {
  path: string;
  state: FileState;
}

/** Writes rendered files atomically (temp file + rename); unchanged files are not touched. */
export async function writeRendered(outDir: string, files: RenderedFile[]): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  for (const file of files) {
    const target = path.join(outDir, file.path);
    const current = await readIfExists(target);
    const mode = file.secret ? 0o600 : 0o644;
    if (current === file.content) {
      if (file.secret) await chmod(target, mode);
      results.push({ path: file.path, state: 'unchanged' });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true, mode: file.secret ? 0o700 : 0o755 });
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, file.content, { mode });
    await chmod(temp, mode);
    await rename(temp, target);
    results.push({ path: file.path, state: current === undefined ? 'created' : 'updated' });
  }
  return results;
}

export interface StaleFile {
  path: string;
  reason: 'missing' | 'differs';
  /** A short, non-secret description of the first difference. */
  detail: string;
}

/** Compares rendered files with what is on disk, for `render --check`. Secret files never show content. */
export async function findStale(outDir: string, files: RenderedFile[]): Promise<StaleFile[]> {
  const stale: StaleFile[] = [];
  for (const file of files) {
    const current = await readIfExists(path.join(outDir, file.path));
    if (current === undefined) stale.push({ path: file.path, reason: 'missing', detail: 'not rendered yet' });
    else if (current !== file.content)
      stale.push({ path: file.path, reason: 'differs', detail: file.secret ? 'values differ (hidden)' : firstDifference(current, file.content) });
  }
  return stale;
}

function firstDifference(current: string, expected: string): string {
  const have = current.split('\n');
  const want = expected.split('\n');
  const changed = Math.max(have.length, want.length);
  for (let i = 0; i < changed; i++) {
    if (have[i] !== want[i]) {
      const differing = countDifferent(have, want);
      return (
        `line ${i + 1}: expected ${JSON.stringify(want[i] ?? '(end of file)')}, found ` +
        `${JSON.stringify(have[i] ?? '(end of file)')}; ${differing} line(s) differ`
      );
    }
  }
  return 'whitespace differs';
}

function countDifferent(a: string[], b: string[]): number {
  let count = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}
