import { describe, expect, it } from 'vitest';
import { isLanHost, isPrivateAddress } from '../../src/config/lan.js';
import { formatSecrets, parseSecrets } from '../../src/config/secrets.js';
import { closest } from '../../src/config/suggest.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { Ui } from '../../src/ui/output.js';

describe('LAN addresses', () => {
  it.each(['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.20', '127.0.0.1', '0.0.0.0', '169.254.1.1', '::1', 'fd00::1'])('%s is private', (address) =>
    expect(isPrivateAddress(address)).toBe(true),
  );
  it.each(['8.8.8.8', '172.32.0.1', '203.0.113.7', '2001:db8::1', 'linuxserver.lan'])('%s is not', (address) => expect(isPrivateAddress(address)).toBe(false));
  it.each(['linuxserver.lan', 'nas.local', 'gw.home.arpa', 'gateway', 'localhost', '192.168.0.2'])('%s is a LAN host', (host) =>
    expect(isLanHost(host)).toBe(true),
  );
  it.each(['ai-servicers.com', 'mcp.example.org', '8.8.4.4'])('%s is public', (host) => expect(isLanHost(host)).toBe(false));
});

describe('secrets file', () => {
  it('parses comments, export and quotes', () => {
    const secrets = parseSecrets('# c\nA=1\nexport B="two words"\nC=\'x=y\'\n\nD=\n');
    expect([...secrets]).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'x=y'],
      ['D', ''],
    ]);
  });

  it('rejects every malformed line by number, and a name set twice with different values, without their content', () => {
    try {
      parseSecrets('A=1\nsk-supersecretvalue\nB=x\nA=2\nA=1\nnot a line\n', 'litellm.env');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { issues } = error as ConfigError;
      expect(issues.map((issue) => `${issue.line}: ${issue.path}: ${issue.message}`)).toEqual([
        '2: line 2: expected NAME=value',
        '4: A: is set again with a different value (first on line 1); the last one would win silently',
        '6: line 6: expected NAME=value',
      ]);
      expect(JSON.stringify(issues)).not.toContain('supersecret');
    }
  });

  it('round-trips through formatSecrets', () => {
    const text = formatSecrets(
      [
        ['A', 'p@ss word'],
        ['B', 'x'],
      ],
      ['header'],
    );
    expect(text).toBe('# header\nA=p@ss word\nB=x\n');
    expect([...parseSecrets(text)]).toEqual([
      ['A', 'p@ss word'],
      ['B', 'x'],
    ]);
  });

  it('refuses values with line breaks', () => {
    expect(() => formatSecrets([['A', 'a\nB=b']])).toThrow(UserError);
  });
});

describe('suggestions', () => {
  it('finds near misses only', () => {
    expect(closest('transprot', ['transport', 'image', 'port'])).toBe('transport');
    expect(closest('mcpservers', ['mcp_servers', 'keys'])).toBe('mcp_servers');
    expect(closest('completely', ['transport', 'image'])).toBeUndefined();
  });
});

describe('Ui redaction', () => {
  it('masks registered secrets, also URL-encoded, on every channel', () => {
    let out = '';
    let err = '';
    const ui = new Ui({ write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, { json: false, quiet: false, verbose: true, color: false });
    ui.addSecrets(['sk-master-123456', 'p@ss word']);
    ui.result('key sk-master-123456');
    ui.error('connect postgresql://u:p%40ss%20word@db/x failed');
    ui.verbose('env p@ss word');
    ui.json({ key: 'sk-master-123456' });
    expect(out + err).not.toMatch(/sk-master-123456|p@ss word|p%40ss%20word/);
    expect(out).toContain('key ***');
    expect(err).toContain('postgresql://u:***@db/x');
  });

  it('keeps stdout for results and stderr for progress; --quiet silences progress only', () => {
    let out = '';
    let err = '';
    const ui = new Ui({ write: (s: string) => (out += s) }, { write: (s: string) => (err += s) }, { json: false, quiet: true, verbose: false, color: false });
    ui.info('progress');
    ui.result('result');
    ui.warn('careful');
    expect(out).toBe('result\n');
    expect(err).toBe('warning: careful\n');
  });
});

describe('updateSecret', () => {
  it('replaces one variable in place, keeps the rest, and leaves the file at 0600', async () => {
    const { mkdtemp, readFile, stat, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { updateSecret } = await import('../../src/config/secrets.js');
    const dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-secret-'));
    const file = path.join(dir, 'litellm.env');
    await writeFile(file, '# keys\nA=1\nMCPGW_KEY_X=sk-old\nB=2\n', { mode: 0o644 });
    await updateSecret(file, 'MCPGW_KEY_X', 'sk-new');
    await updateSecret(file, 'MCPGW_KEY_Y', 'sk-added');
    expect(await readFile(file, 'utf8')).toBe('# keys\nA=1\nMCPGW_KEY_X=sk-new\nB=2\nMCPGW_KEY_Y=sk-added\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
