/**
 * The third kind of service, MariaDB, which is one definition file (src/lib/services/mariadb.ts) and
 * nothing else: on the compiled binary against the real engine and a real nginx, an app writes rows
 * through the DATABASE_URL the link gave it, they survive a crash of the server, and a SQL export
 * imports into a second service.
 */
import { describe, expect, it } from 'vitest';
import { TARGETS, runBytes } from '../../helpers/cli.ts';
import { crashAndWaitRestart, uniqueName } from '../../helpers/docker.ts';
import { eventually } from '../../helpers/nginx.ts';
import { cgiScript, serviceWorld } from '../../helpers/service-app.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const copy = uniqueName('mdbcopy');

// mysql://USER:PASSWORD@HOST:PORT/DATABASE, as Dokku's plugin writes it, taken apart for the client.
const ADD = cgiScript(`rest=\${DATABASE_URL#mysql://}
user=\${rest%%:*}; rest=\${rest#*:}
pass=\${rest%%@*}; rest=\${rest#*@}
host=\${rest%%:*}; rest=\${rest#*:}
port=\${rest%%/*}; name=\${rest#*/}
MYSQL_PWD=$pass mariadb -h "$host" -P "$port" -u "$user" -N "$name" -e "CREATE TABLE IF NOT EXISTS items (v TEXT); INSERT INTO items VALUES ('$QUERY_STRING'); SELECT count(*) FROM items" 2>&1`);

const w = serviceWorld('mariadb', 'dokku/mariadb:10.11', { add: ADD });
w.also.push(copy);
const { ok } = w;
const rowsIn = async (service: string) =>
  (await ok('mariadb:enter', service, 'mariadb', '-u', 'root', '-N', service.replace(/-/g, '_'), '-e', 'SELECT v FROM items ORDER BY v')).stdout;

describe('a mariadb service', () => {
  it('gives the app DATABASE_URL, and the app writes rows through nginx that survive a crash', async () => {
    expect((await ok('config:get', w.app, 'DATABASE_URL')).stdout.trim()).toMatch(new RegExp(`^mysql://mariadb:[0-9a-f]{32}@dokku-mariadb-${w.service}:3306/${w.service.replace(/-/g, '_')}$`));
    const add = async (word: string) =>
      eventually(async () => {
        const body = (await w.get(`/cgi-bin/add?${word}`)).body;
        if (!/^\d+\n$/.test(body)) throw new Error(body);
        return body;
      }, 20_000);
    expect(await add('apple')).toBe('1\n');
    expect(await add('pear')).toBe('2\n');
    await crashAndWaitRestart(w.docker, `dokku.mariadb.${w.service}`);
    expect(await add('plum')).toBe('3\n');
  }, 120_000);

  it('exports SQL that imports into a second service; a file that is not a dump is refused', async () => {
    const dump = runBytes(compiled, w.root, ['mariadb:export', w.service], { env: w.nginx.env });
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout.toString()).toContain('CREATE TABLE `items`');
    await ok('mariadb:create', copy);
    const imported = runBytes(compiled, w.root, ['mariadb:import', copy], { env: w.nginx.env, input: dump.stdout });
    expect(imported.code, imported.stderr).toBe(0);
    expect(await rowsIn(copy)).toBe('apple\npear\nplum\n');
    const garbage = runBytes(compiled, w.root, ['mariadb:import', copy], { env: w.nginx.env, input: Buffer.from('DROP TABLE items;\n') });
    expect([garbage.code, garbage.stderr]).toEqual([1, ' !     The input is not a mariadb dump (it does not start with /*M!999999 or -- MariaDB dump or -- MySQL dump): nothing was imported\n']);
    expect(await rowsIn(copy)).toBe('apple\npear\nplum\n');
  }, 120_000);
});
