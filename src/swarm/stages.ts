import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SwarmStage } from '../stack/swarm.js';

/**
 * Runs `deploy` on a stage's stack file written beside the whole one (the CLI reads secret and config files
 * relative to the stack file's folder), then removes it: it holds nothing the stack file does not.
 */
export async function withStageFile(stackPath: string, stage: SwarmStage, text: string, deploy: (file: string) => Promise<void>): Promise<void> {
  const file = path.join(path.dirname(stackPath), `.${stage}.${path.basename(stackPath)}`);
  await writeFile(file, text, { mode: 0o644 });
  try {
    await deploy(file);
  } finally {
    await rm(file, { force: true });
  }
}
