import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';

/**
 * Backups are signed: an HMAC-SHA256, keyed by a secret only the secrets file holds, over the dump and the
 * manifest. The manifest's sha256 shows a file is intact, but anyone can recompute it for a dump they wrote;
 * the HMAC shows the file came from an mcpgw holding this stack's key. No service of the stack ever sees the key.
 */
export const BACKUP_KEY_SECRET = 'MCPGW_BACKUP_KEY';

/**
 * Names a key without revealing it, so a refusal can say "signed with another key" rather than just
 * "does not match". Derived with the HMAC itself, in a separate domain from the signature.
 */
export function backupKeyId(key: string): string {
  return createHmac('sha256', key).update('mcpgw-backup-key-id').digest('hex').slice(0, 12);
}

/** Signature = HMAC(key, domain ‖ dump ‖ "\n" ‖ manifest JSON without its auth): fed the dump as it streams. */
export function startSignature(key: string): Hmac {
  return createHmac('sha256', key).update('mcpgw-backup-hmac-v1\n');
}

export function finishSignature(hmac: Hmac, unsignedManifestJson: string): string {
  return hmac.update(`\n${unsignedManifestJson}`).digest('hex');
}

export function sameSignature(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a, 'hex'), Buffer.from(b, 'hex')];
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
