import { checkDockerOption } from '../lib/docker-options.ts';
import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';
import type { DockerPhase, RunSettings } from '../lib/run-settings.ts';
import type { DomainEvent } from './events.ts';

/** `docker-options:add|remove|clear` as a pure decision on the app's run settings. */
export type DockerOptionsCommand =
  | { type: 'add'; phases: DockerPhase[]; option: string }
  | { type: 'remove'; phases: DockerPhase[]; option: string }
  | { type: 'clear'; phases: DockerPhase[] };

/** A cap on each phase's list: options are typed by people, a thousand is already unreadable. */
export const MAX_OPTIONS_PER_PHASE = 100;

export function decideDockerOptions(command: DockerOptionsCommand, doc: RunSettings): DomainEvent[] {
  const lists = doc.dockerOptions;
  switch (command.type) {
    case 'add': {
      // Checked again here (the access check already parsed it for tenants): unknown flags and bad values are refused by name.
      checkDockerOption(command.option, command.phases, false);
      const phases = command.phases.filter((p) => !lists[p].includes(command.option));
      for (const p of phases) if (lists[p].length >= MAX_OPTIONS_PER_PHASE) throw new UserError(`The ${p} phase already has ${MAX_OPTIONS_PER_PHASE} docker options: remove some first`);
      return phases.length ? [{ type: 'DockerOptionAdded', data: { phases, option: command.option } }] : [];
    }
    case 'remove': {
      const phases = command.phases.filter((p) => lists[p].includes(command.option));
      if (phases.length === 0) throw new UserError(`Docker option '${printable(command.option)}' is not set for ${command.phases.join(',')}`);
      return [{ type: 'DockerOptionRemoved', data: { phases, option: command.option } }];
    }
    case 'clear': {
      const phases = command.phases.filter((p) => lists[p].length > 0);
      return phases.length ? [{ type: 'DockerOptionsCleared', data: { phases } }] : [];
    }
  }
}
