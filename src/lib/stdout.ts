/**
 * Bytes to a file descriptor with plain writes, every byte of them, waiting while a pipe is full:
 * a large archive on stdout (`backup:export -`) then goes at the reader's pace. Through the runtime's
 * stream a compiled Bun binary keeps what a slow reader has not taken yet in memory (a 300 MiB export
 * into a reader that waited 5 s peaked at 350 MiB; with these writes it stays at its usual size).
 */
import { writeSync } from 'node:fs';
import { UserError } from './errors.ts';

/** Writes all of `chunk` to `fd`; resolves at once when the descriptor took it, later when it had to wait. */
export function writeAll(fd: number, chunk: Uint8Array): Promise<void> | undefined {
  let done = 0;
  const attempt = (): boolean => {
    while (done < chunk.length) {
      try {
        done += writeSync(fd, chunk, done, chunk.length - done);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false; // a non-blocking pipe that is full
        if (code === 'EPIPE') throw new UserError('The reader of the output went away before all of it was written');
        throw err;
      }
    }
    return true;
  };
  if (attempt()) return undefined;
  return (async () => {
    do await new Promise((r) => setTimeout(r, 2));
    while (!attempt());
  })();
}
