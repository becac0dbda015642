/**
 * `bun test/helpers/stdout-run.ts MIB`: writes MIB mebibytes of a counting pattern to fd 1 with
 * lib/stdout.ts's writeAll, chunk by chunk as an export does, then says on stderr how it ended.
 */
import { writeAll } from '../../src/lib/stdout.ts';

const mib = Number(process.argv[2]);
const chunk = Buffer.alloc(1024 * 1024);
try {
  for (let i = 0; i < mib; i++) {
    chunk.fill(i & 0xff);
    await writeAll(1, chunk);
  }
  process.stderr.write('written\n');
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
}
