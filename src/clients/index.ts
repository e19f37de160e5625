import { claudeCode } from './claude-code.js';
import { claudeDesktop } from './claude-desktop.js';
import { codex } from './codex.js';
import { cursor } from './cursor.js';
import { gemini } from './gemini.js';
import { openWebui } from './openwebui.js';
import type { ClientFormat, ClientId } from './types.js';
import { vscode } from './vscode.js';

export const CLIENTS: Record<ClientId, ClientFormat> = {
  claude: claudeCode,
  gemini,
  codex,
  vscode,
  cursor,
  'claude-desktop': claudeDesktop,
  openwebui: openWebui,
};
