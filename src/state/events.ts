/** The event catalogue: every fact the log can hold, with its payload. */
export type DomainEvent =
  | { type: 'AppCreated'; data: { name: string } }
  | { type: 'AppRenamed'; data: { from: string; to: string } }
  | { type: 'AppDestroyed'; data: { name: string } }
  | { type: 'AppLocked'; data: Record<string, never> }
  | { type: 'AppUnlocked'; data: Record<string, never> }
  | { type: 'ConfigSet'; data: { vars: Record<string, string> } }
  | { type: 'ConfigUnset'; data: { keys: string[] } };

export type EventType = DomainEvent['type'];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  position: number;
  stream: string;
  version: number;
  type: E['type'];
  data: E['data'];
  actor: string;
  at: string;
  hash: string;
}

export const GLOBAL_STREAM = 'global';
export const appStream = (id: string): string => `app/${id}`;
export const appIdOf = (stream: string): string | undefined =>
  stream.startsWith('app/') ? stream.slice(4) : undefined;
