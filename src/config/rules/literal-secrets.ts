import type { ConfigIssue } from '../../errors.js';
import { isSecretEnvironment, secretArguments } from '../literal-secrets.js';
import { record } from './raw.js';

/**
 * Plain values that are credentials, in the fields that are rendered in clear: `environment` (into
 * docker-compose.yml) and the command words (docker-compose.yml, or config/config.yaml for a stdio server).
 */
export function checkLiteralSecrets(name: string, server: Record<string, unknown>, issues: ConfigIssue[]): void {
  const at = (field: string) => `mcp_servers.${name}.${field}`;
  const secretName = (variable: string) => `MCP_${name.toUpperCase()}_${variable.toUpperCase()}`;
  for (const [variable, value] of Object.entries(record(server.environment) ?? {})) {
    // A ${VAR} or os.environ/ reference is reported as such; it holds no value.
    if (typeof value === 'string' && !/\$\{|os\.environ\//.test(value) && isSecretEnvironment(variable, value)) {
      issues.push({
        path: at(`environment.${variable}`),
        message: 'holds a secret value; environment is written in clear into docker-compose.yml',
        fix: `put ${secretName(variable)}=… in the secrets file and write env: { ${variable}: ${secretName(variable)} } instead`,
      });
    }
  }
  const where = server.transport === 'stdio' && server.inside_litellm === true ? 'config/config.yaml' : 'docker-compose.yml';
  for (const field of ['command', 'args'] as const) {
    const value = server[field];
    const words = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value.map(String) : [];
    for (const index of secretArguments(words)) {
      issues.push({
        path: typeof value === 'string' ? at(field) : `${at(field)}[${index}]`,
        message: `holds a secret value; the command is written in clear into ${where}`,
        fix: 'put the value in the secrets file and pass it with env: { VAR: SECRET_NAME } (most servers read their token from an environment variable)',
      });
    }
  }
}
