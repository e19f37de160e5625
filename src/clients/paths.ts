import path from 'node:path';
import type { ClientPlace } from './types.js';

/**
 * A desktop application's per-user config directory: %APPDATA% on Windows, ~/Library/Application Support on
 * macOS, $XDG_CONFIG_HOME (default ~/.config) elsewhere.
 */
export function appConfigDir(place: ClientPlace, app: string): string {
  if (place.platform === 'win32') return path.join(place.env.APPDATA ?? path.join(place.home, 'AppData', 'Roaming'), app);
  if (place.platform === 'darwin') return path.join(place.home, 'Library', 'Application Support', app);
  return path.join(place.env.XDG_CONFIG_HOME ?? path.join(place.home, '.config'), app);
}
