import type { ServiceKind } from './kind.ts';

/**
 * MariaDB, from Debian's `mariadb-server` (10.11). The image follows the official image's contract
 * (MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD, data in /var/lib/mysql),
 * so `--image mariadb` with an image a user loaded works the same way. Apps connect as `mariadb` to
 * the database named after the service, dashes as underscores, as Dokku's plugin names them.
 */

const VERSION = '10.11';
const database = (name: string): string => name.replace(/-/g, '_');

// Runs as root to own the data directory; the server drops to mysql itself. The words are fixed:
// the database name and password come from the environment (both validated by dokku).
const ENTRYPOINT = `#!/bin/sh
set -eu
if [ "\${1:-}" = mariadbd ]; then
  mkdir -p /var/lib/mysql /run/mysqld
  chown mysql:mysql /var/lib/mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=normal >/dev/null
    mariadbd --user=mysql --datadir=/var/lib/mysql --bootstrap --skip-networking <<SQL
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$MARIADB_ROOT_PASSWORD';
CREATE DATABASE IF NOT EXISTS \\\`$MARIADB_DATABASE\\\`;
CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL ON \\\`$MARIADB_DATABASE\\\`.* TO '$MARIADB_USER'@'%';
SQL
  fi
  shift
  exec mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 "$@"
fi
exec "$@"
`;

export const mariadb: ServiceKind = {
  name: 'mariadb',
  title: 'MariaDB',
  alias: 'DATABASE',
  scheme: 'mysql',
  port: 3306,
  image: { repo: 'dokku/mariadb', version: VERSION },
  imageBuild: (base) => ({
    dockerfile: [
      `FROM ${base}`,
      'RUN set -eu; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null; ' +
        'rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/lib/mysql/*',
      'COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh',
      'EXPOSE 3306',
      'ENTRYPOINT ["docker-entrypoint.sh"]',
      'CMD ["mariadbd"]',
      '',
    ].join('\n'),
    files: { 'docker-entrypoint.sh': { text: ENTRYPOINT, mode: 0o755 } },
  }),
  dataDir: '/var/lib/mysql',
  env: (s) => ({ MARIADB_ROOT_PASSWORD: s.password, MARIADB_DATABASE: database(s.name), MARIADB_USER: 'mariadb', MARIADB_PASSWORD: s.password }),
  // The clients read the root password from MYSQL_PWD.
  execEnv: (s) => ({ MYSQL_PWD: s.password }),
  url: (s, host, port) => `mysql://mariadb:${s.password}@${host}:${port}/${database(s.name)}`,
  ready: () => ['mariadb', '-u', 'root', '-e', 'SELECT 1'],
  version: () => ['mariadbd', '--version'],
  connect: (s) => ['mariadb', '-u', 'root', database(s.name)],
  dump: (s) => ['mariadb-dump', '-u', 'root', '--single-transaction', '--routines', '--triggers', database(s.name)],
  // mariadb-dump since 10.11.8 opens with its sandbox line; older ones and MySQL's with a comment.
  dumpMagic: ['/*M!999999', '-- MariaDB dump', '-- MySQL dump'],
  dumpFile: 'export.sql',
  dumpFormat: 'SQL, from mariadb-dump',
  // A SQL dump is not one transaction: a dump cut short leaves the tables it reached replaced.
  restore: (s) => ({ via: 'exec', cmd: ['mariadb', '-u', 'root', database(s.name)] }),
};
