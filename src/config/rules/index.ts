import type { ConfigIssue } from '../../errors.js';
import { checkBuiltinImages, checkServerBuild } from './builds.js';
import { checkHost } from './host.js';
import { checkKeys } from './keys.js';
import { checkLanRules } from './lan-only.js';
import { checkLiteralSecrets } from './literal-secrets.js';
import { checkObservability } from './observability.js';
import { checkPorts, checkPortRange } from './ports.js';
import { checkProbeModel } from './probe-model.js';
import { record } from './raw.js';
import { checkServerName } from './server-name.js';
import { checkServerShape } from './server-shape.js';
import { findShellVariables } from './shell-variables.js';
import { checkSwarm } from './swarm.js';
import { checkServerVolumes } from './volumes.js';

/**
 * Rules that span fields or scan the whole document, one file per concern beside this one. They read the raw parsed
 * YAML defensively (not the typed config) so they still report alongside schema errors: the user sees every problem
 * in one run, in the order the rules run here.
 */
export function checkRules(raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const doc = record(raw);
  findShellVariables(raw, [], issues);
  if (!doc) return issues;

  const lanOnly = doc.lan_only !== false;
  const servers = record(doc.mcp_servers) ?? {};
  const litellm = record(doc.litellm) ?? {};
  const postgres = record(doc.postgres) ?? {};
  const keys = Array.isArray(doc.keys) ? doc.keys : [];
  const range = checkPortRange(doc.mcp_port_range, issues);
  const stack = typeof doc.name === 'string' ? doc.name : 'litellm';

  checkPorts(litellm, postgres, servers, range, issues);
  for (const [name, value] of Object.entries(servers)) {
    const server = record(value) ?? {};
    checkServerName(stack, name, issues);
    checkLiteralSecrets(name, server, issues);
    checkServerShape(name, server, lanOnly, issues);
    checkServerBuild(name, server, issues);
    checkServerVolumes(name, server, issues);
  }
  checkBuiltinImages(litellm, postgres, issues);
  checkKeys(keys, servers, litellm, issues);
  checkProbeModel(doc.probe_model, litellm, issues);
  checkHost(doc.host, lanOnly, issues);
  if (lanOnly) checkLanRules(doc, litellm, issues);
  checkObservability(record(doc.observability), lanOnly, issues);
  checkSwarm(doc, litellm, issues);
  return issues;
}
