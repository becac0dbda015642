/** One frame of Docker's multiplexed stream: 1 = stdout, 2 = stderr, an 8-byte header, then the bytes. */
export function frame(type: 1 | 2, text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
