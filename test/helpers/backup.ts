import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

/** The SQL dump inside an mcpgw backup (everything after its manifest line), to build test archives from. */
export async function archiveDump(file: string): Promise<Buffer> {
  const sql = gunzipSync(await readFile(file));
  return sql.subarray(sql.indexOf(0x0a) + 1);
}
