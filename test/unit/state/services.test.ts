import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appStream, serviceStream, type DomainEvent, type ReleaseData, type ServiceLinkRef } from '../../../src/state/events.ts';
import { decideRelease } from '../../../src/state/release-decider.ts';
import { getRelease, loadReleaseState, releaseContext } from '../../../src/state/release-queries.ts';
import { decideService, type ServiceCommand } from '../../../src/state/service-decider.ts';
import { appLinks, findService, findServiceById, listServices, serviceLinks } from '../../../src/state/service-queries.ts';
import type { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

/** Services' decisions and projections, and links as the app's release events, on a real (in-memory) log. */

let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
});
afterEach(() => store.db.close());

const APP = 'a1';
const SVC = 's1';
const decideSvc = (c: ServiceCommand, id = SVC) => {
  const service = findServiceById(store.db, id);
  const events = decideService(c, { ...(service ? { service } : {}), linkedApps: service ? serviceLinks(store.db, id).map((l) => l.app) : [] });
  if (events.length) store.append(serviceStream(id), store.version(serviceStream(id)), events, 'admin');
  return events;
};
const decideApp = (c: Parameters<typeof decideRelease>[0]) => {
  const events = decideRelease(c, loadReleaseState(store.db, APP), releaseContext(store.db, APP));
  if (events.length) store.append(appStream(APP), store.version(appStream(APP)), events, 'admin');
  return events;
};

function deployedApp(): number {
  store.append(appStream(APP), 0, [{ type: 'AppCreated', data: { name: 'web' } }], 't');
  const result = { imageId: 'sha256:1', imageTag: 'dokku/web:1', builder: 'dockerfile' as const, processTypes: { web: 'x' }, exposedPorts: [5000], appJson: { healthchecks: {} }, seconds: 1 };
  decideApp({ type: 'build:start', source: 'archive' });
  decideApp({ type: 'build:succeed', build: 1, result });
  const [created] = decideApp({ type: 'release:from-build', build: 1, result }).filter((e) => e.type === 'ReleaseCreated');
  const v = (created!.data as ReleaseData).version;
  store.append(appStream(APP), store.version(appStream(APP)), [{ type: 'DeploySucceeded', data: { version: v, containers: [] } }], 't');
  return v;
}

const create = (name = 'db', id = SVC) => decideSvc({ type: 'create', kind: 'postgres', name, image: 'dokku/postgres:15', password: 'pw123456' }, id);
const link = (alias = 'DATABASE', id = SVC, name = 'db'): { events: DomainEvent[]; ref: ServiceLinkRef } => {
  const ref = { serviceId: id, kind: 'postgres', name, alias };
  const url = `postgres://postgres:pw123456@dokku-postgres-${name}:5432/${name}`;
  return { ref, events: decideApp({ type: 'service:link', link: ref, vars: { [`${alias}_URL`]: url, [`DOKKU_POSTGRES_${name.toUpperCase()}_URL`]: url }, restart: true }) };
};

describe('a service on its own stream', () => {
  it('is created once, by kind and name, and its row follows its events', () => {
    create();
    expect(() => create()).toThrow(/already exists/);
    expect(findService(store.db, 'postgres', 'db')).toMatchObject({ id: SVC, image: 'dokku/postgres:15', stopped: false, exposed: [] });
    decideSvc({ type: 'stop' });
    expect(decideSvc({ type: 'stop' })).toEqual([]);
    decideSvc({ type: 'expose', ports: [15432] });
    expect(() => decideSvc({ type: 'expose', ports: [15433] })).toThrow(/already exposed on port 15432/);
    decideSvc({ type: 'upgrade', image: 'postgres:16' });
    decideSvc({ type: 'backup-schedule', schedule: '0 3 * * *', keep: 5 });
    expect(findService(store.db, 'postgres', 'db')).toMatchObject({ stopped: true, exposed: [15432], image: 'postgres:16', backupSchedule: '0 3 * * *', backupKeep: 5 });
    decideSvc({ type: 'unexpose' });
    expect(() => decideSvc({ type: 'unexpose' })).toThrow(/not exposed/);
    decideSvc({ type: 'backup-unschedule' });
    expect(() => decideSvc({ type: 'backup-unschedule' })).toThrow(/no backup schedule/);
    expect(() => decideSvc({ type: 'upgrade', image: 'postgres:16' })).toThrow(/already runs/);
  });

  it('is refused to destroy while linked, and its links and grants go with it', () => {
    deployedApp();
    create();
    link();
    expect(() => decideSvc({ type: 'destroy', dataRemoved: false })).toThrow(/linked to web \(unlink it first\)/);
    decideApp({ type: 'service:unlink', serviceId: SVC, restart: false });
    store.append('access', store.version('access'), [{ type: 'ServiceAccessGranted', data: { key: 'bob', kind: 'postgres', name: 'db', serviceId: SVC } }], 'admin');
    decideSvc({ type: 'destroy', dataRemoved: true });
    expect(listServices(store.db)).toEqual([]);
    expect(store.db.prepare('SELECT count(*) AS n FROM service_grants').get<{ n: number }>()!.n).toBe(0);
  });
});

describe('links are the app\'s config and releases', () => {
  it('link sets both variables and deploys a release recording the link; a second link is refused', () => {
    const v = deployedApp();
    create();
    const { events, ref } = link();
    expect(events.map((e) => e.type)).toEqual(['ServiceLinked', 'ConfigSet', 'ReleaseCreated']);
    const release = events[2]!.data as ReleaseData;
    expect(release).toMatchObject({ version: v + 1, description: 'Link postgres db', links: [ref] });
    expect(release.env.DATABASE_URL).toBe('postgres://postgres:pw123456@dokku-postgres-db:5432/db');
    expect(getRelease(store.db, APP, v + 1)?.links).toEqual([ref]);
    expect(appLinks(store.db, APP)).toEqual([ref]);
    expect(() => link()).toThrow(/already linked/);
  });

  it('refuses an alias whose variable the app already has, and --no-restart records without a release', () => {
    deployedApp();
    create();
    create('other', 's2');
    link();
    expect(() => link('DATABASE', 's2', 'other')).toThrow(/DATABASE_URL is already set on the app: link with --alias/);
    const url = 'postgres://x';
    const quiet = decideApp({ type: 'service:link', link: { serviceId: 's2', kind: 'postgres', name: 'other', alias: 'REPORTING' }, vars: { REPORTING_URL: url }, restart: false });
    expect(quiet.map((e) => e.type)).toEqual(['ServiceLinked', 'ConfigSet']);
  });

  it('unlink unsets the link\'s variables; promote moves the kind\'s alias to another service', () => {
    deployedApp();
    create();
    create('other', 's2');
    link();
    link('REPORTING', 's2', 'other');
    const promoted = decideApp({ type: 'service:promote', link: { serviceId: 's2', kind: 'postgres', name: 'other', alias: 'DATABASE' }, vars: { DATABASE_URL: 'postgres://other', DOKKU_POSTGRES_OTHER_URL: 'postgres://other' } });
    expect(promoted.filter((e) => e.type === 'ServiceLinked').map((e) => e.data)).toEqual([
      { serviceId: SVC, kind: 'postgres', name: 'db', alias: '' },
      { serviceId: 's2', kind: 'postgres', name: 'other', alias: 'DATABASE' },
    ]);
    expect(loadReleaseState(store.db, APP).config.DATABASE_URL).toBe('postgres://other');
    const unlinked = decideApp({ type: 'service:unlink', serviceId: SVC, restart: true });
    expect(unlinked[1]).toEqual({ type: 'ConfigUnset', data: { keys: ['DOKKU_POSTGRES_DB_URL'] } });
    expect(() => decideApp({ type: 'service:unlink', serviceId: SVC, restart: true })).toThrow(/not linked/);
  });

  it('a rollback to a release before the link takes the URL and the link out; the service stays', () => {
    const v1 = deployedApp();
    create();
    link();
    store.append(appStream(APP), store.version(appStream(APP)), [{ type: 'DeploySucceeded', data: { version: v1 + 1, containers: [] } }], 't');
    const events = decideApp({ type: 'release:rollback', target: v1 });
    expect(events.map((e) => e.type)).toEqual(['ConfigUnset', 'ServiceUnlinked', 'ReleaseCreated']);
    const release = events.at(-1)!.data as ReleaseData;
    expect(release.env).not.toHaveProperty('DATABASE_URL');
    expect(release.links).toEqual([]);
    expect(appLinks(store.db, APP)).toEqual([]);
    expect(findService(store.db, 'postgres', 'db')).toBeDefined();
    // Forward again to the linked release: the link comes back with its URL.
    store.append(appStream(APP), store.version(appStream(APP)), [{ type: 'DeploySucceeded', data: { version: release.version, containers: [] } }], 't');
    const again = decideApp({ type: 'release:rollback', target: v1 + 1 });
    expect(again.map((e) => e.type)).toEqual(['ConfigSet', 'ServiceLinked', 'ReleaseCreated']);
    expect(appLinks(store.db, APP).map((l) => l.name)).toEqual(['db']);
  });

  it('rebuilding the projections from the log gives the same services, links and grants', () => {
    deployedApp();
    create();
    link();
    decideSvc({ type: 'expose', ports: [15000] });
    const before = [listServices(store.db), appLinks(store.db, APP)];
    store.rebuildProjections();
    expect([listServices(store.db), appLinks(store.db, APP)]).toEqual(before);
  });
});
