import { POSTGRES_ADMIN_PASSWORD_SECRET } from '../../src/config/postgres-roles.js';
import { execa } from 'execa';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { mcpServiceName, serviceNetworkName } from '../../src/stack/model.js';
import { FIXTURE_STACKS, fixtureStack, goldenDir } from '../helpers/fixtures.js';

interface ComposeService {
  container_name: string;
  environment?: Record<string, string>;
  labels: Record<string, string>;
  networks: Record<string, unknown>;
  ports?: { host_ip: string; published: string; target: number }[];
  depends_on?: Record<string, { condition: string }>;
  cap_drop?: string[];
  security_opt?: string[];
  user?: string;
}

/** The real Docker Compose v2 reads each golden compose file: schema, env_file paths, networks, ports. */
describe.each(FIXTURE_STACKS)('docker compose accepts the rendered %s stack', (name) => {
  it('validates and resolves env files to the secrets each service needs', async () => {
    const dir = path.join(goldenDir, name);
    const result = await execa('docker', ['compose', '-f', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: dir, reject: false });
    // stderr would carry compose's warnings (unset variables, obsolete keys); there must be none.
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const compose = JSON.parse(result.stdout) as {
      name: string;
      services: Record<string, ComposeService>;
      networks: Record<string, { name: string; internal?: boolean; external?: boolean; labels?: Record<string, string> }>;
    };
    const stack = fixtureStack(name);
    const config = parseConfig(stack.yaml);
    const secrets = parseSecrets(stack.secrets);

    expect(compose.name).toBe(config.name);
    for (const service of Object.values(compose.services)) {
      expect(service.labels['io.mcpgw.stack']).toBe(config.name);
      expect(service.container_name.startsWith(`${config.name}-`)).toBe(true);
      expect([service.cap_drop, service.security_opt]).toEqual([['ALL'], ['no-new-privileges:true']]);
    }

    const litellm = compose.services.litellm;
    expect(litellm?.environment?.[config.litellm.master_key]).toBe(secrets.get(config.litellm.master_key));
    // LiteLLM publishes nothing: the front door holds its port, on LiteLLM's own network alone, after LiteLLM started.
    expect(litellm?.ports).toBeUndefined();
    const door = compose.services['front-door'];
    expect(door?.ports).toEqual([{ host_ip: config.bind, published: String(config.litellm.port), target: 4000, mode: 'ingress', protocol: 'tcp' }]);
    expect(Object.keys(door?.networks ?? {})).toEqual([serviceNetworkName(config.name, 'litellm')]);
    expect(door?.depends_on?.litellm).toEqual({ condition: 'service_healthy', required: true });
    // The old shared MCP network is gone: each MCP service has a network with LiteLLM alone.
    expect(Object.keys(compose.networks)).not.toContain(config.network);

    for (const [server, spec] of Object.entries(config.mcp_servers)) {
      const service = compose.services[mcpServiceName(server)];
      if (!spec.image) {
        expect(service).toBeUndefined();
        continue;
      }
      // MCP containers get their own secrets and never LiteLLM's master key.
      expect(service?.environment?.[config.litellm.master_key]).toBeUndefined();
      for (const [variable, secret] of Object.entries(spec.env)) expect(service?.environment?.[variable]).toBe(secrets.get(secret));
      // Published only when asked for (the seed's db_main), and then on mcp_bind alone.
      if (spec.publish) expect(service?.ports).toEqual([expect.objectContaining({ host_ip: config.mcp_bind, published: String(spec.port) })]);
      else expect(service?.ports).toBeUndefined();
      expect(litellm?.depends_on?.[mcpServiceName(server)]).toEqual({ condition: 'service_started', required: true });
      const network = serviceNetworkName(config.name, mcpServiceName(server));
      expect(Object.keys(service?.networks ?? {})).toEqual([network]);
      expect(Object.keys(litellm?.networks ?? {})).toContain(network);
      expect(compose.networks[network]?.labels).toEqual({ 'io.mcpgw.stack': config.name, 'io.mcpgw.service': mcpServiceName(server) });
      const others = Object.entries(compose.services).filter(([other]) => other !== 'litellm' && other !== mcpServiceName(server));
      for (const [other, otherService] of others) expect(Object.keys(otherService.networks), other).not.toContain(network);
    }

    if (config.postgres.mode === 'bundled') {
      const password = secrets.get(config.postgres.password) ?? '';
      // The container's bootstrap superuser is mcpgw's admin; LiteLLM's role is made with its own password.
      expect(compose.services.postgres?.environment?.POSTGRES_PASSWORD).toBe(secrets.get(POSTGRES_ADMIN_PASSWORD_SECRET));
      expect(compose.services.postgres?.environment?.MCPGW_LITELLM_PASSWORD).toBe(password);
      expect(litellm?.environment?.DATABASE_URL).toBe(
        `postgresql://${config.postgres.user}:${encodeURIComponent(password)}@postgres:5432/${config.postgres.database}`,
      );
      expect(litellm?.depends_on?.postgres).toEqual({ condition: 'service_healthy', required: true });
      expect(compose.networks[config.postgres.network]?.[config.postgres.network_external ? 'external' : 'internal']).toBe(true);
    } else {
      expect(compose.services.postgres).toBeUndefined();
      expect(litellm?.environment?.DATABASE_URL).toBe(secrets.get(config.postgres.url));
    }
  });
});
