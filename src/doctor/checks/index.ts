import type { Check } from '../types.js';
import { clientsFiles } from './clients-files.js';
import { clientsKeys } from './clients-keys.js';
import { configEnviron } from './config-environ.js';
import { configIgnoredFields } from './config-ignored-fields.js';
import { configRendered } from './config-rendered.js';
import { configServerPaths } from './config-server-paths.js';
import { configShellVars } from './config-shell-vars.js';
import { configTransport } from './config-transport.js';
import { configValid } from './config-valid.js';
import { databaseAuth } from './database-auth.js';
import { databaseFromLitellm } from './database-from-litellm.js';
import { databaseReachable } from './database-reachable.js';
import { databaseSchema } from './database-schema.js';
import { keysAge } from './keys-age.js';
import { keysAliases } from './keys-aliases.js';
import { keysDeclared } from './keys-declared.js';
import { keysExpired } from './keys-expired.js';
import { keysGrants } from './keys-grants.js';
import { keysMcpGrant } from './keys-mcp-grant.js';
import { keysServerIds } from './keys-server-ids.js';
import { keysSettings } from './keys-settings.js';
import { keysToolPermissions } from './keys-tool-permissions.js';
import { litellmAutoExec } from './litellm-auto-exec.js';
import { litellmHealth } from './litellm-health.js';
import { litellmImage } from './litellm-image.js';
import { litellmLocalImage } from './litellm-local-image.js';
import { litellmMetrics } from './litellm-metrics.js';
import { litellmVersion } from './litellm-version.js';
import { mcpContainers } from './mcp-containers.js';
import { mcpGateway } from './mcp-gateway.js';
import { mcpLlm } from './mcp-llm.js';
import { mcpTransport } from './mcp-transport.js';
import { networkAttached } from './network-attached.js';
import { networkExists } from './network-exists.js';
import { networkLan } from './network-lan.js';
import { networkMcpRange } from './network-mcp-range.js';
import { networkPorts } from './network-ports.js';
import { replicasReady } from './replicas-ready.js';
import { replicasVersion } from './replicas-version.js';
import { replicasConfig } from './replicas-config.js';
import { replicasTools } from './replicas-tools.js';
import { replicasKeys } from './replicas-keys.js';
import { replicasRedis } from './replicas-redis.js';
import { replicasHeartbeat } from './replicas-heartbeat.js';
import { swarmConnections } from './swarm-connections.js';
import { swarmImages } from './swarm-images.js';
import { swarmTasks } from './swarm-tasks.js';
import { secretsFile } from './secrets-file.js';
import { secretsGit } from './secrets-git.js';
import { secretsMasterKey } from './secrets-master-key.js';
import { securityAdminUi } from './security-admin-ui.js';
import { securityBackups } from './security-backups.js';
import { securityDbRole } from './security-db-role.js';
import { securityErrorLogs } from './security-error-logs.js';
import { securityHealth } from './security-health.js';
import { securityIsolation } from './security-isolation.js';
import { securityLanExposure } from './security-lan-exposure.js';
import { securityMcpTestEndpoints } from './security-mcp-test-endpoints.js';
import { securityPassthrough } from './security-passthrough.js';
import { securityStdioInsideLitellm } from './security-stdio-inside-litellm.js';

/** Every check, in report order within its area. Adding a check is adding a file and a line here. */
export const CHECKS: readonly Check[] = [
  configValid,
  configRendered,
  configShellVars,
  configEnviron,
  configTransport,
  configServerPaths,
  configIgnoredFields,
  secretsFile,
  secretsMasterKey,
  secretsGit,
  networkExists,
  networkAttached,
  networkPorts,
  networkMcpRange,
  networkLan,
  databaseReachable,
  databaseAuth,
  databaseSchema,
  databaseFromLitellm,
  keysDeclared,
  keysGrants,
  keysMcpGrant,
  keysServerIds,
  keysAliases,
  keysSettings,
  keysToolPermissions,
  keysExpired,
  keysAge,
  mcpContainers,
  mcpTransport,
  mcpGateway,
  mcpLlm,
  litellmImage,
  litellmLocalImage,
  litellmVersion,
  litellmHealth,
  litellmAutoExec,
  litellmMetrics,
  replicasReady,
  replicasVersion,
  replicasConfig,
  replicasTools,
  replicasKeys,
  replicasRedis,
  replicasHeartbeat,
  swarmTasks,
  swarmImages,
  swarmConnections,
  clientsFiles,
  clientsKeys,
  securityErrorLogs,
  securityDbRole,
  securityMcpTestEndpoints,
  securityBackups,
  securityLanExposure,
  securityPassthrough,
  securityAdminUi,
  securityHealth,
  securityIsolation,
  securityStdioInsideLitellm,
];
