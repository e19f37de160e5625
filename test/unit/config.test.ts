import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { buildStackModel, litellmService } from '../../src/stack/model.js';

const base = `version: 1
host: linuxserver.lan
mcp_servers:
  db:
    transport: sse
    image: crystaldba/postgres-mcp:0.3.0
    port: 48010
keys:
  - alias: claude-code
    mcp_servers: [db]
`;

function issuesOf(yaml: string) {
  try {
    parseConfig(yaml, 'mcpgw.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function messages(yaml: string): string[] {
  return issuesOf(yaml).map((issue) => `${issue.path}: ${issue.message}`);
}

describe('mcpgw.yaml schema', () => {
  it('accepts the minimal stack and fills defaults', () => {
    const config = parseConfig(base);
    expect(config.name).toBe('litellm');
    expect(config.litellm.port).toBe(4000);
    expect(config.postgres.mode).toBe('bundled');
    expect(config.network).toBe('litellm-mcp-net');
    expect(config.postgres.network).toBe('postgres-net');
    expect(config.mcp_bind).toBe('127.0.0.1');
    expect(config.mcp_servers.db?.env).toEqual({});
  });

  it('reports a port outside the MCP range with the range and a fix', () => {
    const issues = issuesOf(base.replace('port: 48010', 'port: 8080'));
    expect(issues).toEqual([expect.objectContaining({ path: 'mcp_servers.db.port', message: '8080 is outside 48000–48999', line: 7 })]);
    expect(issues[0]?.fix).toMatch(/48000–48999/);
  });

  it('honours a custom MCP port range', () => {
    expect(() => parseConfig(`mcp_port_range: 8000-8999\n${base.replace('port: 48010', 'port: 8080')}`)).not.toThrow();
  });

  it('names unknown fields and suggests the intended one', () => {
    const issues = issuesOf(base.replace('    transport: sse', '    transprot: sse'));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'mcp_servers.db.transprot', message: 'unknown field', fix: 'did you mean "transport"?' }));
    // the missing transport is reported in the same run
    expect(issues).toContainEqual(expect.objectContaining({ path: 'mcp_servers.db.transport' }));
  });

  it('suggests the intended value of a field that takes one of a few words', () => {
    const issues = issuesOf(base.replace('    transport: sse', '    transport: htp'));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'mcp_servers.db.transport', fix: 'did you mean "http"?' }));
    // a value too far from every word gets the list instead
    const far = issuesOf(base.replace('    transport: sse', '    transport: websocket'));
    expect(far).toContainEqual(expect.objectContaining({ path: 'mcp_servers.db.transport', message: expect.stringContaining('sse, http, stdio') }));
    expect(far[0]?.fix).not.toMatch(/did you mean/);
    // every field of words, with the schema's own message or zod's
    const others = issuesOf(`engine: swarn\npostgres: { mode: bundeld }\n${base}`);
    expect(others).toContainEqual(expect.objectContaining({ path: 'engine', fix: 'did you mean "swarm"?' }));
    expect(others).toContainEqual(
      expect.objectContaining({ path: 'postgres.mode', message: expect.stringContaining('bundled, external'), fix: 'did you mean "bundled"?' }),
    );
  });

  it('reports unknown top-level fields', () => {
    expect(messages(`${base}traefik: true\n`)).toContain('traefik: unknown field');
  });

  it('reports duplicate published ports', () => {
    const yaml = `${base.replace(
      'keys:',
      `  other:
    transport: http
    image: node:20
    port: 48010
keys:`,
    )}`;
    expect(messages(yaml)).toContain('mcp_servers.other.port: port 48010 is already used by mcp_servers.db.port');
  });

  it('reports a clash with the LiteLLM port', () => {
    expect(messages(`mcp_port_range: 4000-4999\n${base.replace('port: 48010', 'port: 4000')}`)).toContain(
      'mcp_servers.db.port: port 4000 is already used by litellm.port',
    );
  });

  it('reports keys that reference unknown servers, groups and models', () => {
    const yaml = base.replace('    mcp_servers: [db]', '    mcp_servers: [db, pg]\n    mcp_groups: [ops]\n    models: [gpt]');
    expect(messages(yaml)).toEqual([
      'keys[0].mcp_servers[1]: unknown MCP server "pg"',
      'keys[0].mcp_groups[0]: no MCP server is in group "ops"',
      'keys[0].models[0]: unknown model "gpt"',
    ]);
  });

  it('takes host_header as host:port (the MCP SDK allows localhost:* only with a port), not on a stdio server LiteLLM spawns', () => {
    const withHost = (value: string) => base.replace('    port: 48010\n', `    port: 48010\n    host_header: ${value}\n`);
    expect(parseConfig(withHost('localhost:8000')).mcp_servers.db?.host_header).toBe('localhost:8000');
    expect(messages(withHost('localhost'))).toEqual([expect.stringMatching(/^mcp_servers\.db\.host_header: must be host:port, e\.g\. localhost:8000/)]);
    expect(messages(withHost('"bad host:80"'))).toHaveLength(1);
    const spawned = `version: 1\nhost: gw.lan\nmcp_servers:\n  local:\n    transport: stdio\n    inside_litellm: true\n    command: mcp-server-time\n    host_header: localhost:8000\n`;
    expect(messages(spawned)).toEqual([
      'mcp_servers.local.host_header: does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)',
    ]);
  });

  it('reports duplicate key aliases', () => {
    expect(messages(`${base}  - alias: claude-code\n`)).toContain('keys[1].alias: "claude-code" is already used by keys[0]');
  });

  it('refuses two keys declared by one token_sha256, with the path and the fix', () => {
    const hash = 'ab'.repeat(32);
    const yaml = `${base}    token_sha256: ${hash}\n  - alias: hand\n    token_sha256: ${hash}\n`;
    expect(issuesOf(yaml)).toEqual([
      expect.objectContaining({
        path: 'keys[1].token_sha256',
        message: 'the same key as keys[0] (one token_sha256 is one key row)',
        fix: 'keep one declaration: merge its grants into keys[0] and delete this one',
      }),
    ]);
  });

  it('finds ${VAR} anywhere, because LiteLLM never resolves it', () => {
    const yaml = base.replace('    port: 48010', '    port: 48010\n    environment: { TOKEN: "${GITHUB_TOKEN}" }');
    const issues = issuesOf(yaml);
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'mcp_servers.db.environment.TOKEN',
        message: '${GITHUB_TOKEN} is never resolved (LiteLLM only reads os.environ/NAME)',
        line: 8,
      }),
    ]);
    expect(issues[0]?.fix).toContain('GITHUB_TOKEN');
  });

  it('accepts os.environ/NAME where a secret name is expected', () => {
    const config = parseConfig(`${base}litellm:\n  models:\n    - { name: m, model: openai/m, api_key: os.environ/OPENAI_API_KEY }\n`);
    expect(config.litellm.models[0]?.api_key).toBe('OPENAI_API_KEY');
  });

  it('rejects a literal secret where a secret name belongs, without echoing it', () => {
    const yaml = `${base}litellm:\n  models:\n    - { name: m, model: openai/m, api_key: sk-live-abcdef123456 }\n`;
    const issues = issuesOf(yaml);
    expect(issues).toEqual([expect.objectContaining({ path: 'litellm.models[0].api_key' })]);
    expect(JSON.stringify(issues)).not.toContain('sk-live-abcdef123456');
  });

  describe('LAN-only hard rule', () => {
    it('rejects https MCP URLs, public host names, public bind addresses and reverse-proxy labels', () => {
      const yaml = `version: 1
host: ai-servicers.com
bind: 203.0.113.7
litellm:
  labels: { traefik.enable: "true" }
mcp_servers:
  remote:
    transport: http
    url: https://mcp.example.com/mcp
`;
      expect(messages(yaml)).toEqual([
        'host: ai-servicers.com looks like a public DNS name; the gateway is LAN-only',
        'bind: 203.0.113.7 is not a LAN or loopback address',
        'litellm.labels.traefik.enable: reverse-proxy/SSO labels are off under the LAN-only rule',
        'mcp_servers.remote.url: https is off under the LAN-only rule (plain HTTP on direct ports)',
        'mcp_servers.remote.url: mcp.example.com looks like a public DNS name; the gateway is LAN-only',
      ]);
    });

    it('allows them with the explicit opt-in', () => {
      const yaml = `version: 1
lan_only: false
host: gateway.example.com
litellm:
  labels: { traefik.enable: "true" }
mcp_servers:
  remote:
    transport: http
    url: https://mcp.example.com/mcp
`;
      expect(() => parseConfig(yaml)).not.toThrow();
    });

    it('rejects a URL where a host name belongs', () => {
      expect(messages(base.replace('host: linuxserver.lan', 'host: http://linuxserver.lan:4000'))).toEqual(['host: must be a host name, not a URL']);
    });
  });

  describe('MCP servers', () => {
    it('requires an explicit transport', () => {
      expect(messages(base.replace('    transport: sse\n', ''))).toEqual([
        'mcp_servers.db.transport: is missing; it must be one of sse, http, stdio (LiteLLM silently takes a server without one as http, streamable HTTP)',
      ]);
    });

    it('rejects "-" in server names (LiteLLM prefixes tools with <server>-)', () => {
      const issues = issuesOf(base.replace('  db:', '  local-tools:').replace('[db]', '[local-tools]'));
      expect(issues[0]).toMatchObject({ path: 'mcp_servers.local-tools' });
      expect(issues[0]?.message).toMatch(/"-" is ambiguous/);
    });

    it('rejects container fields on stdio servers LiteLLM spawns and os.environ/ inside args', () => {
      const yaml = base.replace(
        '    transport: sse',
        '    transport: stdio\n    inside_litellm: true\n    command: npx\n    args: ["--token", "os.environ/TOKEN"]',
      );
      expect(messages(yaml)).toEqual([
        'mcp_servers.db.args[1]: LiteLLM does not resolve os.environ/ inside args (only whole values in mappings)',
        'mcp_servers.db.image: does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)',
        'mcp_servers.db.port: does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)',
      ]);
    });

    it('runs a stdio server with an image behind the bridge by default, and refuses one with neither an image nor inside_litellm', () => {
      const bridged = parseConfig(
        'version: 1\nhost: gw.lan\nmcp_servers:\n  t:\n    transport: stdio\n    image: mcp:1\n    command: mcp-server-time\n    port: 48010\n',
      );
      const model = buildStackModel(bridged);
      expect(model.services.map((service) => service.name)).toContain('mcp-t');
      expect(model.litellmConfig.mcp_servers.t).toMatchObject({ transport: 'http', url: 'http://mcp-t:48010/mcp' });
      expect(litellmService(model).environment.LITELLM_ENABLE_MCP_STDIO).toBeUndefined();
      const bare = 'version: 1\nhost: gw.lan\nmcp_servers:\n  t:\n    transport: stdio\n    command: mcp-server-time\n';
      const issues = issuesOf(bare);
      expect(issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
        "mcp_servers.t: a stdio server runs in a container of its own, behind mcpgw's bridge, and this one names no image",
      ]);
      expect(issues[0]?.fix).toMatch(
        /add build: \{ npm: .*`mcp add --npm\/--pypi` writes it.* or image: IMAGE .* or, only if it must, inside_litellm: true .* master key, salt key and DATABASE_URL/,
      );
      expect(messages('version: 1\nhost: gw.lan\nmcp_servers:\n  t:\n    transport: http\n    url: http://t.lan:1/mcp\n    inside_litellm: true\n')).toEqual([
        'mcp_servers.t.inside_litellm: applies only to stdio servers (this one is http)',
      ]);
      expect(messages('version: 1\nhost: gw.lan\nmcp_servers:\n  t:\n    transport: stdio\n    command: x\n    inside_litellm: false\n')).toEqual([
        expect.stringMatching(/^mcp_servers\.t: a stdio server runs in a container of its own/),
        expect.stringMatching(/^mcp_servers\.t\.inside_litellm: must be true/),
      ]);
    });

    it('publishes an MCP server only with publish: true, which applies only where mcpgw runs its container', () => {
      expect(parseConfig(base, 'mcpgw.yaml').mcp_servers.db?.publish).toBe(false);
      expect(parseConfig(base.replace('    port: 48010', '    port: 48010\n    publish: true'), 'mcpgw.yaml').mcp_servers.db?.publish).toBe(true);
      expect(messages(base.replace('    port: 48010', '    port: 48010\n    publish: "yes"'))).toEqual([
        'mcp_servers.db.publish: must be a boolean, got the string "yes"',
      ]);
      expect(messages(base.replace('    image: crystaldba/postgres-mcp:0.3.0\n    port: 48010', '    url: http://db.lan:8000/sse\n    publish: true'))).toEqual(
        ['mcp_servers.db.publish: does not apply with url (mcpgw runs no container for it)'],
      );
      expect(
        messages(
          base.replace(
            '    transport: sse\n    image: crystaldba/postgres-mcp:0.3.0\n    port: 48010',
            '    transport: stdio\n    inside_litellm: true\n    command: npx\n    publish: true',
          ),
        ),
      ).toEqual(['mcp_servers.db.publish: does not apply to a stdio server LiteLLM spawns inside its own container (inside_litellm: true)']);
    });

    it('needs an image or a url for sse/http, and not both', () => {
      expect(messages(base.replace('    image: crystaldba/postgres-mcp:0.3.0\n    port: 48010\n', ''))).toEqual([
        'mcp_servers.db: needs image (a container mcpgw runs) or url (an existing sse server)',
      ]);
      expect(messages(base.replace('    port: 48010', '    port: 48010\n    url: http://db.lan:8000/sse'))).toContain(
        'mcp_servers.db.url: cannot be combined with image',
      );
    });

    it('gives a container named volumes of its own, writable for the user of an image mcpgw builds only at /data', () => {
      const withVolume = base.replace('    port: 48010', '    port: 48010\n    volumes: { state: /var/lib/state }');
      const model = buildStackModel(parseConfig(withVolume, 'mcpgw.yaml'));
      expect(model.volumes).toContain('litellm-mcp-db-state');
      expect(model.services.find((service) => service.name === 'mcp-db')?.volumes).toEqual([
        { source: 'litellm-mcp-db-state', target: '/var/lib/state', kind: 'volume', readOnly: false },
      ]);
      const built = (volumes: string) =>
        base.replace(
          '    image: crystaldba/postgres-mcp:0.3.0\n    port: 48010',
          `    build: { npm: "@modelcontextprotocol/server-filesystem@2026.1.14" }\n    command: [mcp-server-filesystem]\n    port: 48010\n    volumes: ${volumes}`,
        );
      expect(parseConfig(built('{ data: /data }'), 'mcpgw.yaml').mcp_servers.db?.volumes).toEqual({ data: '/data' });
      expect(issuesOf(built('{ data: /srv/files }'))).toEqual([
        expect.objectContaining({
          path: 'mcp_servers.db.volumes.data',
          message: 'is mounted on /srv/files, where the server (nobody, in the image mcpgw builds) cannot write',
          fix: expect.stringContaining('mount it on /data'),
        }),
      ]);
      expect(messages(built('{ data: /data, more: /data }'))).toEqual(['mcp_servers.db.volumes.more: mounts on /data, as data does']);
      expect(messages(built('{ data: data }'))).toEqual(['mcp_servers.db.volumes.data: must be an absolute directory in the container, e.g. /data']);
      expect(
        messages(base.replace('    image: crystaldba/postgres-mcp:0.3.0\n    port: 48010', '    url: http://db.lan:8000/sse\n    volumes: { data: /data }')),
      ).toEqual(['mcp_servers.db.volumes: applies only to a server mcpgw runs a container for (not with url or inside_litellm)']);
    });

    it('catches a path that does not match the transport', () => {
      expect(messages(base.replace('    port: 48010', '    port: 48010\n    path: /mcp'))).toEqual([
        'mcp_servers.db.path: /mcp is a streamable HTTP path but transport is sse',
      ]);
      const http = 'version: 1\nhost: gw\nmcp_servers:\n  x:\n    transport: http\n    url: http://x.lan:1/sse\n';
      expect(messages(http)).toEqual(['mcp_servers.x.url: /sse is an SSE path but transport is http']);
    });
  });

  it('reports every problem in one run, sorted by line', () => {
    const yaml = `version: 2
host: linuxserver.lan
mcp_servers:
  db:
    transport: smtp
    image: x
    port: 99
keys:
  - alias: Bad Alias
    expires: forever
`;
    const issues = issuesOf(yaml);
    expect(issues.map((issue) => issue.path)).toEqual(['version', 'mcp_servers.db.transport', 'mcp_servers.db.port', 'keys[0].alias', 'keys[0].expires']);
    expect(issues.map((issue) => issue.line)).toEqual([1, 5, 7, 9, 10]);
  });

  it('reports YAML syntax errors with their line', () => {
    const issues = issuesOf('version: 1\nhost: gw\n\tbind: 0.0.0.0\n');
    expect(issues).toEqual([expect.objectContaining({ path: '(yaml)', message: 'Tabs are not allowed as indentation', line: 3 })]);
  });

  it('reports duplicate YAML keys', () => {
    expect(issuesOf('version: 1\nhost: a\nhost: b\n')[0]?.message).toMatch(/unique/i);
  });

  it('rejects an empty file with a hint', () => {
    expect(() => parseConfig('')).toThrow(UserError);
  });
});

describe('probe_model', () => {
  const withModel = base.replace(
    'host: linuxserver.lan',
    'host: linuxserver.lan\nlitellm:\n  models: [{ name: haiku, model: anthropic/claude-3-haiku-20240307 }]',
  );

  it('takes canary or a declared model', () => {
    expect(parseConfig(`probe_model: canary\n${base}`).probe_model).toBe('canary');
    expect(parseConfig(`probe_model: haiku\n${withModel}`).probe_model).toBe('haiku');
  });

  it('refuses a model that is not declared, naming the declared ones and the canary', () => {
    const issues = issuesOf(`probe_model: gpt-5\n${withModel}`);
    expect(issues).toEqual([expect.objectContaining({ path: 'probe_model', message: 'unknown model "gpt-5"', line: 1 })]);
    expect(issues[0]?.fix).toMatch(/canary.*declared model: haiku/);
  });

  it("keeps the canary's model name free when the canary runs", () => {
    const taken = withModel.replace('name: haiku', 'name: mcpgw-canary');
    expect(messages(`probe_model: canary\n${taken}`)).toEqual([
      'litellm.models[0].name: "mcpgw-canary" is the name of mcpgw\'s canary model (probe_model: canary)',
    ]);
    expect(() => parseConfig(taken)).not.toThrow();
  });
});
