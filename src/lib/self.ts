import { resolve } from 'node:path';

/**
 * How to run this same program again from a hook or an SSH forced command: the compiled binary
 * alone, or the runtime with the script (`node dist/dokku.mjs`, `bun src/main.ts`). Absolute paths.
 */
export function selfCommand(argv: readonly string[] = process.argv, execPath: string = process.execPath): string[] {
  const script = argv[1];
  // A Bun-compiled binary reports its embedded entry under a virtual root.
  if (script === undefined || script.startsWith('/$bunfs/') || script.startsWith('B:/~BUN/') || resolve(script) === execPath) return [execPath];
  return [execPath, resolve(script)];
}
