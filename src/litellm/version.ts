import { ADVISORIES, MCP_AUTO_EXECUTION_SINCE, UNGRANTED_KEY_SEES_NONE_SINCE, type Advisory } from './advisories.js';

export type Version = readonly [number, number, number];

/** The x.y.z inside a version or image tag: 1.108.7, v1.77.3-stable, main-v1.80.15-stable.1 … */
export function parseVersion(text: string): Version | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function atLeast(version: Version, floor: string): boolean {
  return compareVersions(version, parseVersion(floor) as Version) >= 0;
}

/** Advisories that apply to `version` (an unparsable version matches none; callers report it as unknown). */
export function advisoriesFor(version: string): Advisory[] {
  const parsed = parseVersion(version);
  if (!parsed) return [];
  const exact = parsed.join('.');
  return ADVISORIES.filter((advisory) => {
    if (advisory.versions) return advisory.versions.includes(exact);
    return (!advisory.from || atLeast(parsed, advisory.from)) && (!advisory.before || !atLeast(parsed, advisory.before));
  });
}

/** Whether LiteLLM auto-executes MCP tools on this endpoint in this version. */
export function autoExecutes(version: string, endpoint: keyof typeof MCP_AUTO_EXECUTION_SINCE): boolean | undefined {
  const parsed = parseVersion(version);
  return parsed ? atLeast(parsed, MCP_AUTO_EXECUTION_SINCE[endpoint]) : undefined;
}

/**
 * What a key without MCP grants reaches in this version: 'none' from 1.80 on, 'all' before (an unparsable version:
 * 'none', what every release mcpgw ships does).
 */
export function ungrantedKeyReach(version: string | undefined): 'none' | 'all' {
  const parsed = version === undefined ? undefined : parseVersion(version);
  return parsed && !atLeast(parsed, UNGRANTED_KEY_SEES_NONE_SINCE) ? 'all' : 'none';
}

/**
 * The release an image reference's tag names, as x.y.z: ghcr.io/berriai/litellm-database:v1.108.7 and
 * …:main-v1.80.15-stable@sha256:… name one; undefined for a floating tag (main-latest, main-stable) or none.
 */
export function imageVersion(image: string): string | undefined {
  const tag = /:([^/:@]+)(?:@.*)?$/.exec(image)?.[1];
  return tag ? parseVersion(tag)?.join('.') : undefined;
}

/** Floating tags (main-latest, main-stable, latest) change under the user; they can never be checked. */
export function isFloatingTag(image: string): boolean {
  return imageVersion(image) === undefined;
}
