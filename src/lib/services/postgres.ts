import type { ServiceKind } from './kind.ts';

/**
 * PostgreSQL, from Debian's `postgresql-15`. The image follows the official image's contract
 * (POSTGRES_PASSWORD, POSTGRES_DB, data in /var/lib/postgresql/data), so `--image postgres` with
 * an image a user loaded works the same way. The database is named after the service, dashes as
 * underscores, as Dokku's plugin names it.
 */

const MAJOR = '15';
const database = (name: string): string => name.replace(/-/g, '_');

// Runs as root only to own the data directory, then becomes postgres with setpriv, which execs
// (runuser would stay as the parent and keep the stop signal from the server). Its words are
// fixed: the database name and password come from the environment (both validated by dokku).
const ENTRYPOINT = `#!/bin/sh
set -eu
if [ "\${1:-}" = postgres ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    setpriv --reuid=postgres --regid=postgres --init-groups initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [ -n "\${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
      echo "CREATE DATABASE \\"$POSTGRES_DB\\";" | setpriv --reuid=postgres --regid=postgres --init-groups postgres --single -D "$PGDATA" postgres >/dev/null
    fi
  fi
  shift
  exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -c listen_addresses='*' "$@"
fi
exec "$@"
`;

export const postgres: ServiceKind = {
  name: 'postgres',
  title: 'Postgres',
  alias: 'DATABASE',
  scheme: 'postgres',
  port: 5432,
  image: { repo: 'dokku/postgres', version: MAJOR },
  imageBuild: (base) => ({
    dockerfile: [
      `FROM ${base}`,
      // Debian's package would make a cluster of its own; the entrypoint makes the one dokku uses.
      'RUN set -eu; mkdir -p /etc/postgresql-common/createcluster.d; ' +
        "echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/dokku.conf; " +
        `apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-${MAJOR} >/dev/null; ` +
        'rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb',
      'COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh',
      `ENV PATH=/usr/lib/postgresql/${MAJOR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data LANG=C.UTF-8`,
      'STOPSIGNAL SIGINT',
      'EXPOSE 5432',
      'ENTRYPOINT ["docker-entrypoint.sh"]',
      'CMD ["postgres"]',
      '',
    ].join('\n'),
    files: { 'docker-entrypoint.sh': { text: ENTRYPOINT, mode: 0o755 } },
  }),
  dataDir: '/var/lib/postgresql/data',
  env: (s) => ({ POSTGRES_PASSWORD: s.password, POSTGRES_DB: database(s.name) }),
  execEnv: (s) => ({ PGPASSWORD: s.password }),
  url: (s, host, port) => `postgres://postgres:${s.password}@${host}:${port}/${database(s.name)}`,
  ready: () => ['pg_isready', '-q', '-h', '127.0.0.1', '-U', 'postgres'],
  version: () => ['postgres', '--version'],
  connect: (s) => ['psql', '-U', 'postgres', database(s.name)],
  dump: (s) => ['pg_dump', '-Fc', '--no-acl', '--no-owner', '-U', 'postgres', '-w', database(s.name)],
  dumpMagic: ['PGDMP'],
  dumpFile: 'export.pgdump',
  dumpFormat: "pg_dump's custom format, -Fc",
  restore: (s) => ({ via: 'exec', cmd: ['pg_restore', '--clean', '--if-exists', '--no-acl', '--no-owner', '--single-transaction', '--exit-on-error', '-U', 'postgres', '-d', database(s.name)] }),
};
