/**
 * The third kind of service, MariaDB, which is one definition file (src/lib/services/mariadb.ts) and
 * nothing else: on the compiled binary against the real engine and a real nginx, an app writes rows
 * through the DATABASE_URL the link gave it, they survive a crash of the server, and a SQL export
 * imports into a second service.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli, runBytes } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, crashAndWaitRestart, uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { commitOnImage } from '../../helpers/test-image.ts';
import { viaNginx } from '../proxy/helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();
const root = makeRoot('dokku-mariadb-');
const app = uniqueName('it-maria');
const db = uniqueName('mdb');
const copy = uniqueName('mdbcopy');
const image = `dokku-test/it-maria:${Math.random().toString(36).slice(2, 8)}`;
let docker: Docker;
let nginx: TestNginx;
const dokku = (...words: string[]) => runCli(compiled, root, words, { env: nginx.env });
const ok = async (...words: string[]) => {
  const r = await dokku(...words);
  expectOk(r, words.join(' '));
  return r;
};
const rowsIn = async (service: string) =>
  (await ok('mariadb:enter', service, 'mariadb', '-u', 'root', '-N', service.replace(/-/g, '_'), '-e', 'SELECT v FROM items ORDER BY v')).stdout;

// mysql://USER:PASSWORD@HOST:PORT/DATABASE, as Dokku's plugin writes it, taken apart for the client.
const ADD = `#!/bin/sh
echo "Content-Type: text/plain"
echo
rest=\${DATABASE_URL#mysql://}
user=\${rest%%:*}; rest=\${rest#*:}
pass=\${rest%%@*}; rest=\${rest#*@}
host=\${rest%%:*}; rest=\${rest#*:}
port=\${rest%%/*}; name=\${rest#*/}
MYSQL_PWD=$pass mariadb -h "$host" -P "$port" -u "$user" -N "$name" -e "CREATE TABLE IF NOT EXISTS items (v TEXT); INSERT INTO items VALUES ('$QUERY_STRING'); SELECT count(*) FROM items" 2>&1
`;

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  nginx = await startNginx(nginxBin);
  await ok('mariadb:create', db);
  await commitOnImage(docker, 'dokku/mariadb:10.11', image, {
    'app/Procfile': { text: 'web: busybox httpd -f -p $PORT -h /www\n' },
    'www/index.html': { text: 'ok\n' },
    'www/cgi-bin/add': { text: ADD, mode: 0o755 },
  });
  await ok('apps:create', app);
  await ok('domains:add', app, `${app}.test`);
  await ok('checks:disable', app);
  await ok('git:from-image', app, image);
  await ok('mariadb:link', db, app);
}, 900_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  for (const s of [db, copy]) await dokku('mariadb:destroy', s, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  nginx?.stop();
  removeRoots();
}, 180_000);

describe('a mariadb service', () => {
  it('gives the app DATABASE_URL, and the app writes rows through nginx that survive a crash', async () => {
    expect((await ok('config:get', app, 'DATABASE_URL')).stdout.trim()).toMatch(new RegExp(`^mysql://mariadb:[0-9a-f]{32}@dokku-mariadb-${db}:3306/${db.replace(/-/g, '_')}$`));
    const add = async (word: string) =>
      eventually(async () => {
        const body = (await viaNginx(nginx.httpPort, `${app}.test`, `/cgi-bin/add?${word}`)).body;
        if (!/^\d+\n$/.test(body)) throw new Error(body);
        return body;
      }, 20_000);
    expect(await add('apple')).toBe('1\n');
    expect(await add('pear')).toBe('2\n');
    await crashAndWaitRestart(docker, `dokku.mariadb.${db}`);
    expect(await add('plum')).toBe('3\n');
  }, 120_000);

  it('exports SQL that imports into a second service; a file that is not a dump is refused', async () => {
    const dump = runBytes(compiled, root, ['mariadb:export', db], { env: nginx.env });
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout.toString()).toContain('CREATE TABLE `items`');
    await ok('mariadb:create', copy);
    const imported = runBytes(compiled, root, ['mariadb:import', copy], { env: nginx.env, input: dump.stdout });
    expect(imported.code, imported.stderr).toBe(0);
    expect(await rowsIn(copy)).toBe('apple\npear\nplum\n');
    const garbage = runBytes(compiled, root, ['mariadb:import', copy], { env: nginx.env, input: Buffer.from('DROP TABLE items;\n') });
    expect([garbage.code, garbage.stderr]).toEqual([1, ' !     The input is not a mariadb dump (it does not start with /*M!999999 or -- MariaDB dump or -- MySQL dump): nothing was imported\n']);
    expect(await rowsIn(copy)).toBe('apple\npear\nplum\n');
  }, 120_000);
});
