import { imageVersion } from '../litellm/version.js';
import { readVersion } from './litellm-checks.js';

/** LiteLLM's version and where it was read. */
export interface LitellmVersion {
  version: string;
  source: 'running proxy' | "running container's image tag" | 'configured image tag';
}

export interface LitellmVersionSources {
  /** The proxy to ask; undefined when it is already known not to answer. */
  baseUrl: string | undefined;
  /** The image the running LiteLLM container was started from; asked only when the proxy does not say. */
  runningImage?: () => Promise<string | undefined>;
  /** litellm.image from mcpgw.yaml; undefined when the file does not validate. */
  configuredImage: string | undefined;
  timeoutMs: number;
}

/**
 * LiteLLM's version on the best evidence present: what the running proxy reports; else the running container's
 * image tag (the proxy may be hung, and the container may run another image than the one configured now); else
 * the configured tag. Floating tags name no version, so they are passed over.
 */
export async function litellmVersion(sources: LitellmVersionSources): Promise<LitellmVersion | undefined> {
  const reported = sources.baseUrl === undefined ? undefined : await readVersion(sources.baseUrl, sources.timeoutMs);
  if (reported) return { version: reported, source: 'running proxy' };
  const running = await sources.runningImage?.();
  const fromContainer = running && imageVersion(running);
  if (fromContainer) return { version: fromContainer, source: "running container's image tag" };
  const configured = sources.configuredImage === undefined ? undefined : imageVersion(sources.configuredImage);
  return configured ? { version: configured, source: 'configured image tag' } : undefined;
}
