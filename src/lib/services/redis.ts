import type { ServiceKind } from './kind.ts';

/**
 * Redis, from Debian's `redis-server`. Its settings are one file dokku writes (mounted where the
 * official image's documentation puts it), so `--image redis` works too. Every write is on disk
 * before it is acknowledged (append-only file, fsync always): a killed container loses nothing.
 */

export const redis: ServiceKind = {
  name: 'redis',
  title: 'Redis',
  alias: 'REDIS',
  scheme: 'redis',
  port: 6379,
  image: { repo: 'dokku/redis', version: '7' },
  imageBuild: (base) => ({
    dockerfile: [
      `FROM ${base}`,
      'RUN set -eu; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null; ' +
        'rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; mkdir -p /data',
      'WORKDIR /data',
      'EXPOSE 6379',
      'CMD ["redis-server"]',
      '',
    ].join('\n'),
    files: {},
  }),
  dataDir: '/data',
  configDir: '/usr/local/etc/redis',
  configFiles: (s) => ({
    'redis.conf': ['bind 0.0.0.0', 'protected-mode no', 'port 6379', 'dir /data', `requirepass ${s.password}`, 'appendonly yes', 'appendfsync always', ''].join('\n'),
  }),
  env: () => ({}),
  execEnv: (s) => ({ REDISCLI_AUTH: s.password }),
  cmd: () => ['redis-server', '/usr/local/etc/redis/redis.conf'],
  url: (s, host, port) => `redis://:${s.password}@${host}:${port}`,
  ready: () => ['redis-cli', 'ping'],
  version: () => ['redis-server', '--version'],
  connect: () => ['redis-cli'],
  // `redis-cli --rdb -` leaves the replication stream's end marker in the file; SAVE writes a clean one.
  dump: () => ['sh', '-c', 'redis-cli SAVE >/dev/null && cat /data/dump.rdb'],
  dumpMagic: ['REDIS'],
  dumpFile: 'export.rdb',
  dumpFormat: 'an RDB file',
  // The server reads its data only when it starts, and with the append-only file on it reads only
  // that: the dump becomes the file's RDB base (Redis 7's manifest), replacing the data while it is stopped.
  restore: () => ({
    via: 'offline',
    cmd: [
      'sh',
      '-c',
      'set -e; rm -rf /data/appendonlydir /data/appendonly.aof /data/dump.rdb; mkdir /data/appendonlydir; cd /data/appendonlydir; ' +
        'cat > appendonly.aof.1.base.rdb; : > appendonly.aof.1.incr.aof; ' +
        "printf 'file appendonly.aof.1.base.rdb seq 1 type b\\nfile appendonly.aof.1.incr.aof seq 1 type i\\n' > appendonly.aof.manifest; " +
        'cp appendonly.aof.1.base.rdb /data/dump.rdb',
    ],
  }),
};
