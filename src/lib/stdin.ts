/**
 * The one way input a user pipes in is read: all of it with a byte cap, into memory (a key, a
 * certificate, git's ref lines) or into a file (a source archive). The process's own stdin is read
 * with plain reads of file descriptor 0, never through the runtime's stream: in a compiled Bun
 * binary that stream could lose its end when first read late, and the command then saw nothing and
 * exited 0. Any other stream (a test's) is read as a stream.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { UserError } from './errors.ts';
import { formatBytes } from './read-capped.ts';

export interface InputCap {
  maxBytes: number;
  /** The refusal past the cap; by default "<What> is larger than <size>". */
  tooLarge?: () => Error;
  /** What the input is, for the default refusal ("a public key on stdin"). */
  what?: string;
}

type Source = NodeJS.ReadableStream;

function refusal(cap: InputCap): Error {
  if (cap.tooLarge) return cap.tooLarge();
  const what = cap.what ?? 'the input on stdin';
  return new UserError(`${what[0]!.toUpperCase()}${what.slice(1)} is larger than ${formatBytes(cap.maxBytes)}`);
}

/** Hands each chunk to `onChunk` until end of input; refuses (and stops reading) past the cap. */
async function eachChunk(source: Source, cap: InputCap, onChunk: (chunk: Buffer) => void): Promise<number> {
  let total = 0;
  const take = (chunk: Buffer) => {
    total += chunk.length;
    if (total > cap.maxBytes) throw refusal(cap);
    onChunk(chunk);
  };
  if (source !== process.stdin) {
    for await (const chunk of source) take(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return total;
  }
  const buf = Buffer.allocUnsafe(1024 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        await new Promise((r) => setTimeout(r, 5)); // a non-blocking pipe with nothing in it yet
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    take(buf.subarray(0, n));
  }
  return total;
}

/** All of the input, held in memory: for small inputs only (keys, certificates, ref lines). */
export async function readInput(source: Source, cap: InputCap): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Chunks from fd 0 share one buffer: copy each.
  await eachChunk(source, cap, (c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks);
}

/** Copies the input to `path` (mode 0600) chunk by chunk; resolves with the byte count. */
export async function copyInputToFile(source: Source, path: string, cap: InputCap): Promise<number> {
  const out = openSync(path, 'w', 0o600);
  try {
    return await eachChunk(source, cap, (c) => writeSync(out, c));
  } finally {
    closeSync(out);
  }
}
