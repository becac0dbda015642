import { describe, expect, it } from 'vitest';
import {
  BACKUP_FORMAT, entryPath, headProblem, manifestProblem, notEmptyRefusal, occupiedRefusal, parseEntryPath, parseManifest, renderManifest,
  type ArchiveEntry, type Manifest,
} from '../../../src/lib/backup-manifest.ts';

const ID = '0b6d3f3e-6c1a-4d6e-9f5b-1e2a3b4c5d6e';
const SHA = (c: string) => c.repeat(64);

describe('archive entry names', () => {
  const named: Array<[ArchiveEntry, string, 'file' | 'dir']> = [
    [{ kind: 'database' }, 'dokku.db', 'file'],
    [{ kind: 'manifest' }, 'manifest.json', 'file'],
    [{ kind: 'repo', app: 'web', path: '' }, 'git/web.git', 'dir'],
    [{ kind: 'repo', app: 'web', path: 'refs/heads' }, 'git/web.git/refs/heads', 'dir'],
    [{ kind: 'repo', app: 'web', path: 'objects/ab/cdef' }, 'git/web.git/objects/ab/cdef', 'file'],
    [{ kind: 'source', appId: ID }, `sources/${ID}.tar`, 'file'],
    [{ kind: 'cert', appId: ID, path: '' }, `certs/${ID}`, 'dir'],
    [{ kind: 'cert', appId: ID, path: 'server.key' }, `certs/${ID}/server.key`, 'file'],
    [{ kind: 'storage', entry: 'web-data', path: '' }, 'storage/web-data', 'dir'],
    [{ kind: 'storage', entry: 'web-data', path: 'uploads/a.png' }, 'storage/web-data/uploads/a.png', 'file'],
    [{ kind: 'image', appId: ID }, `images/${ID}.tar`, 'file'],
    [{ kind: 'service', serviceKind: 'postgres', name: 'db', file: 'export.pgdump' }, 'services/postgres/db/export.pgdump', 'file'],
    [{ kind: 'ssh', file: 'known_hosts' }, 'ssh/known_hosts', 'file'],
  ];

  it.each(named.map(([e, path, type]) => [path, e, type] as const))('%s is read back as what wrote it', (path, e, type) => {
    expect(entryPath(e)).toBe(path);
    expect(parseEntryPath(path, type)).toEqual(e);
  });

  it('knows the dump file of each service kind', () => {
    expect(parseEntryPath('services/redis/cache/export.rdb', 'file')).toMatchObject({ kind: 'service', serviceKind: 'redis' });
    expect(() => parseEntryPath('services/redis/cache/export.pgdump', 'file')).toThrow(/a redis dump is named export\.rdb/);
  });

  const refused: Array<[string, 'file' | 'dir', RegExp]> = [
    ['etc/passwd', 'file', /does not restore: etc\/passwd$/],
    ['git', 'dir', /does not restore: git$/],
    ['git/web.git/../../x', 'file', /'\.\.'/],
    ['git/Web.git/HEAD', 'file', /Invalid app name 'Web'/],
    ['git/web/HEAD', 'file', /a repository is named <app>\.git/],
    ['git/web.git', 'file', /a repository is a directory/],
    ['sources/web.tar', 'file', /not an app id/],
    [`sources/${ID}.tar`, 'dir', /does not restore/],
    [`sources/${ID}.tar/x`, 'file', /does not restore/],
    [`certs/${ID}/sub/server.crt`, 'file', /does not restore/],
    ['storage/../x', 'dir', /Invalid storage name/],
    ['storage/data', 'file', /a storage entry is a directory/],
    ['services/mysql/db/dump', 'file', /no service kind mysql/],
    ['services/postgres/Bad_Name/postgres.dump', 'file', /Invalid service name/],
    ['ssh/authorized_keys', 'file', /does not restore: ssh\/authorized_keys$/],
    ['dokku.db', 'dir', /does not restore: dokku\.db$/],
  ];
  it.each(refused)('refuses %s (%s)', (path, type, message) => {
    expect(() => parseEntryPath(path, type)).toThrow(message);
  });
});

const manifest = (over: Partial<Manifest> = {}): Manifest => ({
  format: BACKUP_FORMAT,
  dokkuVersion: '0.1.0',
  createdAt: '2026-12-02T10:00:00.000Z',
  head: { position: 12, hash: SHA('a') },
  events: 12,
  dirs: ['storage/data'],
  files: [
    { path: 'dokku.db', size: 4096, sha256: SHA('b') },
    { path: 'storage/data/f.txt', size: 3, sha256: SHA('c') },
  ],
  ...over,
});

const seen = (files: Array<[string, number, string]>, dirs: string[]) => ({ files: new Map(files.map(([p, size, sha256]) => [p, { size, sha256 }])), dirs: new Set(dirs) });
const whole = () => seen([['dokku.db', 4096, SHA('b')], ['storage/data/f.txt', 3, SHA('c')]], ['storage/data']);

describe('the manifest', () => {
  it('round-trips through its JSON', () => {
    expect(parseManifest(renderManifest(manifest()))).toEqual(manifest());
  });

  it('agrees with an archive holding exactly its entries', () => {
    expect(manifestProblem(manifest(), whole())).toBeUndefined();
  });

  it('names the first entry that differs', () => {
    const s = whole();
    s.files.set('storage/data/f.txt', { size: 3, sha256: SHA('d') });
    expect(manifestProblem(manifest(), s)).toMatch(/^storage\/data\/f\.txt does not match its checksum in the manifest \(sha256 dddddddddddd…, expected cccccccccccc…\)$/);
    s.files.set('storage/data/f.txt', { size: 4, sha256: SHA('c') });
    expect(manifestProblem(manifest(), s)).toMatch(/f\.txt does not match its checksum/);
    s.files.delete('storage/data/f.txt');
    expect(manifestProblem(manifest(), s)).toBe('storage/data/f.txt is listed in the manifest but missing from the archive');
    const extra = whole();
    extra.files.set('storage/data/g.txt', { size: 1, sha256: SHA('e') });
    expect(manifestProblem(manifest(), extra)).toBe('storage/data/g.txt is in the archive but not in its manifest');
    const noDir = whole();
    noDir.dirs.clear();
    expect(manifestProblem(manifest(), noDir)).toBe('storage/data/ is listed in the manifest but missing from the archive');
    const extraDir = whole();
    extraDir.dirs.add('storage/more');
    expect(manifestProblem(manifest(), extraDir)).toBe('storage/more/ is in the archive but not in its manifest');
  });

  it('must list a database, and each file once', () => {
    expect(manifestProblem(manifest({ files: [{ path: 'x', size: 0, sha256: SHA('0') }] }), seen([['x', 0, SHA('0')]], []))).toBe('The archive has no dokku.db');
    const twice = manifest({ files: [...manifest().files, manifest().files[1]!] });
    expect(manifestProblem(twice, whole())).toBe('The manifest lists a file twice');
  });

  it('refuses what backup:export does not write, and a later format by name', () => {
    expect(() => parseManifest('nope')).toThrow(/^The archive's manifest\.json is not one backup:export writes: not JSON/);
    expect(() => parseManifest('[]')).toThrow(/not an object/);
    expect(() => parseManifest(JSON.stringify({ ...manifest(), head: { position: 1, hash: 'short' } }))).toThrow(/no head/);
    expect(() => parseManifest(JSON.stringify({ ...manifest(), files: [{ path: 'dokku.db', size: -1, sha256: SHA('b') }] }))).toThrow(/a file entry without path, size and sha256/);
    expect(() => parseManifest(JSON.stringify({ ...manifest(), format: BACKUP_FORMAT + 1, dokkuVersion: '9.0.0' }))).toThrow(
      `The archive is of backup format ${BACKUP_FORMAT + 1}, written by a newer dokku (9.0.0); this dokku reads format ${BACKUP_FORMAT}. Upgrade dokku to import it.`,
    );
  });

  it('holds the head of the log the archive carries', () => {
    expect(headProblem(manifest(), { position: 12, hash: SHA('a') })).toBeUndefined();
    expect(headProblem(manifest(), { position: 11, hash: SHA('f') })).toBe('The event log in the archive ends at 11 ffffffffffff…, but its manifest says 12 aaaaaaaaaaaa…');
  });
});

describe('refusals before anything is written', () => {
  it('an import goes onto an empty platform, or over one with --force', () => {
    expect(notEmptyRefusal({ apps: 0, services: 0, events: 0 }, false)).toBeUndefined();
    expect(notEmptyRefusal({ apps: 2, services: 1, events: 57 }, false)).toBe('The platform is not empty (2 apps, 1 service, 57 events): import onto a fresh DOKKU_ROOT, or pass --force to replace it');
    // A log with only keys in it is a platform too.
    expect(notEmptyRefusal({ apps: 0, services: 0, events: 1 }, false)).toMatch(/0 apps, 0 services, 1 event\)/);
    expect(notEmptyRefusal({ apps: 2, services: 1, events: 57 }, true)).toBeUndefined();
  });

  it('nothing on disk or in Docker may be in the way', () => {
    expect(occupiedRefusal([], [], false)).toBeUndefined();
    expect(occupiedRefusal(['/var/lib/dokku/data/storage/web-data', '/home/dokku/web.git'], [], false)).toBe('/var/lib/dokku/data/storage/web-data already holds data (and 1 more): move it away, or pass --force to write over it');
    expect(occupiedRefusal([], ['dokku.postgres.db'], false)).toMatch(/^Docker already has container dokku\.postgres\.db of an app or service in the archive: remove it first/);
    expect(occupiedRefusal(['/x'], ['y'], true)).toBeUndefined();
  });
});
