// README's first command, as a new user runs it: `mcpgw init --offline` then `mcpgw up --install-docker` in a
// clean directory, with mcpgw's defaults (stack `litellm`, port 4000, server-everything on 48020). No registry and
// no provider key: every image is built from PyPI, Debian and npm by mcpgw itself (cached between runs by
// its recipe hashes), and the probe's LLM level runs on the canary model. It must end with the probe green at
// every level and the next step printed.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIRST_COMMAND = 'npm ci && npm run build && npx mcpgw init --offline && npx mcpgw up --install-docker';
let dir = '';

/** `npx mcpgw …` in a checkout runs the package's bin: the same file, with the same node. */
function mcpgw(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin/mcpgw.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 1_200_000,
    // As `mcpgw` on the PATH runs it (npm exec, which npx is, would make the next steps say `npx mcpgw`).
    env: { ...process.env, NO_COLOR: '1', npm_command: undefined },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-first-run-'));
});

afterAll(async () => {
  mcpgw('down', '--volumes');
  await rm(dir, { recursive: true, force: true });
});

describe("README's first command", () => {
  it('is the sequence this test runs', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const firstLine = /```bash\n([^\n]+)/.exec(readme)?.[1] ?? '';
    expect(firstLine.split('#')[0]?.trim()).toBe(FIRST_COMMAND);
  });

  it('init --offline then up, in a clean directory, end with the probe green at every level and the next step', async () => {
    const init = mcpgw('init', '--offline');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/next: `mcpgw up` builds the images/);
    const up = mcpgw('up', '--install-docker');
    expect(up.code, `${up.stderr}\n${up.stdout}`).toBe(0);
    // Each image of the stack came from mcpgw's own recipes (built now, or up to date from an earlier run).
    for (const image of ['mcpgw/litellm-db:1.108.7', 'mcpgw/postgres:15', 'mcpgw/npm-modelcontextprotocol-server-everything:2026.8.31', 'mcpgw/haproxy:2.6']) {
      expect(up.stderr).toMatch(new RegExp(`${image.replace(/[./]/g, '\\$&')}: (built|up to date)`));
    }
    expect(up.stderr).toMatch(/images: the stack's 4 image\(s\) present, 4 of them built by mcpgw \(above\)/);
    expect(up.stderr).toMatch(/mcp-everything from LiteLLM: .*tools\/list → [1-9]\d* tools/);
    expect(up.stderr).toMatch(/probe: \d+ checks passed end to end/);
    expect(up.stdout).toContain('next: mcpgw client-config claude --key-alias claude-code');

    const probe = mcpgw('probe', '--json');
    expect(probe.code, probe.stderr).toBe(0);
    const report = JSON.parse(probe.stdout) as { ok: boolean; steps: { id: string; level: string; status: string }[] };
    for (const level of ['gateway', 'mcp', 'auth', 'llm']) {
      const steps = report.steps.filter((step) => step.level === level);
      expect(steps.length, level).toBeGreaterThan(0);
      for (const step of steps) expect(step.status, JSON.stringify(step)).toBe('pass');
    }
    const next = mcpgw('client-config', 'claude', '--key-alias', 'claude-code');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/claude mcp add .*\/mcp\//);
  });

  it('adds a catalog server the way this stack can run it: built from its npm package, proven by up', async () => {
    const added = mcpgw('mcp', 'add', 'extra', '--from-catalog', 'everything');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('mcpgw up builds its image from npm (@modelcontextprotocol/server-everything@2026.8.31): no registry needed');
    const config = await readFile(path.join(dir, 'mcpgw.yaml'), 'utf8');
    expect(config).toMatch(
      / {2}extra:\n(?: {4}.*\n)* {4}build:\n {6}npm: "@modelcontextprotocol\/server-everything@2026\.8\.31"\n {4}command: \[mcp-server-everything, streamableHttp\]/,
    );
    const up = mcpgw('up');
    expect(up.code, `${up.stderr}\n${up.stdout}`).toBe(0);
    expect(up.stderr).toMatch(/mcp-extra from LiteLLM: .*tools\/list → [1-9]\d* tools/);
    const probe = mcpgw('probe', '--json', '--server', 'extra', '--no-llm');
    const report = JSON.parse(probe.stdout) as { steps: { id: string; status: string; evidence: string[] }[] };
    const extra = report.steps.find((step) => step.id === 'mcp.server.extra');
    expect(extra?.status, JSON.stringify(extra)).toBe('pass');
    expect(extra?.evidence.join(' ')).toMatch(/nonce returned/);
  });
});
