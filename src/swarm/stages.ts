import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { stackServices } from './stack-file.js';

/**
 * The order a swarm stack comes up in: what LiteLLM needs (Postgres, Redis, the MCP servers, the canary), then the
 * migration job on the new LiteLLM image while the old replicas still serve, then LiteLLM's replicas (which never
 * migrate) and the front door. Swarm itself starts every service of a stack file at once.
 */
export const STAGES = ['data', 'migrate', 'serve'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The stack file cut down to the services of `stage` and the stages before it; networks, volumes, secrets and
 * configs stay whole (Swarm creates what the kept services use). Deploying it without `--prune` leaves the later
 * stages' services as they run, so the old replicas serve while the data services and the migration change.
 */
export function stageDocument(stackFile: string, stageOf: (service: string) => Stage, stage: Stage): string {
  const doc = parseDocument(stackFile);
  const services = doc.get('services') as { items: { key: { value: string } }[] } | undefined;
  const upTo = STAGES.slice(0, STAGES.indexOf(stage) + 1);
  for (const item of [...(services?.items ?? [])]) {
    const name = item.key.value;
    if (!upTo.includes(stageOf(name))) doc.deleteIn(['services', name]);
  }
  return doc.toString();
}

/** The services of a stack file that belong to `stage` itself. */
export function stageServices(stackFile: string, stageOf: (service: string) => Stage, stage: Stage): string[] {
  return stackServices(stackFile).filter((name) => stageOf(name) === stage);
}

/**
 * Runs `deploy` on a stage's document written beside the stack file (the CLI reads secret and config files
 * relative to the stack file's folder), then removes it: it holds nothing the stack file does not.
 */
export async function withStageFile(stackPath: string, stage: Stage, text: string, deploy: (file: string) => Promise<void>): Promise<void> {
  const file = path.join(path.dirname(stackPath), `.${stage}.${path.basename(stackPath)}`);
  await writeFile(file, text, { mode: 0o644 });
  try {
    await deploy(file);
  } finally {
    await rm(file, { force: true });
  }
}
