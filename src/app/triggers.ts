import { UserError } from '../lib/errors.ts';
import { detail } from '../lib/output.ts';
import { TRIGGERS, type TriggerName } from '../lib/plugin-triggers.ts';
import { selfCommand } from '../lib/self.ts';
import type { Settings } from '../lib/settings.ts';
import { pluginDirs } from '../plugins/dirs.ts';
import { runTrigger } from '../plugins/run.ts';

/**
 * The seam plugins act through: a use case fires a trigger by name (lib/plugin-triggers.ts is the
 * table), every enabled plugin that has it runs in order, and what a failure does is the table's
 * word: `aborts` throws `PluginFailed` (the use case stops before its next step), `warns` prints one
 * ` !` line and the step stands.
 */
export interface Triggers {
  /** Fires `name`; returns what the plugins printed when the table says dokku reads it. */
  fire(name: TriggerName, args: readonly string[], onLine?: (line: string) => void): Promise<string>;
}

/** A plugin's trigger exited non-zero where that stops the step: its name, the code, its last lines. */
export class PluginFailed extends UserError {
  constructor(readonly trigger: string, readonly plugin: string, readonly code: number, tail: readonly string[]) {
    super([`${trigger} trigger of plugin ${plugin} exited with ${code}`, ...tail.slice(-5).map((l) => detail(l))].join('\n'));
  }
}

export const noTriggers: Triggers = { fire: async () => '' };

/** The triggers of the plugins installed under the settings' `$DOKKU_LIB_ROOT`, output to `onLine`. */
export function pluginTriggers(settings: Settings, onLine: (line: string) => void): Triggers {
  const dirs = pluginDirs(settings);
  return {
    async fire(name, args, lineTo = onLine) {
      const spec = TRIGGERS[name];
      const outcome = await runTrigger(dirs, name, args, { capture: spec.output === 'captured', onLine: lineTo, self: selfCommand() });
      const f = outcome.failed;
      if (f && spec.failure === 'aborts') throw new PluginFailed(name, f.plugin, f.code, f.tail);
      if (f) lineTo(` !     ${name} trigger of plugin ${f.plugin} exited with ${f.code}; carrying on`);
      return outcome.stdout;
    },
  };
}

/** Fires any trigger by name (`plugin:trigger`), its output shown, its exit code the first failure's. */
export async function fireByName(settings: Settings, name: string, args: readonly string[], onLine: (line: string) => void, onErrorLine: (line: string) => void): Promise<number> {
  const outcome = await runTrigger(pluginDirs(settings), name, args, { capture: false, onLine, onErrorLine, self: selfCommand() });
  return outcome.failed?.code ?? 0;
}
