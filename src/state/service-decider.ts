import { UserError } from '../lib/errors.ts';
import type { DomainEvent } from './events.ts';
import type { ServiceRow } from './service-queries.ts';

/**
 * Decisions for one service's stream. Pure: the state is the service's row (absent before it is
 * created) and the apps it is linked to.
 */

export interface ServiceState {
  service?: ServiceRow;
  linkedApps: string[];
}

export type ServiceCommand =
  | { type: 'create'; kind: string; name: string; image: string; password: string; memory?: string; shmSize?: string; clonedFrom?: string }
  | { type: 'destroy'; dataRemoved: boolean }
  | { type: 'stop' }
  | { type: 'start' }
  | { type: 'restart' }
  | { type: 'expose'; ports: number[] }
  | { type: 'unexpose' }
  | { type: 'upgrade'; image: string }
  | { type: 'imported'; bytes: number; sha256: string }
  | { type: 'exported'; bytes: number; sha256: string; file?: string }
  | { type: 'backup-schedule'; schedule: string; keep: number }
  | { type: 'backup-unschedule' };

export function decideService(command: ServiceCommand, state: ServiceState): DomainEvent[] {
  if (command.type === 'create') {
    if (state.service) throw new UserError(`${command.kind} service ${command.name} already exists`);
    const { type: _t, ...data } = command;
    return [{ type: 'ServiceCreated', data }];
  }
  const s = state.service;
  if (!s) throw new UserError('Service does not exist');
  const label = `${s.kind} service ${s.name}`;
  switch (command.type) {
    case 'destroy':
      if (state.linkedApps.length) throw new UserError(`Cannot destroy ${label}: it is linked to ${state.linkedApps.join(', ')} (unlink it first)`);
      return [{ type: 'ServiceDestroyed', data: { kind: s.kind, name: s.name, dataRemoved: command.dataRemoved } }];
    case 'stop':
      return s.stopped ? [] : [{ type: 'ServiceStopped', data: {} }];
    case 'start':
      return s.stopped ? [{ type: 'ServiceStarted', data: {} }] : [];
    case 'restart':
      return [...(s.stopped ? [{ type: 'ServiceStarted' as const, data: {} }] : []), { type: 'ServiceRestarted', data: {} }];
    case 'expose':
      if (s.exposed.length) throw new UserError(`${label} is already exposed on port ${s.exposed.join(', ')} (unexpose it first)`);
      return [{ type: 'ServiceExposed', data: { ports: command.ports } }];
    case 'unexpose':
      if (!s.exposed.length) throw new UserError(`${label} is not exposed`);
      return [{ type: 'ServiceUnexposed', data: {} }];
    case 'upgrade':
      if (command.image === s.image) throw new UserError(`${label} already runs ${s.image}`);
      return [{ type: 'ServiceUpgraded', data: { from: s.image, image: command.image } }];
    case 'imported':
      return [{ type: 'ServiceImported', data: { bytes: command.bytes, sha256: command.sha256 } }];
    case 'exported':
      return [{ type: 'ServiceExported', data: { bytes: command.bytes, sha256: command.sha256, ...(command.file ? { file: command.file } : {}) } }];
    case 'backup-schedule':
      if (s.backupSchedule === command.schedule && s.backupKeep === command.keep) return [];
      return [{ type: 'ServiceBackupScheduled', data: { schedule: command.schedule, keep: command.keep } }];
    case 'backup-unschedule':
      if (!s.backupSchedule) throw new UserError(`${label} has no backup schedule`);
      return [{ type: 'ServiceBackupUnscheduled', data: {} }];
  }
}
