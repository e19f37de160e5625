/** Docker multiplexes stdout/stderr of non-TTY containers into frames with an 8-byte header. */
export function demuxLogs(buffer: Buffer): string {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[offset + 1] === 0 && buffer[offset + 2] === 0 && buffer[offset + 3] === 0) {
    const length = buffer.readUInt32BE(offset + 4);
    out.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  if (offset < buffer.length) out.push(buffer.subarray(offset));
  return Buffer.concat(out).toString('utf8');
}
