import path from 'node:path';
import type { ClientRequest } from './types.js';

/**
 * A desktop application's per-user config directory: %APPDATA% on Windows, ~/Library/Application Support on
 * macOS, $XDG_CONFIG_HOME (default ~/.config) elsewhere.
 */
export function appConfigDir(request: ClientRequest, app: string): string {
  if (request.platform === 'win32') return path.join(request.env.APPDATA ?? path.join(request.home, 'AppData', 'Roaming'), app);
  if (request.platform === 'darwin') return path.join(request.home, 'Library', 'Application Support', app);
  return path.join(request.env.XDG_CONFIG_HOME ?? path.join(request.home, '.config'), app);
}
