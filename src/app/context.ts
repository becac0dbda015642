import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Settings } from '../lib/settings.ts';
import { openStateDatabase } from '../state/open.ts';
import { EventStore } from '../state/store.ts';
import type { Output } from '../lib/output.ts';

export interface Io extends Output {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdinIsTTY: boolean;
  /** Raw bytes on stdout (an archive); absent where only lines can be shown. */
  bytes?(data: Uint8Array): void;
}

/** What every command gets: settings, the acting user, output, and the state opened on first use. */
export interface Context {
  settings: Settings;
  actor: string;
  io: Io;
  store(): Promise<EventStore>;
  close(): void;
  /** Set for a call from a non-admin SSH key: the ids of the apps it may see (app/access.ts). */
  visibleApps?: Set<string>;
  /**
   * Set for a call from a non-admin SSH key (a tenant), by the access check before the command runs.
   * Commands ask it before honouring anything a tenant may not name (a server path, another app's
   * image, an ACME server, a wildcard domain): `refuse` appends only AccessDenied and throws.
   */
  tenant?: Tenant;
  /** A `:report`'s single-field flag (`ps:report web --deployed`), set by the CLI before the command runs. */
  reportFlag?: string;
}

export interface Tenant {
  key: string;
  /** Records the refusal (one AccessDenied event) and throws the one-line UserError. */
  refuse(command: string, reason: string, app?: string): Promise<never>;
}

/** Refuses `what` to a tenant; admins and local callers pass. */
export async function forbidTenant(ctx: Context, command: string, reason: string, app?: string): Promise<void> {
  if (ctx.tenant) await ctx.tenant.refuse(command, reason, app);
}

/** The SSH forced command sets NAME to the key's name; a local user acts as themselves. */
export function resolveActor(env: NodeJS.ProcessEnv): string {
  if (env.NAME) return env.NAME;
  try {
    const name = userInfo().username;
    if (name && name !== 'unknown') return name;
  } catch {
    // no passwd entry through libc; fall through to reading the file
  }
  // Bun's compiled binaries cannot always resolve the user through libc; /etc/passwd says the same.
  const uid = process.getuid?.();
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    // no passwd file: use the numeric id
  }
  return env.USER || `uid:${uid ?? 'unknown'}`;
}

export function createContext(settings: Settings, env: NodeJS.ProcessEnv, io: Io): Context {
  let opened: Promise<EventStore> | undefined;
  let store: EventStore | undefined;
  return {
    settings,
    actor: resolveActor(env),
    io,
    store() {
      opened ??= (async () => {
        const db = await openStateDatabase(settings.dbPath);
        store = new EventStore(db);
        return store;
      })();
      return opened;
    },
    close() {
      store?.db.close();
    },
  };
}
