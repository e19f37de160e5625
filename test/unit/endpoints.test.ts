import { describe, expect, it } from 'vitest';
import { gatewayUrl } from '../../src/clients/gateway.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import { publishedBaseUrl } from '../../src/stack/endpoints.js';
import { buildStackModel, litellmBaseUrl } from '../../src/stack/model.js';
import { fixtureStack } from '../helpers/fixtures.js';

const seed = parseConfig(fixtureStack('seed').yaml);

describe('the gateway URL', () => {
  it('brackets an IPv6 LAN host, and up (the model) and client-config (the clients) agree on it', () => {
    const config = { ...seed, host: 'fd00::1' };
    const model = buildStackModel(config);
    expect(model.gatewayUrl).toBe(`http://[fd00::1]:${config.litellm.port}/mcp/`);
    expect(new URL(model.gatewayUrl).hostname).toBe('[fd00::1]');
    expect(gatewayUrl({ config } as LoadedConfig)).toBe(model.gatewayUrl);
  });

  it('leaves a name or an IPv4 address as it is', () => {
    for (const host of ['gateway.lan', '192.168.1.20']) {
      const config = { ...seed, host };
      expect(buildStackModel(config).gatewayUrl).toBe(`http://${host}:${config.litellm.port}/mcp/`);
      expect(gatewayUrl({ config } as LoadedConfig)).toBe(buildStackModel(config).gatewayUrl);
    }
  });
});

describe("LiteLLM's published port as this machine reaches it", () => {
  it('is loopback for a wildcard bind and bracketed for an IPv6 one', () => {
    expect(publishedBaseUrl({ hostIp: '0.0.0.0', published: 4000 })).toBe('http://127.0.0.1:4000');
    expect(publishedBaseUrl({ hostIp: '::', published: 4000 })).toBe('http://127.0.0.1:4000');
    expect(publishedBaseUrl({ hostIp: 'fd00::1', published: 4000 })).toBe('http://[fd00::1]:4000');
    expect(litellmBaseUrl(buildStackModel({ ...seed, bind: '::1' }))).toBe(`http://[::1]:${seed.litellm.port}`);
  });
});
