import { createHash } from 'node:crypto';
import { describeVerdict, someNames, type SchemaVerdict } from '../litellm/migrations.js';
import { ungrantedKeyReach } from '../litellm/version.js';
import type { UpgradeTarget } from './target.js';

/** Something that stops the upgrade before anything is touched, with what fixes it. */
export interface Finding {
  what: string;
  fix: string;
}

/**
 * Master keys LiteLLM refuses to start with (1.108.7's proxy/auth/master_key_boot_check.py: unset, blank, or one
 * whose sha256 of the stripped value is publicly known — the docs' `sk-1234`).
 */
const PUBLICLY_KNOWN_MASTER_KEY_SHA256 = new Set(['88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b']);

export function masterKeyRefusal(value: string | undefined): string | undefined {
  const stripped = value?.trim();
  if (value === undefined) return 'is not set';
  if (!stripped) return 'is blank';
  if (PUBLICLY_KNOWN_MASTER_KEY_SHA256.has(createHash('sha256').update(stripped).digest('hex'))) return 'is the publicly known sk-1234';
  return undefined;
}

export interface KeyGrantState {
  label: string;
  /** Servers or groups granted. */
  grants: number;
  active: boolean;
}

/** A key's MCP grants, as a row holds them or as mcpgw.yaml declares them (server ids and group names). */
interface Grants {
  token: string;
  mcpServers: string[];
  mcpGroups: string[];
}

/**
 * How many grants a key holds once the cut-over's `keys sync` ran, before the probe: a declared key gets what mcpgw.yaml
 * declares (sync replaces the row's grants with them; adopt declares a grantless key with every adopted server), any
 * other key keeps its row's. Granting them ahead with `keys sync` on the old LiteLLM is no way out before 1.80: an
 * older version ignores the server ids mcpgw pins, so the grant would name no server it knows and cut the key off now.
 */
export function grantsAfterCutover(row: Grants, declared: readonly Grants[]): number {
  const wanted = declared.find((key) => key.token === row.token) ?? row;
  return wanted.mcpServers.length + wanted.mcpGroups.length;
}

export interface PreflightInput {
  target: UpgradeTarget;
  /** The LiteLLM version that runs now, when known. */
  from?: string;
  verdict: SchemaVerdict;
  masterKey: { name: string; value: string | undefined };
  /** Each key row, its grants counted as they will be after the cut-over (grantsAfterCutover). */
  keys: KeyGrantState[];
  /** What an adopted stack's mcpgw.yaml lacks for mcpgw to run LiteLLM itself (empty for a stack mcpgw made). */
  adoptedGaps: Finding[];
}

/** Every reason not to start, all at once; empty means go on. Nothing here touches anything. */
export function preflight(input: PreflightInput): Finding[] {
  const findings: Finding[] = [];
  const { verdict, target } = input;
  if (verdict.state === 'ahead')
    findings.push({
      what: `downgrade refused: ${describeVerdict(verdict, target.image)}`,
      fix: 'upgrade to the LiteLLM release that made those migrations or a newer one (`mcpgw upgrade --to VERSION`), or restore a backup made before them',
    });
  if (verdict.state === 'unverifiable')
    findings.push({
      what: `unverifiable schema: ${describeVerdict(verdict, target.image)}`,
      fix: 'restore a backup that carries the _prisma_migrations ledger (`mcpgw restore FILE`); a schema nothing records cannot be migrated safely',
    });
  if (verdict.state === 'failed')
    findings.push({
      what: describeVerdict(verdict, target.image),
      fix: `restore the backup made before ${someNames(verdict.failed, 1)} (\`mcpgw restore FILE\`), then run the upgrade again`,
    });
  const refused = masterKeyRefusal(input.masterKey.value);
  if (refused)
    findings.push({
      what: `${input.masterKey.name} ${refused}: LiteLLM ${target.version ?? '(target)'} refuses to start with it`,
      fix: `put a new value in the secrets file (${input.masterKey.name}=sk-$(openssl rand -hex 32)), \`mcpgw up\`, and give clients their keys again if they used the master key`,
    });
  // An unknown running version may be an old one: its grantless keys may reach every server now.
  if ((input.from === undefined ? 'all' : ungrantedKeyReach(input.from)) === 'all' && ungrantedKeyReach(target.version) === 'none') {
    const lost = input.keys.filter((key) => key.active && key.grants === 0).map((key) => key.label);
    if (lost.length > 0)
      findings.push({
        what: `key(s) ${someNames(lost, 5)} have no MCP grant: LiteLLM ${input.from ?? 'now'} gives them every server, ${target.version ?? 'the target'} none`,
        fix: 'declare each in mcpgw.yaml with the servers its clients use (keys[].mcp_servers, token_sha256: for a key known by its hash): the cut-over writes those grants, then upgrade',
      });
  }
  findings.push(...input.adoptedGaps);
  return findings;
}
