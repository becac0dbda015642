/**
 * A PostgreSQL service end to end, on the compiled binary against the real engine and a real nginx:
 * created from the image dokku builds from Debian's packages, linked to an app that writes rows
 * through HTTP, read back with the real psql, exported and imported into a second service, killed
 * and back, backed up by the real cron daemon, unlinked and rolled back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS, runBytes } from '../../helpers/cli.ts';
import { crashAndWaitRestart, uniqueName } from '../../helpers/docker.ts';
import { eventually } from '../../helpers/nginx.ts';
import { cgiScript, serviceWorld } from '../../helpers/service-app.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const copy = uniqueName('pgcopy');

// The app's CGI scripts use psql with the DATABASE_URL the link gives it.
const ADD = cgiScript(`psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS items (v text)" -c "INSERT INTO items VALUES ('$QUERY_STRING')" -c "SELECT count(*) FROM items" 2>&1`);
const COUNT = cgiScript('psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM items" 2>&1');
const ENV = cgiScript('echo "url=${DATABASE_URL:-none}"');

// Not linked yet: linking is what the tests check.
const w = serviceWorld('postgres', 'dokku/postgres:15', { add: ADD, count: COUNT, env: ENV }, { link: false });
w.also.push(copy);
const { root, app, service: db, image, dokku, ok } = w;
/** The binary with bytes on stdin (an import). */
const withInput = (input: Buffer, ...words: string[]) => runBytes(compiled, root, words, { env: w.nginx.env, input });
/** The real psql on the host against the exposed service. */
const psql = (port: number, password: string, database: string, sql: string) => {
  const r = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-qAt', '-c', sql], { env: { ...process.env, PGPASSWORD: password }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
};
const add = async (word: string) => (await eventually(() => w.get(`/cgi-bin/add?${word}`))).body;
/** Waits until the app reads `n` rows (after a restart the server takes a moment to answer). */
const untilCount = (n: number) =>
  eventually(async () => {
    const body = (await w.get('/cgi-bin/count')).body;
    if (body !== `${n}\n`) throw new Error(body);
    return body;
  }, 30_000);
const info = async (name: string) => JSON.parse((await ok('postgres:info', name, '--format', 'json')).stdout) as Record<string, string>;

describe('a postgres service', () => {
  it('is created running, on a network of its own, unpublished, with its data on the host', async () => {
    const i = await info(db);
    expect(i).toMatchObject({ status: 'running', links: '-', 'exposed-ports': '-', 'data-dir': join(root, 'lib', 'services', 'postgres', db, 'data') });
    expect(i.dsn).toMatch(new RegExp(`^postgres://postgres:[0-9a-f]{32}@dokku-postgres-${db}:5432/${db.replace(/-/g, '_')}$`));
    expect(i.version).toMatch(/^postgres \(PostgreSQL\) 15\./);
    expect(existsSync(join(i['data-dir']!, 'PG_VERSION'))).toBe(true);
    const c = await w.docker.getContainer(`dokku.postgres.${db}`).inspect();
    expect(Object.keys(c.NetworkSettings.Networks)).toEqual([`dokku.postgres.${db}`]);
    expect(c.HostConfig.PortBindings ?? {}).toEqual({});
    expect((await ok('postgres:list')).stdout.split('\n')).toContain(db);
    expect((await ok('postgres:info', db, '--status')).stdout).toBe('running\n');
  });

  it('link gives the app DATABASE_URL in a new release, and the app writes rows through nginx', async () => {
    const linked = await ok('postgres:link', db, app);
    expect(linked.stdout).toMatch(/Setting config vars[\s\S]*DATABASE_URL/);
    expect((await ok('config:get', app, 'DATABASE_URL')).stdout.trim()).toBe((await info(db)).dsn);
    expect((await ok('config:get', app, `DOKKU_POSTGRES_${db.toUpperCase().replace(/-/g, '_')}_URL`)).stdout.trim()).toBe((await info(db)).dsn);
    const releases = JSON.parse((await ok('releases', app, '--format', 'json')).stdout) as Array<{ version: number; description: string }>;
    expect(releases[0]!.description).toBe(`Link postgres ${db}`);
    const diff = await ok('releases:diff', app, String(releases[1]!.version), String(releases[0]!.version));
    expect(diff.stdout).toContain(`+ link postgres ${db} as DATABASE`);
    expect(diff.stdout).toContain('+ config DATABASE_URL');
    // The first request may reach the previous release while it retires: it has no DATABASE_URL.
    await eventually(async () => {
      const body = (await w.get('/cgi-bin/env')).body;
      if (!body.startsWith('url=postgres://')) throw new Error(body);
    }, 20_000);
    expect(await add('apple')).toBe('1\n');
    expect(await add('pear')).toBe('2\n');
    expect((await ok('postgres:links', db)).stdout).toBe(`${app}\n`);
    expect((await ok('postgres:app-links', app)).stdout).toBe(`${db}\n`);
    expect((await dokku('postgres:linked', db, app)).code).toBe(0);
    const twice = await dokku('postgres:link', db, app);
    expect([twice.code, twice.stderr]).toEqual([1, ` !     postgres service ${db} is already linked to ${app}\n`]);
    const ghost = await dokku('postgres:link', db, 'no-such-app');
    expect([ghost.code, ghost.stderr]).toEqual([1, ' !     App no-such-app does not exist\n']);
  }, 120_000);

  it('expose publishes it on a host port, where the real psql reads the rows', async () => {
    const exposed = await ok('postgres:expose', db);
    const port = Number(/exposed on port (\d+)/.exec(exposed.stdout)![1]);
    const i = await info(db);
    expect(i['exposed-ports']).toBe(String(port));
    const password = /postgres:\/\/postgres:([^@]+)@/.exec(i.dsn!)![1]!;
    expect(psql(port, password, db.replace(/-/g, '_'), 'SELECT v FROM items ORDER BY v')).toBe('apple\npear');
    // The app still reaches it on its network after the container was made again.
    expect(await add('plum')).toBe('3\n');
    await ok('postgres:unexpose', db);
    expect((await info(db))['exposed-ports']).toBe('-');
  }, 120_000);

  it('export, then import into a second service, gives the same rows; garbage is refused and changes nothing', async () => {
    const r = runBytes(compiled, root, ['postgres:export', db], { env: w.nginx.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.subarray(0, 5).toString()).toBe('PGDMP');
    await ok('postgres:create', copy);
    const imported = withInput(r.stdout, 'postgres:import', copy);
    expect(imported.code, imported.stderr).toBe(0);
    const rows = await ok('postgres:enter', copy, 'psql', '-U', 'postgres', '-qAt', '-d', copy.replace(/-/g, '_'), '-c', 'SELECT v FROM items ORDER BY v');
    expect(rows.stdout).toBe('apple\npear\nplum\n');
    const garbage = withInput(Buffer.from('not a dump at all\n'), 'postgres:import', copy);
    expect([garbage.code, garbage.stderr]).toEqual([1, ' !     The input is not a postgres dump (it does not start with PGDMP): nothing was imported\n']);
    expect((await ok('postgres:enter', copy, 'psql', '-U', 'postgres', '-qAt', '-d', copy.replace(/-/g, '_'), '-c', 'SELECT count(*) FROM items')).stdout).toBe('3\n');
    // A dump cut short is refused by the restore itself, in one transaction: the rows stay.
    const cut = withInput(r.stdout.subarray(0, Math.floor(r.stdout.length / 2)), 'postgres:import', copy);
    expect(cut.code).toBe(1);
    expect((await ok('postgres:enter', copy, 'psql', '-U', 'postgres', '-qAt', '-d', copy.replace(/-/g, '_'), '-c', 'SELECT count(*) FROM items')).stdout).toBe('3\n');
  }, 180_000);

  it('a server that dies is restarted by Docker with the app\'s data; after docker kill (a stop to Docker), ps:restore brings it back', async () => {
    const container = w.docker.getContainer(`dokku.postgres.${db}`);
    await crashAndWaitRestart(w.docker, `dokku.postgres.${db}`);
    expect(await untilCount(3)).toBe('3\n');
    expect(await add('fig')).toBe('4\n');
    // Docker 20.10 treats `docker kill` as a manual stop and does not restart it; the boot-time converge does.
    await container.kill();
    await eventually(async () => {
      if ((await container.inspect()).State.Running) throw new Error('still running');
    });
    const restored = await ok('ps:restore');
    expect(restored.stdout).toContain(`Starting postgres service ${db}`);
    expect((await container.inspect()).State.Running).toBe(true);
    expect(await untilCount(4)).toBe('4\n');
    expect(await add('date')).toBe('5\n');
  }, 120_000);

  it('logs show the server\'s output; restart keeps the data', async () => {
    const logs = await ok('postgres:logs', db, '50');
    expect(logs.stdout + logs.stderr).toContain('database system is ready to accept connections');
    await ok('postgres:restart', db);
    expect(await untilCount(5)).toBe('5\n');
    const events = JSON.parse((await ok('events', '--format', 'json', '-n', '500')).stdout) as Array<{ type: string }>;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['ServiceCreated', 'ServiceLinked', 'ServiceExposed', 'ServiceUnexposed', 'ServiceExported', 'ServiceImported', 'ServiceRestarted']));
  }, 90_000);

  it('export of a stopped service is refused; start brings it back', async () => {
    await ok('postgres:stop', db);
    expect((await info(db)).status).toBe('exited');
    const r = await dokku('postgres:export', db);
    expect([r.code, r.stderr]).toEqual([1, ` !     Postgres service ${db} is not running (postgres:start ${db} first)\n`]);
    await ok('postgres:start', db);
    expect((await info(db)).status).toBe('running');
  }, 90_000);

  it('backup-schedule puts a line in the crontab, and the real cron daemon writes a dump', async () => {
    const crontab = () => spawnSync('crontab', ['-l'], { encoding: 'utf8' }).stdout;
    await ok('postgres:backup-schedule', db, '* * * * *', '--keep', '2');
    const line = (await ok('postgres:backup-schedule-cat', db)).stdout.trim();
    expect(line).toMatch(new RegExp(`^\\* \\* \\* \\* \\* .* postgres:backup '${db}' >> `));
    expect(crontab()).toContain(line);
    const dir = join(root, 'lib', 'data', 'backups', 'postgres', db);
    const dumps = await eventually(async () => {
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pgdump')) : [];
      if (!files.length) throw new Error('no backup yet');
      return files;
    }, 125_000);
    expect(readFileSync(join(dir, dumps[0]!)).subarray(0, 5).toString()).toBe('PGDMP');
    // By hand too, and only the newest --keep stay.
    for (let i = 0; i < 3; i++) await ok('postgres:backup', db);
    expect(readdirSync(dir).filter((f) => f.endsWith('.pgdump')).length).toBe(2);
    await ok('postgres:backup-unschedule', db);
    expect(crontab()).not.toContain(line);
  }, 180_000);

  it('destroy is refused while linked; unlink takes the URL out; a rollback to the link puts it back', async () => {
    const refused = await dokku('postgres:destroy', db, '--force');
    expect([refused.code, refused.stderr]).toEqual([1, ` !     Cannot destroy postgres service ${db}: it is linked to ${app} (unlink it first)\n`]);
    const linkedRelease = (JSON.parse((await ok('releases', app, '--format', 'json')).stdout) as Array<{ version: number; description: string }>).find((r) => r.description.startsWith('Link'))!;
    await ok('postgres:unlink', db, app);
    expect((await dokku('config:get', app, 'DATABASE_URL')).code).toBe(1);
    expect(await eventually(async () => {
      const body = (await w.get('/cgi-bin/env')).body;
      if (body !== 'url=none\n') throw new Error(body);
      return body;
    }, 20_000)).toBe('url=none\n');
    expect((await dokku('postgres:linked', db, app)).code).toBe(1);
    await ok('rollback', app, `v${linkedRelease.version}`);
    expect((await ok('postgres:links', db)).stdout).toBe(`${app}\n`);
    expect(await untilCount(5)).toBe('5\n');
    expect(await add('kiwi')).toBe('6\n');
    // Back to the release before the link: the URL is gone again, and the service stays.
    await ok('rollback', app, `v${linkedRelease.version - 1}`);
    expect((await ok('postgres:links', db)).stdout).toBe('');
    expect((await info(db)).status).toBe('running');
  }, 180_000);

  it('a linked app renamed still reaches it; destroyed, it leaves the service running and its network gone', async () => {
    const first = uniqueName('it-pg-ren');
    const renamed = `${first}-2`;
    await ok('apps:create', first);
    await ok('checks:disable', first);
    await ok('git:from-image', first, image);
    await ok('postgres:link', db, first);
    await ok('apps:rename', first, renamed);
    const count = await ok('run', renamed, 'sh', '-c', 'psql "$DATABASE_URL" -qAt -c "SELECT count(*) FROM items"');
    expect(count.stdout.trim()).toMatch(/^\d+$/);
    expect((await ok('postgres:links', db)).stdout).toContain(`${renamed}\n`);
    await ok('apps:destroy', renamed, '--force');
    expect((await ok('postgres:links', db)).stdout).not.toContain(renamed);
    await expect(w.docker.getNetwork(`dokku.app.${renamed}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(w.docker.getNetwork(`dokku.app.${first}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await info(db)).status).toBe('running');
  }, 180_000);

  it('create refuses a container of that name it did not make, and leaves it alone', async () => {
    const name = uniqueName('taken');
    const foreign = await w.docker.createContainer({ name: `dokku.postgres.${name}`, Image: 'dokku/postgres:15', Entrypoint: ['true'] });
    try {
      const r = await dokku('postgres:create', name);
      expect([r.code, r.stderr]).toEqual([1, ` !     A container named dokku.postgres.${name} already exists on this host: remove it first (docker rm -f)\n`]);
      expect((await foreign.inspect()).Id).toBe(foreign.id);
      expect((await dokku('postgres:exists', name)).code).toBe(1);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it('destroy without --force keeps the data; with --force says what it removes and removes it', async () => {
    const dir = join(root, 'lib', 'services', 'postgres', copy);
    const kept = await ok('postgres:destroy', copy);
    expect(kept.stdout).toContain(`Its data is kept in ${dir}/data`);
    expect(existsSync(join(dir, 'data', 'PG_VERSION'))).toBe(true);
    const again = await dokku('postgres:create', copy);
    expect([again.code, again.stderr]).toEqual([1, ` !     ${dir}/data holds data of an earlier postgres service named ${copy}: move it away, or remove it, first\n`]);
    await ok('postgres:create', uniqueName('tmp-pg')).then(async (r) => {
      const name = /created: (\S+)/.exec(r.stdout)![1]!;
      const gone = await ok('postgres:destroy', name, '--force');
      expect(gone.stdout).toContain(`Removing its data in ${join(root, 'lib', 'services', 'postgres', name)}`);
      expect(existsSync(join(root, 'lib', 'services', 'postgres', name))).toBe(false);
    });
  }, 180_000);
});
