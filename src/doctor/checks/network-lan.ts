import { isLanHost } from '../../config/lan.js';
import { COMPOSE_FILE } from '../../render/compose.js';
import { serversOf } from '../deployed.js';
import { fail, pass, type Cause, type Check } from '../types.js';

const PROXY_LABEL = /^traefik\.|caddy|nginx|oauth|keycloak/i;
const TLS_SETTING = /ssl_keyfile|ssl_certfile|SSL_KEYFILE|SSL_CERTFILE|--ssl/;

export const networkLan: Check = {
  id: 'network.lan-only',
  title: 'LAN hard rules: plain HTTP, no reverse proxy labels, no public names',
  area: 'network',
  needs: ['config'],
  async run(ctx) {
    const { config } = await ctx.loaded();
    if (!config.lan_only) return pass('lan_only: false — TLS, proxies and public names are opted in explicitly');
    const causes: Cause[] = [];
    const optIn = 'or set lan_only: false to opt in';
    if (!isLanHost(config.host)) causes.push({ cause: `host ${config.host} is a public DNS name`, fix: `use the LAN name (e.g. linuxserver.lan), ${optIn}` });
    const compose = await ctx.deployed(COMPOSE_FILE);
    if (compose && TLS_SETTING.test(compose))
      causes.push({ cause: `${COMPOSE_FILE} sets up a TLS listener`, fix: `remove the ssl options (clients use plain http://<host>:<port>), ${optIn}` });
    if (compose && /traefik\./.test(compose))
      causes.push({ cause: `${COMPOSE_FILE} carries traefik labels`, fix: `remove them from mcpgw.yaml and \`mcpgw render\`, ${optIn}` });
    const deployed = await ctx.deployedLitellmConfig();
    for (const [name, entry] of deployed ? serversOf(deployed) : []) {
      if (typeof entry.url !== 'string') continue;
      const url = new URL(entry.url);
      if (url.protocol === 'https:' || !isLanHost(url.hostname))
        causes.push({ cause: `MCP server ${name} is reached at ${entry.url}, outside the LAN or over TLS`, fix: `use a LAN address over http://, ${optIn}` });
    }
    // Labels on the running containers, when Docker is there to ask: someone may have added them by hand.
    const containers = await ctx.containers().catch(() => []);
    for (const container of containers) {
      const labels = Object.keys(container.labels).filter((label) => PROXY_LABEL.test(label));
      if (labels.length)
        causes.push({
          cause: `container ${container.name} has reverse-proxy labels ${labels.join(', ')}`,
          fix: `remove them (\`mcpgw up\` recreates it from mcpgw.yaml), ${optIn}`,
        });
    }
    const evidence = `host ${config.host}, bind ${config.bind}, ${containers.length} container(s) inspected`;
    return causes.length === 0 ? pass(evidence) : fail(evidence, causes);
  },
};
