import { UserError } from '../lib/errors.ts';
import type { Output } from '../lib/output.ts';

/**
 * Acts on each app in turn for a command run over all of them (a boot-time restore, a daily
 * renewal): a UserError fails only that app, as one ` !     <app>: <reason>` line, and the rest
 * still get their turn; anything else is a fault and stops the run. The exit code is 1 when any
 * app failed.
 */
export async function forEachApp<T>(
  io: Output,
  items: readonly T[],
  nameOf: (item: T) => string,
  act: (item: T) => Promise<void>,
  parallel = 1,
): Promise<number> {
  let failed = 0;
  let next = 0;
  // `parallel` workers take the next app in turn (`ps:restart --all --parallel 4`).
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await act(item);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        io.err(` !     ${nameOf(item)}: ${err.message.split('\n')[0]}`);
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  return failed ? 1 : 0;
}
