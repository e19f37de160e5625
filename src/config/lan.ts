import { isIP } from 'node:net';

/** Suffixes that only resolve inside a LAN (RFC 6762, RFC 8375, common router defaults). */
const LAN_SUFFIXES = ['.lan', '.local', '.home.arpa', '.internal', '.localdomain', '.home', '.intranet', '.corp', '.localhost'];

/** True for loopback, RFC 1918, link-local, CGNAT and IPv6 ULA/link-local addresses, and for 0.0.0.0 / ::. */
export function isPrivateAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (version === 6) {
    const lower = address.toLowerCase();
    return lower === '::' || lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
  }
  return false;
}

/** A name clients on the LAN use: an IP in a private range, a single-label host, or a LAN-only suffix. */
export function isLanHost(host: string): boolean {
  if (isIP(host)) return isPrivateAddress(host);
  const lower = host.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || !lower.includes('.')) return true;
  return LAN_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}
