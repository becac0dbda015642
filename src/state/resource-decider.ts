import { UserError } from '../lib/errors.ts';
import { resourceSetProblem } from '../lib/resources.ts';
import type { ResourceValues, RunSettings } from '../lib/run-settings.ts';
import type { DomainEvent } from './events.ts';

export type ResourceKind = 'limit' | 'reserve';

export type ResourceCommand =
  | { type: 'set'; kind: ResourceKind; processType: string; values: ResourceValues }
  | { type: 'clear'; kind: ResourceKind; processType?: string };

/** `resource:limit|reserve[-clear]` as a pure decision on the run settings of the app (or the global ones). */
export function decideResources(command: ResourceCommand, doc: RunSettings): DomainEvent[] {
  const table = command.kind === 'limit' ? doc.limits : doc.reservations;
  if (command.type === 'set') {
    const merged = { ...(table[command.processType] ?? {}), ...command.values };
    const problem = resourceSetProblem(merged);
    if (problem) throw new UserError(problem);
    const changed = Object.fromEntries(Object.entries(command.values).filter(([k, v]) => table[command.processType]?.[k as keyof ResourceValues] !== v));
    return Object.keys(changed).length ? [{ type: 'ResourceSet', data: { kind: command.kind, processType: command.processType, values: changed } }] : [];
  }
  const has = command.processType === undefined ? Object.keys(table).length > 0 : command.processType in table;
  return has ? [{ type: 'ResourceCleared', data: { kind: command.kind, ...(command.processType !== undefined ? { processType: command.processType } : {}) } }] : [];
}
