import { UserError } from '../lib/errors.ts';
import type { Output } from '../lib/output.ts';

/**
 * Acts on each app in turn for a command run over all of them (a boot-time restore, a daily
 * renewal): a UserError fails only that app, as one ` !     <app>: <reason>` line, and the rest
 * still get their turn; anything else is a fault and stops the run. The exit code is 1 when any
 * app failed.
 */
export async function forEachApp<T>(io: Output, items: readonly T[], nameOf: (item: T) => string, act: (item: T) => Promise<void>): Promise<number> {
  let failed = 0;
  for (const item of items) {
    try {
      await act(item);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      io.err(` !     ${nameOf(item)}: ${err.message.split('\n')[0]}`);
      failed++;
    }
  }
  return failed ? 1 : 0;
}
