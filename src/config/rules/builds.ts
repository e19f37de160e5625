import type { ConfigIssue } from '../../errors.js';
import { BUILTIN_LITELLM_IMAGE, BUILTIN_POSTGRES_IMAGE, packageImage, type PackageSource } from '../../images/builtin.js';
import { record } from './raw.js';

/**
 * `build: builtin` on LiteLLM and Postgres: the image named beside it must be the one mcpgw builds, and the bundled
 * Postgres is the only one it builds.
 */
export function checkBuiltinImages(litellm: Record<string, unknown>, postgres: Record<string, unknown>, issues: ConfigIssue[]): void {
  checkBuiltin('litellm', litellm, BUILTIN_LITELLM_IMAGE, issues);
  checkBuiltin('postgres', postgres, BUILTIN_POSTGRES_IMAGE, issues);
  if (postgres.build !== undefined && postgres.mode === 'external') {
    issues.push({ path: 'postgres.build', message: 'applies to the bundled Postgres only (mode is external)', fix: 'remove build, or set mode: bundled' });
  }
}

/** `build: builtin` runs the image mcpgw builds, so an image named beside it must be that one. */
function checkBuiltin(service: 'litellm' | 'postgres', raw: Record<string, unknown>, image: string, issues: ConfigIssue[]): void {
  if (raw.build !== 'builtin' || raw.image === undefined || raw.image === image) return;
  issues.push({
    path: `${service}.image`,
    message: `is ${String(raw.image)}, but build: builtin builds and runs ${image}`,
    fix: `remove image (or set it to ${image}), or remove build to pull ${String(raw.image)}`,
  });
}

/**
 * `build: { npm | pypi }` on an MCP server: one pinned package (the schema checks the version), installed into the
 * image mcpgw builds and runs for this server, so the server must run in a container of its own, its program
 * must be named, and nothing may be downloaded when the container starts.
 */
export function checkServerBuild(name: string, server: Record<string, unknown>, issues: ConfigIssue[]): void {
  const build = record(server.build);
  if (!build) return;
  const at = (field: string) => `mcp_servers.${name}.${field}`;
  const sources = (['npm', 'pypi'] as const).filter((registry) => build[registry] !== undefined);
  if (sources.length !== 1) {
    issues.push({
      path: at('build'),
      message: sources.length ? 'names both npm and pypi' : 'names no package',
      fix: 'give one package: build: { npm: "name@1.2.3" } or build: { pypi: "name==1.2.3" }',
    });
    return;
  }
  if (server.url !== undefined)
    return void issues.push({
      path: at('build'),
      message: 'does not apply with url (mcpgw runs no container for it)',
      fix: 'remove build, or replace url with port: 48xxx',
    });
  const image = packageImage(build as PackageSource);
  if (image && server.image !== undefined && server.image !== image) {
    issues.push({
      path: at('image'),
      message: `is ${String(server.image)}, but build installs the package into ${image}`,
      fix: `remove image (mcpgw names the image it builds), or remove build to pull ${String(server.image)}`,
    });
  }
  const command = Array.isArray(server.command) ? server.command.map(String) : typeof server.command === 'string' ? server.command.split(/\s+/) : [];
  if (command.length === 0) {
    issues.push({
      path: at('command'),
      message: 'is required with build (the image has no program of its own to start)',
      fix: "name the package's program, e.g. command: [mcp-server-everything, streamableHttp]",
    });
  } else if (['npx', 'uvx', 'pipx'].includes(command[0] as string)) {
    issues.push({
      path: at('command'),
      message: `runs ${command[0]}, which downloads the package when the container starts`,
      fix: "run the program the package installed instead (it is on the image's PATH), e.g. mcp-server-everything",
    });
  }
}
