/**
 * LiteLLM releases a deployment must not run, in one place for `probe`, `doctor` and the default pin.
 * Sources: ../shared/reference/litellm-security.md (GitHub advisories and LiteLLM's security posts).
 * A range is [from, before); `versions` lists exact bad releases.
 */
export interface Advisory {
  id: string;
  summary: string;
  from?: string;
  before?: string;
  versions?: string[];
  fixed?: string;
}

export const ADVISORIES: readonly Advisory[] = [
  {
    id: 'PyPI compromise 2026-03',
    summary: 'the litellm 1.82.7 and 1.82.8 wheels on PyPI were malicious; images built from them are compromised',
    versions: ['1.82.7', '1.82.8'],
  },
  {
    id: 'CVE-2026-42271',
    summary: 'any valid key can run commands through the MCP stdio test endpoints (/mcp-rest/test/*); exploited in the wild',
    from: '1.74.2',
    before: '1.83.7',
    fixed: '1.83.7',
  },
  {
    id: 'CVE-2026-30623',
    summary: 'command injection through MCP server creation with transport stdio',
    before: '1.83.7',
    fixed: '1.83.7',
  },
  {
    id: 'CVE-2026-42208',
    summary: 'pre-auth SQL injection in API-key verification',
    from: '1.81.16',
    before: '1.83.7',
    fixed: '1.83.10',
  },
  {
    id: 'CVE-2026-59822',
    summary: 'MCP OAuth / Host-header authorization bypass',
    before: '1.84.0',
    fixed: '1.84.0',
  },
];

/** First releases in which LiteLLM executes MCP tools itself (`require_approval: never`) on each endpoint. */
export const MCP_AUTO_EXECUTION_SINCE = {
  // PR #17747, release note "MCP Support on /chat/completions".
  chat: '1.80.10',
  // Present in the 1.77 line already; its first release is not confirmed, so older versions are only "unknown".
  responses: '1.77.0',
} as const;

/**
 * The release line from which a key without MCP grants reaches no MCP server: LiteLLM 1.77.3 gave such a key every
 * server (MCPServerManager.get_allowed_mcp_servers fell back to the whole registry), 1.80.8 and 1.108.7 give it none.
 * Releases between those two were not read: 1.80 is taken as the boundary.
 */
export const UNGRANTED_KEY_SEES_NONE_SINCE = '1.80.0';
