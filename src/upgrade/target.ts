import { BUILTIN_LITELLM_IMAGE, BUILTIN_LITELLM_VERSION } from '../images/builtin.js';
import { UserError } from '../errors.js';
import type { Engine } from '../docker/engine.js';
import { LITELLM_VERSION_PY, PYTHON_ANYWHERE } from '../litellm/migrations.js';
import { imageVersion } from '../litellm/version.js';

/** LiteLLM's own DB-mode image, one tag per release (`v1.108.7`). */
export const UPSTREAM_DATABASE_IMAGE = 'ghcr.io/berriai/litellm-database';

/** The LiteLLM an upgrade goes to: mcpgw's own build (`litellm.build: builtin`) or an image reference. */
export interface UpgradeTarget {
  image: string;
  /** x.y.z from the tag, when it names one. */
  version?: string;
  builtin: boolean;
}

/**
 * `--to`: nothing → the builtin release; `1.108.7` / `v1.108.7` → the builtin image when it is that release, else
 * LiteLLM's database image of that version; anything else is an image reference, taken as it is.
 */
export function resolveTarget(to: string | undefined): UpgradeTarget {
  if (to === undefined) return { image: BUILTIN_LITELLM_IMAGE, version: BUILTIN_LITELLM_VERSION, builtin: true };
  const release = /^v?(\d+\.\d+\.\d+)$/.exec(to.trim())?.[1];
  if (release) {
    if (release === BUILTIN_LITELLM_VERSION) return resolveTarget(undefined);
    return { image: `${UPSTREAM_DATABASE_IMAGE}:v${release}`, version: release, builtin: false };
  }
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(to) || to.endsWith(':') || to.endsWith('/'))
    throw new UserError(
      `--to ${to} is neither a LiteLLM version nor an image reference`,
      `e.g. --to ${BUILTIN_LITELLM_VERSION} or --to ${UPSTREAM_DATABASE_IMAGE}:v1.80.15`,
    );
  const version = imageVersion(to);
  return { image: to, ...(version ? { version } : {}), builtin: to === BUILTIN_LITELLM_IMAGE };
}

/**
 * Whether mcpgw.yaml's image is another LiteLLM release than the one running: only when both are known. A running
 * container whose version cannot be told (no version in its tag, and no litellm package answering inside it) is
 * no LiteLLM mcpgw can judge, and is recreated as any other changed container.
 */
export function changesVersion(runningVersion: string | undefined, configuredImage: string): boolean {
  const configured = imageVersion(configuredImage);
  return runningVersion !== undefined && configured !== undefined && runningVersion !== configured;
}

/** The LiteLLM release a running container holds: its tag's, else the litellm package installed in it (a floating tag). */
export async function runningLitellmVersion(
  engine: Pick<Engine, 'exec'>,
  container: { id: string; image: string; state: string },
): Promise<string | undefined> {
  const tagged = imageVersion(container.image);
  if (tagged || container.state !== 'running') return tagged;
  const answer = await engine.exec(container.id, ['sh', '-c', PYTHON_ANYWHERE, LITELLM_VERSION_PY]).catch(() => undefined);
  return answer?.exitCode === 0 ? imageVersion(`installed:${answer.output.trim()}`) : undefined;
}
