import { describe, expect, it } from 'vitest';
import { advisoriesFor, autoExecutes, isFloatingTag, parseVersion } from '../../../src/litellm/version.js';
import { judgeVersion } from '../../../src/gateway/litellm-checks.js';

describe('LiteLLM versions', () => {
  it('reads the version out of tags', () => {
    expect(parseVersion('main-v1.77.3-stable')).toEqual([1, 77, 3]);
    expect(parseVersion('1.80.15-stable.1')).toEqual([1, 80, 15]);
    expect(parseVersion('main-latest')).toBeUndefined();
  });

  it('matches advisories by range and by exact compromised release', () => {
    expect(advisoriesFor('v1.77.3-stable').map((advisory) => advisory.id)).toEqual(['CVE-2026-42271', 'CVE-2026-30623', 'CVE-2026-59822']);
    expect(advisoriesFor('1.82.7').map((advisory) => advisory.id)).toContain('PyPI compromise 2026-03');
    expect(advisoriesFor('1.82.9').map((advisory) => advisory.id)).not.toContain('PyPI compromise 2026-03');
    expect(advisoriesFor('1.83.7').map((advisory) => advisory.id)).toEqual(['CVE-2026-59822']);
    expect(advisoriesFor('1.108.7')).toEqual([]);
  });

  it('knows where LiteLLM executes MCP tools', () => {
    expect(autoExecutes('1.80.9', 'chat')).toBe(false);
    expect(autoExecutes('1.80.10', 'chat')).toBe(true);
    expect(autoExecutes('unknown', 'chat')).toBeUndefined();
  });

  it('flags floating tags', () => {
    expect(isFloatingTag('ghcr.io/berriai/litellm:main-latest')).toBe(true);
    expect(isFloatingTag('ghcr.io/berriai/litellm-database')).toBe(true);
    expect(isFloatingTag('ghcr.io/berriai/litellm-database:v1.108.7')).toBe(false);
    expect(isFloatingTag('localhost:5000/litellm:1.108.7')).toBe(false);
  });

  it('warns on an affected version with the highest fixed release, numerically', () => {
    const outcome = judgeVersion('1.82.0');
    expect(outcome.status).toBe('warn');
    expect(outcome.causes?.[0]?.fix).toMatch(/^pin litellm.image to 1\.84\.0 or later/);
    expect(judgeVersion('1.108.7').status).toBe('pass');
  });
});
