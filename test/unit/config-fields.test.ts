import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ignoredFields, judgeLitellmConfig, serverFieldStatus } from '../../src/litellm/config-fields.js';
import { FIXTURE_STACKS, goldenDir } from '../helpers/fixtures.js';

const status = (doc: unknown, version: string, path: string) => judgeLitellmConfig(doc, version).find((field) => field.path === path)?.status;

describe("the catalog of LiteLLM's config.yaml fields", () => {
  it.each(FIXTURE_STACKS)('finds nothing ignored in the config.yaml mcpgw renders (%s) for its builtin 1.108.7', (stack) => {
    const doc = parse(readFileSync(path.join(goldenDir, stack, 'config', 'config.yaml'), 'utf8')) as unknown;
    expect(ignoredFields(doc, '1.108.7')).toEqual([]);
  });

  it('judges what the two versions read differently, and only those two', () => {
    const doc = { mcp_servers: { db: { transport: 'sse', url: 'http://db:8000/sse', server_id: 'x', static_headers: { Host: 'localhost:8000' } } } };
    expect(status(doc, '1.77.3', 'mcp_servers.db.server_id')).toBe('ignored');
    expect(status(doc, '1.108.7', 'mcp_servers.db.server_id')).toBe('honoured');
    expect(status(doc, '1.80.8', 'mcp_servers.db.static_headers')).toBe('unknown');
    expect(status(doc, '1.110.0', 'mcp_servers.db.static_headers')).toBe('honoured');
    expect(serverFieldStatus('static_headers', '1.77.3')).toBe('ignored');
  });

  it('never honours what no version reads: virtual_keys, api_keys, require_approval, litellm_settings.master_key', () => {
    const doc = {
      virtual_keys: [{ api_key: 'os.environ/K' }],
      litellm_settings: { master_key: 'os.environ/M', drop_params: true },
      general_settings: { master_key: 'os.environ/M' },
      mcp_servers: { db: { transport: 'sse', url: 'http://db:8000/sse', api_keys: ['sk-x'], require_approval: 'never' } },
    };
    for (const version of ['1.77.3', '1.80.8', '1.108.7'])
      expect(ignoredFields(doc, version).map((field) => field.path)).toEqual([
        'virtual_keys',
        'litellm_settings.master_key',
        'mcp_servers.db.api_keys',
        'mcp_servers.db.require_approval',
      ]);
    expect(status(doc, '1.77.3', 'general_settings.master_key')).toBe('honoured');
  });

  it('flags ${VAR} anywhere, os.environ/ inside a list, and a server without transport', () => {
    const doc = {
      model_list: [{ model_name: 'm', litellm_params: { model: 'x', api_key: '${KEY}' } }],
      mcp_servers: { s: { command: 'run', args: ['os.environ/T'] } },
    };
    expect(ignoredFields(doc, '1.108.7').map((field) => [field.path, field.why.slice(0, 30)])).toEqual([
      ['mcp_servers.s.transport', 'missing: LiteLLM takes a confi'],
      ['model_list[0].litellm_params.api_key', '${…} is never resolved: LiteLL'],
      ['mcp_servers.s.args[0]', 'os.environ/ inside a list is n'],
    ]);
  });
});
