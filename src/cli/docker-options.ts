import type { CAC } from 'cac';
import { UsageError } from '../lib/errors.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { knownDockerFlags, parsePhases } from '../lib/docker-options.ts';
import { DOCKER_PHASES } from '../lib/run-settings.ts';
import { validateAppName } from '../lib/validate.ts';
import { getRunSettings } from '../state/run-settings.ts';
import { decideDockerOptions, type DockerOptionsCommand } from '../state/docker-options-decider.ts';
import type { Context } from '../app/context.ts';
import { changeRunSettings } from '../app/run-settings.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import { restIsRaw } from './raw-rest.ts';

type Rest = { '--'?: string[] };

const FLAGS_HELP = knownDockerFlags()
  .map((f) => `${f.names.join('/')}${f.adminOnly ? ' (admin keys)' : ''}`)
  .join(', ');

/**
 * `docker-options:add|remove|clear|report`. As in Dokku, a change applies at the next deploy,
 * `ps:rebuild` or `ps:restart`; unlike Dokku, options are parsed by dokku (never passed to a
 * shell or the docker CLI), so a flag it does not know is refused when it is added.
 */
export function registerDockerOptions(cli: CAC, ctx: Context): void {
  const { io } = ctx;
  const change = async (app: string, command: DockerOptionsCommand, done: string) => {
    const events = await changeRunSettings(ctx, validateAppName(app), (doc) => decideDockerOptions(command, doc), { restart: false });
    io.out(step(events.length ? `${done}; it applies at the next deploy (or ps:rebuild)` : 'Nothing to change'));
  };

  const optionOf = (words: string[], opts: Rest): string => {
    const option = [...words, ...(opts['--'] ?? [])].join(' ');
    if (option === '') throw new UsageError('Missing the docker option');
    return option;
  };

  restIsRaw(cli
    .command('docker-options:add <app> <phases> [...option]', 'Add a container option for the phases (comma-separated: build, deploy, run); flags dokku does not know are refused')
    .usage(`docker-options:add <app> <phase(s)> OPTION   e.g. docker-options:add myapp deploy,run "--shm-size 256m"\n\nKnown flags: ${FLAGS_HELP}`)
    .action(async (app: string, phases: string, words: string[], opts: Rest) => {
      const option = optionOf(words, opts);
      await change(app, { type: 'add', phases: parsePhases(phases), option }, `Added ${option} to ${phases}`);
    }), 2);

  restIsRaw(cli
    .command('docker-options:remove <app> <phases> [...option]', 'Remove a container option from the phases (comma-separated)')
    .action(async (app: string, phases: string, words: string[], opts: Rest) => {
      const option = optionOf(words, opts);
      await change(app, { type: 'remove', phases: parsePhases(phases), option }, `Removed ${option} from ${phases}`);
    }), 2);

  cli
    .command('docker-options:clear <app> [phases]', 'Remove every container option of the phases (all phases when none is given)')
    .action(async (app: string, phases: string | undefined) => {
      const list = phases === undefined ? [...DOCKER_PHASES] : parsePhases(phases);
      await change(app, { type: 'clear', phases: list }, `Cleared docker options of ${list.join(',')}`);
    });

  cli
    .command('docker-options:report [app]', 'Show docker options (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      if (name === '') throw new UsageError('Empty app name');
      const { db } = await ctx.store();
      await printAppReports(ctx, db, { name, format }, 'docker options information', (app) => {
        const options = getRunSettings(db, app.id).dockerOptions;
        const fields: ReportFields = DOCKER_PHASES.map((p) => [`Docker options ${p}`, options[p].join(' ')]);
        return { fields };
      });
    });
}
