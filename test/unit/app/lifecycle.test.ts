import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { destroyApp, renameApp, type AppReaction, type Lifecycle } from '../../../src/app/lifecycle.ts';
import { UserError } from '../../../src/lib/errors.ts';
import type { Database } from '../../../src/state/db.ts';
import { appStream, type DomainEvent } from '../../../src/state/events.ts';
import { appFootprint } from '../../../src/state/footprint-queries.ts';
import { findApp } from '../../../src/state/queries.ts';
import type { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

let db: Database;
let store: EventStore;

beforeEach(async () => {
  store = await memoryStore();
  db = store.db;
});

afterEach(() => {
  db.close();
});

function createApp(name: string, more: DomainEvent[] = []): string {
  const id = randomUUID();
  store.append(appStream(id), 0, [{ type: 'AppCreated', data: { name } }, ...more], 'test');
  return id;
}

const eventTypes = (id: string) => store.read(appStream(id)).map((e) => e.type);

/**
 * What the adapters hold, by name, as a few in-memory reactions keep it: a vhost, containers and a
 * repository per app name. A reaction logs what it did, whether the event was recorded by then, and
 * which locks were held.
 */
function world(names: string[]) {
  const held = new Set<string>();
  const log: string[] = [];
  const things = new Map<string, Set<string>>([
    ['vhost', new Set(names)],
    ['containers', new Set(names)],
    ['repo', new Set(names)],
  ]);
  const failing = new Set<string>();
  const unfinished = new Map<string, string[]>();
  const reaction = (kind: string): AppReaction => ({
    name: kind,
    async destroyed(gone) {
      log.push(`${kind} destroyed ${gone.app.name} recorded=${findApp(db, gone.app.name) === undefined} locks=${[...held].join(',')}`);
      if (failing.has(kind)) throw new Error(`${kind} is down\nsecond line`);
      for (const n of gone.names) things.get(kind)!.delete(n);
    },
    async renamed(app, from) {
      log.push(`${kind} renamed ${from}->${app.name} locks=${[...held].sort().join(',')}`);
      if (failing.has(kind)) throw new Error(`${kind} is down`);
      if (things.get(kind)!.delete(from)) things.get(kind)!.add(app.name);
    },
  });
  const lifecycle: Lifecycle = {
    store,
    actor: 'test',
    reactions: ['vhost', 'containers', 'repo'].map(reaction),
    async lock(_app, name) {
      if (held.has(name)) throw new UserError(`${name} is already being deployed`);
      held.add(name);
      return { release: () => held.delete(name) };
    },
    unfinished: {
      has: (id) => unfinished.has(id),
      set: (id, failed) => (failed.length ? unfinished.set(id, failed) : unfinished.delete(id)),
    },
  };
  return { lifecycle, log, things, failing, held, unfinished };
}

describe('destroyApp', () => {
  it('records AppDestroyed, then runs every reaction in order under the deploy lock', async () => {
    const id = createApp('web');
    const w = world(['web']);
    expect(await destroyApp(w.lifecycle, 'web')).toEqual([]);
    expect(eventTypes(id)).toEqual(['AppCreated', 'AppDestroyed']);
    expect(w.log).toEqual([
      'vhost destroyed web recorded=true locks=web',
      'containers destroyed web recorded=true locks=web',
      'repo destroyed web recorded=true locks=web',
    ]);
    expect(w.held.size).toBe(0);
    expect([...w.things.values()].every((s) => s.size === 0)).toBe(true);
  });

  it('reports a failing reaction by name, one line, while the others run; a re-run clears the rest without a second event', async () => {
    const id = createApp('web');
    const w = world(['web']);
    w.failing.add('containers');
    expect(await destroyApp(w.lifecycle, 'web')).toEqual([{ reaction: 'containers', message: 'containers is down' }]);
    expect(w.log.map((l) => l.split(' ')[0])).toEqual(['vhost', 'containers', 'repo']);
    expect(w.things.get('containers')).toEqual(new Set(['web']));
    expect(w.things.get('repo')).toEqual(new Set());
    expect(w.held.size).toBe(0);

    expect(w.unfinished.get(id)).toEqual(['containers']);

    w.failing.clear();
    expect(await destroyApp(w.lifecycle, 'web')).toEqual([]);
    expect(w.things.get('containers')).toEqual(new Set());
    expect(eventTypes(id)).toEqual(['AppCreated', 'AppDestroyed']);
    // Finished now: the name is an app that does not exist, as for any destroyed app.
    await expect(destroyApp(w.lifecycle, 'web')).rejects.toThrow(/^App web does not exist$/);
  });

  it('a destroyed app whose cleanup finished does not exist for a second destroy', async () => {
    createApp('web');
    const w = world(['web']);
    await destroyApp(w.lifecycle, 'web');
    w.log.length = 0;
    await expect(destroyApp(w.lifecycle, 'web')).rejects.toThrow(/^App web does not exist$/);
    expect(w.log).toEqual([]);
  });

  it('names the app that does not exist, and neither locks nor reacts', async () => {
    const w = world([]);
    await expect(destroyApp(w.lifecycle, 'nope')).rejects.toThrow(/^App nope does not exist$/);
    expect(w.log).toEqual([]);
  });

  it('a name taken again by a new app destroys the new one, not the old one again', async () => {
    const old = createApp('web');
    const w = world(['web']);
    await destroyApp(w.lifecycle, 'web');
    const fresh = createApp('web');
    await destroyApp(w.lifecycle, 'web');
    expect(eventTypes(old)).toEqual(['AppCreated', 'AppDestroyed']);
    expect(eventTypes(fresh)).toEqual(['AppCreated', 'AppDestroyed']);
  });

  it('a locked deploy refuses the destroy before anything is recorded', async () => {
    const id = createApp('web');
    const w = world(['web']);
    w.held.add('web');
    await expect(destroyApp(w.lifecycle, 'web')).rejects.toThrow(/already being deployed/);
    expect(eventTypes(id)).toEqual(['AppCreated']);
    expect(w.log).toEqual([]);
  });
});

describe('renameApp', () => {
  it('records AppRenamed, then moves everything under both names\' locks; nothing is left under the old name', async () => {
    const id = createApp('web');
    const w = world(['web']);
    expect(await renameApp(w.lifecycle, 'web', 'www')).toEqual([]);
    expect(eventTypes(id)).toEqual(['AppCreated', 'AppRenamed']);
    expect(w.log).toEqual(['vhost renamed web->www locks=web,www', 'containers renamed web->www locks=web,www', 'repo renamed web->www locks=web,www']);
    for (const s of w.things.values()) expect(s).toEqual(new Set(['www']));
    expect(w.held.size).toBe(0);
  });

  it('a failed reaction is reported and the rest run; repeating the rename finishes it without a second event', async () => {
    const id = createApp('web');
    const w = world(['web']);
    w.failing.add('vhost');
    expect(await renameApp(w.lifecycle, 'web', 'www')).toEqual([{ reaction: 'vhost', message: 'vhost is down' }]);
    expect(w.things.get('vhost')).toEqual(new Set(['web']));
    expect(w.things.get('repo')).toEqual(new Set(['www']));
    w.failing.clear();
    expect(await renameApp(w.lifecycle, 'web', 'www')).toEqual([]);
    for (const s of w.things.values()) expect(s).toEqual(new Set(['www']));
    expect(eventTypes(id)).toEqual(['AppCreated', 'AppRenamed']);
    await expect(renameApp(w.lifecycle, 'web', 'www')).rejects.toThrow(/^App web does not exist$/);
  });

  it('the new name\'s lock refused after the event leaves the rename unfinished: a re-run does it', async () => {
    const id = createApp('web');
    const w = world(['web']);
    w.held.add('www');
    await expect(renameApp(w.lifecycle, 'web', 'www')).rejects.toThrow(/www is already being deployed/);
    expect(w.log).toEqual([]);
    expect(w.held).toEqual(new Set(['www']));
    w.held.clear();
    expect(await renameApp(w.lifecycle, 'web', 'www')).toEqual([]);
    for (const s of w.things.values()) expect(s).toEqual(new Set(['www']));
    expect(eventTypes(id)).toEqual(['AppCreated', 'AppRenamed']);
  });

  it('the decider refuses a taken name before any reaction, and the locks go', async () => {
    createApp('web');
    createApp('www');
    const w = world(['web', 'www']);
    await expect(renameApp(w.lifecycle, 'web', 'www')).rejects.toThrow(/^Name is already taken: www$/);
    await expect(renameApp(w.lifecycle, 'nope', 'fine')).rejects.toThrow(/^App nope does not exist$/);
    expect(w.log).toEqual([]);
    expect(w.held.size).toBe(0);
  });
});

describe('appFootprint', () => {
  it('reads names, release images and whether it built from the log, after the destroy too', async () => {
    const id = createApp('web', [
      { type: 'BuildStarted', data: { build: 1, source: 'image' } },
      { type: 'AppRenamed', data: { from: 'web', to: 'www' } },
    ]);
    const other = createApp('plain');
    const w = world([]);
    await destroyApp(w.lifecycle, 'www');
    const gone = appFootprint(db, id)!;
    expect(gone.app.name).toBe('www');
    expect(new Set(gone.names)).toEqual(new Set(['web', 'www']));
    expect(gone.built).toBe(true);
    expect(appFootprint(db, other)!.built).toBe(false);
    // An earlier name another app holds now is not this app's to clear.
    createApp('web');
    expect(appFootprint(db, id)!.names).toEqual(['www']);
  });
});
