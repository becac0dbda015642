import { describe, expect, it } from 'vitest';
import { imageRef } from '../../../src/app/services.ts';
import { serviceBackupLine } from '../../../src/lib/crontab.ts';
import { SERVICE_KINDS, serviceKind } from '../../../src/lib/services/index.ts';
import { aliasProblem, imageRepoProblem, linkVar, servicePasswordProblem, serviceContainerName, serviceHost, validateServiceName } from '../../../src/lib/services/kind.ts';
import { serviceContainerSpec } from '../../../src/runtime/service-spec.ts';
import { judge, requirementOf, type Call } from '../../../src/ssh/access.ts';

const s = { name: 'my-db', password: 'secret12' };

describe('service definitions', () => {
  it('names, URLs and variables as Dokku\'s plugins spell them', () => {
    const pg = serviceKind('postgres');
    expect(pg.url(s, serviceHost('postgres', 'my-db'), pg.port)).toBe('postgres://postgres:secret12@dokku-postgres-my-db:5432/my_db');
    expect(serviceKind('redis').url(s, serviceHost('redis', 'my-db'), 6379)).toBe('redis://:secret12@dokku-redis-my-db:6379');
    expect(serviceKind('mariadb').url(s, serviceHost('mariadb', 'my-db'), 3306)).toBe('mysql://mariadb:secret12@dokku-mariadb-my-db:3306/my_db');
    expect(serviceContainerName('postgres', 'my-db')).toBe('dokku.postgres.my-db');
    expect(linkVar('postgres', 'my-db')).toBe('DOKKU_POSTGRES_MY_DB_URL');
    expect(() => serviceKind('mongo')).toThrow(/Unknown service type 'mongo' \(postgres, redis, mariadb\)/);
  });

  it('every kind has an image of its own to build, a port, a dump with a magic and a restore', () => {
    for (const k of SERVICE_KINDS) {
      const build = k.imageBuild('dokku/stack:bookworm-base');
      expect(build.dockerfile).toMatch(/^FROM dokku\/stack:bookworm-base\n/);
      expect(build.dockerfile).toMatch(/apt-get install/);
      expect(k.port).toBeGreaterThan(0);
      expect(k.dump(s).length).toBeGreaterThan(0);
      expect(k.dumpMagic.length).toBeGreaterThan(0);
      expect(['exec', 'offline']).toContain(k.restore(s).via);
      // The password reaches the clients through the environment, never their arguments.
      for (const cmd of [k.ready(s), k.dump(s), k.restore(s).cmd, k.connect(s)]) expect(cmd.join(' ')).not.toContain(s.password);
    }
  });

  it('refuses names, passwords, aliases and images that would not be safe where they go', () => {
    expect(validateServiceName('db-1')).toBe('db-1');
    for (const bad of ['', 'DB', '-db', 'db-', 'a'.repeat(64), 'db_1', 'db;rm']) expect(() => validateServiceName(bad)).toThrow();
    expect(servicePasswordProblem('short')).toMatch(/8 to 128/);
    expect(servicePasswordProblem('has space in it')).toBeDefined();
    expect(servicePasswordProblem('ok-pass.word_1~')).toBeUndefined();
    expect(aliasProblem('BLUE')).toBeUndefined();
    expect(aliasProblem('blue')).toMatch(/uppercase/);
    expect(imageRepoProblem('postgres')).toBeUndefined();
    expect(imageRepoProblem('registry.local:5000/team/pg')).toBeUndefined();
    expect(imageRepoProblem('postgres:16')).toMatch(/--image-version/);
    const pg = serviceKind('postgres');
    expect(imageRef(pg, undefined, undefined)).toBe('dokku/postgres:15');
    expect(imageRef(pg, 'postgres', '16.2')).toBe('postgres:16.2');
    expect(() => imageRef(pg, undefined, '../x')).toThrow(/Invalid image version/);
  });
});

describe('a service container', () => {
  it('has its data bound from the host, its own network, a restart policy, and a host port only when exposed', () => {
    const spec = serviceContainerSpec(serviceKind('redis'), { id: 'id1', name: 'cache', password: 'secret12', image: 'dokku/redis:7', exposed: [], dir: '/var/lib/dokku/services/redis/cache', memory: '256' });
    expect(spec).toMatchObject({
      name: 'dokku.redis.cache',
      Image: 'dokku/redis:7',
      Cmd: ['redis-server', '/usr/local/etc/redis/redis.conf'],
      Labels: { 'com.dokku.service': 'redis', 'com.dokku.service-name': 'cache', 'com.dokku.service-id': 'id1' },
      HostConfig: {
        Binds: ['/var/lib/dokku/services/redis/cache/data:/data', '/var/lib/dokku/services/redis/cache/config:/usr/local/etc/redis:ro'],
        RestartPolicy: { Name: 'unless-stopped' },
        NetworkMode: 'dokku.redis.cache',
        Memory: 256 * 1024 * 1024,
      },
    });
    expect(spec.HostConfig).not.toHaveProperty('PortBindings');
    const exposed = serviceContainerSpec(serviceKind('postgres'), { id: 'id2', name: 'db', password: 'secret12', image: 'dokku/postgres:15', exposed: [15432], dir: '/d' });
    expect(exposed.HostConfig?.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '', HostPort: '15432' }] });
    expect(exposed.Env).toEqual(['POSTGRES_PASSWORD=secret12', 'POSTGRES_DB=db']);
  });

  it('is backed up from one crontab line of validated words', () => {
    expect(serviceBackupLine(['/usr/bin/dokku'], { kind: 'postgres', name: 'db', schedule: '0 3 * * *', logFile: '/home/dokku/.cron/service-1.log' })).toBe(
      "0 3 * * * '/usr/bin/dokku' postgres:backup 'db' >> '/home/dokku/.cron/service-1.log' 2>&1",
    );
    expect(() => serviceBackupLine(['/usr/bin/dokku'], { kind: 'postgres', name: "db'; rm -rf /", schedule: '0 3 * * *', logFile: '/x' })).toThrow();
  });
});

const call = (command: string, args: string[]): Call => ({ command, declared: [{ value: 'service', variadic: false }], takesGlobal: false, args, global: false });

describe('who may use a service', () => {
  it.each([
    [call('postgres:create', ['db']), { kind: 'admin', reason: 'an admin command' }],
    [call('postgres:list', []), { kind: 'admin', reason: 'an admin command' }],
    [call('postgres:expose', ['db', '5432']), { kind: 'admin', reason: 'an admin command' }],
    [call('postgres:upgrade', ['db']), { kind: 'admin', reason: 'an admin command' }],
    [call('redis:backup-schedule', ['c', '0 3 * * *']), { kind: 'admin', reason: 'an admin command' }],
    [call('postgres:info', ['db']), { kind: 'service', serviceKind: 'postgres', service: 'db' }],
    [call('redis:export', ['c']), { kind: 'service', serviceKind: 'redis', service: 'c' }],
    [call('postgres:link', ['db', 'web']), { kind: 'service', serviceKind: 'postgres', service: 'db', app: 'web' }],
    [call('postgres:app-links', ['web']), { kind: 'app', app: 'web' }],
  ])('%#: %o → %o', (c, expected) => expect(requirementOf(c)).toEqual(expected));

  it('a key needs the service, and for a link the app too', () => {
    const key = { name: 'bob', admin: false };
    const req = requirementOf(call('postgres:link', ['db', 'web']));
    expect(judge(key, 'postgres:link', req, () => true, () => false)).toEqual({ allowed: false, reason: 'no access to postgres service db' });
    expect(judge(key, 'postgres:link', req, () => false, () => true)).toEqual({ allowed: false, reason: 'no access to app web' });
    expect(judge(key, 'postgres:link', req, () => true, () => true)).toEqual({ allowed: true });
    expect(judge({ name: 'root', admin: true }, 'postgres:link', req, () => false, () => false)).toEqual({ allowed: true });
  });
});
