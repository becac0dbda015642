import type { Command } from 'cac';

/** Decides whether the parsed call may run; throws a UserError to refuse it (entry/session.ts `keyGuard`). */
export interface Authorize {
  (command: Command, args: string[], options: Record<string, unknown>): Promise<void>;
  /** A plugin's command: `appArg` is the position its plugin.toml gives the app argument, if it gives one. */
  plugin(command: string, args: string[], appArg: number | undefined): Promise<void>;
}
